"""Keep going with bad rows: analyse the cohort without the rows that have errors.

One bad cell should not stop a researcher's exploration. :func:`without_error_rows` sets
aside every patient row that carries an error (an unreadable value in a column whose
type is declared, a date before birth, a duplicated id...), keeps every other row, and
says exactly what was set aside: the rows, their ids and the problems, as a table that can
be downloaded. Whole-file problems (no patient id column, an unreadable file) cannot be
set aside this way. Nothing is changed silently: the set-aside count is part of the
cohort's notes and every page shows it.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.i18n import _, n_
from core.io import Cohort
from core.validate import Problem, problems_frame


def error_rows(cohort: Cohort) -> list[int]:
    """Spreadsheet rows (header = 1) that carry at least one error."""
    return sorted({int(p.row) for p in cohort.errors if p.row is not None and p.row in cohort.data.index})


def can_set_aside(cohort: Cohort) -> bool:
    """Whether every error is tied to a row (so that dropping rows clears them all)."""
    return bool(cohort.errors) and all(p.row is not None and p.row in cohort.data.index for p in cohort.errors)


def set_aside_table(cohort: Cohort) -> pd.DataFrame:
    """The rows with errors and why: ``row``, ``patient_id``, ``column``, ``value``, ``message``."""
    rows = set(error_rows(cohort))
    probs = problems_frame([p for p in cohort.errors if p.row in rows])
    ids = cohort.data["patient_id"] if "patient_id" in cohort.data else pd.Series(dtype=object)
    probs.insert(1, "patient_id", [ids.get(int(r), None) for r in probs["row"]])
    return probs.drop(columns=["severity"]).reset_index(drop=True)


def without_error_rows(cohort: Cohort) -> Cohort:
    """The cohort without the rows that carry errors (see the module docstring).

    Returns
    -------
    Cohort
        Same dictionary, mapping and coercions; ``data`` without those rows; their
        problems removed from ``problems`` and replaced by one ``info`` problem saying how
        many rows were set aside (warnings on kept rows stay).

    Raises
    ------
    ValueError
        When some error is not tied to a row (a whole-file problem).
    """
    if not can_set_aside(cohort):
        raise ValueError(_("Some problems concern the whole file (not a row): they must be fixed in the file or the mapping."))
    rows = set(error_rows(cohort))
    kept = [p for p in cohort.problems if p.row not in rows or p.severity == "info"]
    shown = ", ".join(str(r) for r in sorted(rows)[:20]) + (" ..." if len(rows) > 20 else "")
    note = Problem(None, None, "", n_("{n} row(s) with errors set aside from every analysis (rows {rows}); "
                                      "download the list on the Cohort page.",
                                      "{n} row(s) with errors set aside from every analysis (rows {rows}); "
                                      "download the list on the Cohort page.", len(rows), rows=shown), "info")
    return replace(cohort, data=cohort.data.drop(index=sorted(rows)), problems=(*kept, note))


__all__ = ["can_set_aside", "error_rows", "set_aside_table", "without_error_rows"]
