"""Privacy for sharing: small-count suppression and patient identifiers left out.

Two options, for the meeting bundle (:mod:`core.report`) and for any export (apply
them to the DataFrame before :mod:`core.export` writes it):

**Small-count suppression** (:func:`suppress_small_counts`), the usual rule of cancer
registries and national statistics offices (e.g. the NHS "suppress 1 to 4" and CMS
"cell size" rules): a count from 1 to ``threshold − 1`` (default 5) is written
``"<5"``; a zero is *not* suppressed (it reveals no person); every percentage derived
from a suppressed count, and every ratio computed from it (odds ratio and its CI, SIR and
its CI, excess risk), is blanked in the same row. Counts are the integer columns named in
:data:`COUNT_COLUMNS` (``n``, ``N``, ``n_a``, ``events``, ``observed``, ...), and, in a
journal-style table of text, the ``n/N (x%)`` cells, the ``n = k`` parts and cells that
are a whole number. P values and Kaplan-Meier estimates are kept (no complementary,
"secondary", suppression is made: totals stay visible).

**Identifiers** (:func:`drop_identifiers`, :func:`pseudonymise`): patient-id columns
(:data:`IDENTIFIER_COLUMNS`) are removed from tables, and a patient shown on their own
(patient course) is called by a pseudonym, ``Patient A``, ``Patient B``, ... unless the
user opts in to real identifiers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Default threshold: counts 1..4 are suppressed.
DEFAULT_THRESHOLD = 5

#: Column names holding counts of patients or events (numeric tables of the core).
COUNT_COLUMNS: frozenset[str] = frozenset({
    "n", "N", "n_a", "N_a", "n_b", "N_b", "events", "n_events", "observed", "n_patients",
    "n_with_person_time", "n_risk", "n_at_risk", "cum_events", "count", "n_within", "n_before",
    "Patients", "Events", "O", "Observed", "Observed (O)", "Patients analysed",
})

#: Columns derived from counts, blanked in a row where a count is suppressed.
DERIVED_COLUMNS: frozenset[str] = frozenset({
    "pct", "pct_a", "pct_b", "odds_ratio", "or_ci_low", "or_ci_high", "sir", "ci_low", "ci_high",
    "excess_per_1000py", "share_within",
})

#: Header words of text columns derived from counts (OR, SIR, %, excess).
_DERIVED_HEADER = re.compile(r"^(OR\b|SIR\b|Excess\b)|%\)?$|\(%\)")

#: A French confidence-interval label ("IC à 95 %"): not a percentage column.
_FRENCH_CI = re.compile(r"IC à [\d,]+\s?%")

#: Columns that identify a patient, left out of every shared table.
IDENTIFIER_COLUMNS: frozenset[str] = frozenset({
    "patient_id", "name", "first_name", "last_name", "surname", "nom", "prenom", "prénom",
    "ipp", "mrn", "nip", "birth_date", "date_of_birth",
})

#: Text columns that name things (groups, features, strata): never read as counts.
LABEL_COLUMNS: frozenset[str] = frozenset({
    "Feature", "feature", "label", "Group", "group", "group1", "group2", "term", "sex", "age_band", "period",
    "name", "unit", "test", "type", "reason", "Stage", "stage",
})

_N_OF_N = re.compile(r"^(\d+)/(\d+)(?: \(([^)]*)%\))?$")
_N_EQUALS = re.compile(r"\bn = (\d+)\b")
_WHOLE = re.compile(r"^\d+$")


@dataclass(frozen=True)
class PrivacyOptions:
    """Privacy choices of an export.

    Attributes
    ----------
    suppress_below : int or None
        Counts from 1 to ``suppress_below − 1`` are written ``"<N"``; ``None`` (or a value
        ≤ 1) keeps every count.
    include_ids : bool
        Keep patient identifiers (default: left out, pseudonyms for a single patient).
    """

    suppress_below: int | None = None
    include_ids: bool = False

    @property
    def suppressing(self) -> bool:
        """True when small counts are suppressed."""
        return self.suppress_below is not None and self.suppress_below > 1

    def describe(self) -> str:
        """One sentence for footnotes and methods."""
        parts = []
        from core.i18n import _

        if self.suppressing:
            parts.append(_("Counts from 1 to {last} are shown as <{threshold} and the percentages and ratios derived "
                           "from them are blanked (zeros are shown).", last=self.suppress_below - 1,  # type: ignore[operator]
                           threshold=self.suppress_below))
        parts.append(_("Patient identifiers are included.") if self.include_ids
                     else _("Patient identifiers are left out (a single patient is shown under a pseudonym)."))
        return " ".join(parts)


def is_small(value: object, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """A count from 1 to ``threshold − 1`` (a number or a whole-number text)."""
    if isinstance(value, str):
        if not _WHOLE.match(value.strip()):
            return False
        value = int(value.strip())
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    x = float(value)
    return math.isfinite(x) and x.is_integer() and 1 <= x < threshold


def suppress_text(text: str, threshold: int = DEFAULT_THRESHOLD) -> tuple[str, bool]:
    """One text cell with its small counts suppressed; ``(new text, changed)``.

    ``"3/42 (7.1%)"`` -> ``"<5/42"``; ``"12 (8–20); n = 3"`` -> ``"12 (8–20); n = <5"``;
    ``"4"`` -> ``"<5"``; ``"0/3 (0.0%)"`` -> ``"0/<5"``.
    """
    small = f"<{threshold}"
    m = _N_OF_N.match(text.strip())
    if m:
        n, big = m.group(1), m.group(2)
        if is_small(n, threshold) or is_small(big, threshold):
            n = small if is_small(n, threshold) else n
            big = small if is_small(big, threshold) else big
            return f"{n}/{big}", True
        return text, False
    if _WHOLE.match(text.strip()):
        return (small, True) if is_small(text, threshold) else (text, False)
    changed = False

    def sub(mm: re.Match[str]) -> str:
        nonlocal changed
        if is_small(mm.group(1), threshold):
            changed = True
            return f"n = {small}"
        return mm.group(0)

    out = _N_EQUALS.sub(sub, text)
    return out, changed


def _translated(names: frozenset[str]) -> frozenset[str]:
    """``names`` and their translations in the current language (display tables have
    translated headers: "Événements" counts as "Events" does)."""
    from core.i18n import language

    return names if language() == "en" else names | {_quiet(n) for n in names}


def _quiet(name: str) -> str:
    """``name`` in the current language when the catalogue has it, else unchanged (a
    lookup of every column name, not a message: not recorded as a missing translation)."""
    from core.i18n import catalog, language

    cat = catalog(language())
    msg = cat.get(name) if cat is not None else None
    return str(msg.string) if msg is not None and isinstance(msg.string, str) and msg.string else name


def _count_columns(df: pd.DataFrame, counts: Iterable[str] | None) -> list[str]:
    wanted = set(counts) if counts is not None else _translated(COUNT_COLUMNS)
    return [c for c in df.columns if c in wanted and pd.api.types.is_numeric_dtype(df[c])]


def _derived_columns(df: pd.DataFrame, counts: list[str]) -> list[str]:
    out = []
    for c in df.columns:
        if c in counts:
            continue
        name = str(c)
        if name in DERIVED_COLUMNS or name.startswith(("pct", "sir")) or _DERIVED_HEADER.search(_FRENCH_CI.sub("CI", name)) \
                or _derived_translated(name):
            out.append(c)
    return out


def _derived_translated(name: str) -> bool:
    """A translated header derived from counts ("Excès / 1 000 PA", "RIS (IC à 95 %)")."""
    from core.i18n import language

    if language() == "en":
        return False
    return name.startswith((_quiet("Excess"), _quiet("SIR"), "OR", "HR"))


def suppress_small_counts(df: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD,
                          counts: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` with counts from 1 to ``threshold − 1`` written ``"<threshold"``.

    Parameters
    ----------
    df : pandas.DataFrame
        A numeric table of the core (counts in :data:`COUNT_COLUMNS`) or a journal-style
        table of text (``n/N (x%)`` cells, ``n = k``, whole numbers).
    threshold : int
        Default 5 (counts 1–4 suppressed). ``threshold ≤ 1`` returns an unchanged copy.
    counts : iterable of str, optional
        Names of the numeric count columns (default :data:`COUNT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        Suppressed count cells hold the text ``"<5"`` (their column becomes ``object``);
        in each row with a suppressed count, derived percentages and ratios are blank
        (``None``). ``attrs["suppressed"]`` counts the suppressed cells.
    """
    out = df.copy().reset_index(drop=True)
    out.attrs = dict(df.attrs)
    out.attrs["suppressed"] = 0
    if threshold is None or threshold <= 1 or out.empty:
        return out
    count_cols = _count_columns(out, counts)
    hit = np.zeros(len(out), dtype=bool)
    n_cells = 0
    for c in count_cols:
        mask = out[c].map(lambda v: is_small(v, threshold)).to_numpy(dtype=bool)
        if mask.any():
            col = out[c].astype(object)
            col[mask] = f"<{threshold}"
            out[c] = col
            hit |= mask
            n_cells += int(mask.sum())
    labels = _translated(LABEL_COLUMNS)
    for c in out.columns:
        if c in count_cols or c in labels or not (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])):
            continue
        col = out[c].astype(object).copy()
        for i, v in enumerate(col.tolist()):
            if isinstance(v, str):
                new, changed = suppress_text(v, threshold)
                if changed:
                    col.iat[i] = new
                    hit[i] = True
                    n_cells += 1
        out[c] = col
    if hit.any():
        for c in _derived_columns(out, count_cols):
            col = out[c].astype(object)
            col[hit] = None
            out[c] = col
    out.attrs["suppressed"] = n_cells
    return out


_FIG_COUNT = re.compile(r"\b(n|O|N) = (\d+)\b")
_FIG_SIR = re.compile(r"SIR [\d.,]+ \([^)]*\)")
_FIG_RATIO = re.compile(r"^(\d+) / (\S+)(\s+)(.*)$")


def _figure_string(text: str, threshold: int) -> str:
    def count(m: re.Match[str]) -> str:
        return f"{m.group(1)} = <{threshold}" if is_small(m.group(2), threshold) else m.group(0)

    out = _FIG_COUNT.sub(count, text)
    if out != text:  # a ratio shown next to a suppressed count would give it back
        out = _FIG_SIR.sub("SIR —", out)
    m = _FIG_RATIO.match(out)
    if m and is_small(m.group(1), threshold):  # "O / E   SIR (CI)" of a forest plot: O hidden, SIR blank
        out = f"<{threshold} / {m.group(2)}{m.group(3)}—"
    return out


def suppress_figure_text(fig: Any, threshold: int = DEFAULT_THRESHOLD) -> Any:
    """A figure dict (:func:`core.safe_text.figure_safe`) whose texts show no small count:
    ``n = 3`` and ``O = 3`` (legends, hover, annotations) become ``n = <5``, and a forest
    plot's ``3 / 2.7   1.1 (0.4–3.4)`` becomes ``<5 / 2.7   —``. Numbers drawn as
    positions (curves, markers) are unchanged; drop a number-at-risk table separately."""
    if isinstance(fig, str):
        return _figure_string(fig, threshold)
    if isinstance(fig, dict):
        return {k: suppress_figure_text(v, threshold) for k, v in fig.items()}
    if isinstance(fig, (list, tuple)):
        return [suppress_figure_text(v, threshold) for v in fig]
    return fig


def drop_identifiers(df: pd.DataFrame, include_ids: bool = False) -> pd.DataFrame:
    """``df`` without patient-identifier columns (:data:`IDENTIFIER_COLUMNS`), unless
    ``include_ids``."""
    if include_ids:
        return df
    keep = [c for c in df.columns if str(c).strip().casefold() not in IDENTIFIER_COLUMNS]
    return df[keep] if len(keep) != len(df.columns) else df


def pseudonym(i: int) -> str:
    """``Patient A``, ``Patient B``, ..., ``Patient Z``, ``Patient AA``, ... (``i`` from 0)."""
    letters = ""
    i += 1
    while i > 0:
        i, r = divmod(i - 1, 26)
        letters = chr(ord("A") + r) + letters
    return f"Patient {letters}"


def pseudonyms(ids: Sequence[object], first: object | None = None) -> dict[str, str]:
    """Patient id -> pseudonym; ``first`` (the patient shown on their own) is ``Patient A``."""
    order = [str(p) for p in ids]
    if first is not None and str(first) in order:
        order.remove(str(first))
        order.insert(0, str(first))
    return {p: pseudonym(i) for i, p in enumerate(dict.fromkeys(order))}


def private_table(df: pd.DataFrame, suppress_below: int | None = None, include_ids: bool = False) -> pd.DataFrame:
    """One call for any export: identifiers left out (unless ``include_ids``) and, when
    ``suppress_below`` is set, small counts suppressed. Pages call it on the table they
    hand to :func:`core.export.table_to_csv` / ``table_to_xlsx`` / ``table_to_docx``."""
    out = drop_identifiers(df, include_ids)
    if suppress_below is not None and suppress_below > 1:
        out = suppress_small_counts(out, suppress_below)
    return out


def apply_privacy(df: pd.DataFrame, options: PrivacyOptions) -> pd.DataFrame:
    """:func:`private_table` with a :class:`PrivacyOptions`."""
    return private_table(df, options.suppress_below if options.suppressing else None, options.include_ids)


__all__ = [
    "COUNT_COLUMNS", "DEFAULT_THRESHOLD", "DERIVED_COLUMNS", "IDENTIFIER_COLUMNS", "PrivacyOptions",
    "apply_privacy", "drop_identifiers", "is_small", "private_table", "pseudonym", "pseudonyms",
    "suppress_figure_text", "suppress_small_counts", "suppress_text",
]
