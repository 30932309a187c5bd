"""Problems found in a cohort: each with row, column, value, message and severity.

Rows are numbered as the user counts them in a spreadsheet: the header is row 1, the
first patient row 2. The cohort DataFrame built by :mod:`core.io` carries that number
as its index, so a problem can always point back to the user's file.

Errors block analysis; warnings are shown and analysis goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from core.constants import DAYS_PER_YEAR
from core.i18n import _, core_label, fmt_date
from core.schema import DataDictionary

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One problem in the user's data.

    Attributes
    ----------
    row : int or None
        Spreadsheet row (header = 1); ``None`` for a whole-file or whole-column problem.
    column : str or None
        Column as named in the user's file (or the canonical name when derived).
    value : str
        The offending value as typed ("" when not applicable).
    message : str
        What is wrong and how to fix it.
    severity : {"error", "warning", "info"}
    field : str or None
        The canonical column the problem is about (``None``: the whole file). An error
        stops only the views that use its field (see :meth:`core.io.Cohort.blocking`).
    """

    row: int | None
    column: str | None
    value: str
    message: str
    severity: Severity
    field: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


def problems_frame(problems: list[Problem] | tuple[Problem, ...]) -> pd.DataFrame:
    """Problems as a DataFrame (errors first, then by row), for display and export."""
    cols = ["severity", "row", "column", "value", "message"]
    if not problems:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame([p.to_dict() for p in problems])[cols]
    rank = df["severity"].map({"error": 0, "warning": 1, "info": 2})
    df = df.assign(_r=rank, _row=pd.to_numeric(df["row"], errors="coerce").fillna(0)).sort_values(["_r", "_row"], kind="stable")
    out = df.drop(columns=["_r", "_row"]).reset_index(drop=True)
    out["row"] = out["row"].astype("Int64")
    return out


def _fmt(v: object) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _lbl(dictionary: DataDictionary, column: str) -> str:
    """The column's label in the current language (Myoscope's own labels are translated)."""
    return core_label(column, dictionary.label(column))


def _rows_problems(
    mask: pd.Series, df: pd.DataFrame, column: str, shown: str, message: str, severity: Severity
) -> list[Problem]:
    idx = mask[mask.fillna(False).astype(bool)].index
    return [Problem(int(r), shown, _fmt(df.at[r, column]), message, severity, column) for r in idx]


def _implied_birth_problems(df: pd.DataFrame, dictionary: DataDictionary, shown: Callable[[str], str]) -> list[Problem]:
    """Dates before birth when only the age is known: birth ≈ diagnosis − age (1 year slack)."""
    if "birth_date" in df or not {"age_at_diagnosis", "diagnosis_date"} <= set(df.columns):
        return []
    birth = df["diagnosis_date"] - pd.to_timedelta((df["age_at_diagnosis"] + 1.0) * DAYS_PER_YEAR, unit="D")
    out: list[Problem] = []
    for c in ("cancer_date", "death_date", "last_followup_date"):
        if c in df:
            out += _rows_problems(
                df[c] < birth, df, c, shown(c),
                _("{column} is before the patient's birth (diagnosis date minus age at diagnosis): "
                  "correct the date, the age or the diagnosis date.", column=_lbl(dictionary, c)),
                "error",
            )
    return out


def _after_followup_problems(df: pd.DataFrame, dictionary: DataDictionary, shown: Callable[[str], str]) -> list[Problem]:
    """A cancer or death dated after the last follow-up (the follow-up date is probably stale)."""
    if "last_followup_date" not in df:
        return []
    out: list[Problem] = []
    for c in ("cancer_date", "death_date"):
        if c in df:
            out += _rows_problems(
                df[c] > df["last_followup_date"], df, c, shown(c),
                _("{column} is after the last follow-up date: update the last follow-up date "
                  "(time-to-event analyses use the event date).", column=_lbl(dictionary, c)),
                "warning",
            )
    return out


def validate_cohort(
    df: pd.DataFrame,
    dictionary: DataDictionary,
    source_names: dict[str, str] | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Check the clinical consistency of an imported cohort.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort in the canonical contract (see :mod:`core.schema`), index = user row.
    dictionary : DataDictionary
        Types of the columns.
    source_names : dict, optional
        Canonical name -> column name in the user's file (used in messages).
    today : datetime.date, optional
        Reference date for "future date" warnings (default: today).

    Returns
    -------
    list[Problem]
        Errors: missing or duplicate patient ids, age outside 0–120, death/cancer date
        before birth, follow-up or death date before diagnosis. Warnings: cancer or death
        flag without its date, a date without its flag, dates in the future, a column
        entirely missing, unknown sex codes, an age that disagrees with the dates.
    """
    names = source_names or {}

    def shown(c: str) -> str:
        return names.get(c, c)

    problems: list[Problem] = []
    today_ts = pd.Timestamp(today or date.today())

    if "patient_id" in df:
        pid = df["patient_id"]
        problems += _rows_problems(
            pid.isna(), df, "patient_id", shown("patient_id"),
            _("Patient id is empty: give every row a unique patient id."), "error",
        )
        dup = pid.notna() & pid.duplicated(keep=False)
        if dup.any():
            rows = pd.Series(df.index, index=df.index)[dup]
            first = rows.groupby(pid[dup]).transform("min")
            for r in rows:
                f = int(first[r])
                problems.append(Problem(
                    int(r), shown("patient_id"), _fmt(pid[r]),
                    (_("Duplicate patient id (first seen on row {row}): keep one row per patient.", row=f)
                     if f != r else
                     _("Duplicate patient id (it appears again further down): keep one row per patient.")),
                    "error",
                ))

    if "age_at_diagnosis" in df:
        age = df["age_at_diagnosis"]
        problems += _rows_problems(
            (age < 0) | (age > 120), df, "age_at_diagnosis", shown("age_at_diagnosis"),
            _("Age at diagnosis must be between 0 and 120 years: check the value or the birth date."),
            "error",
        )

    if "birth_date" in df:
        birth = df["birth_date"]
        for c in ("death_date", "cancer_date", "diagnosis_date", "last_followup_date"):
            if c in df:
                problems += _rows_problems(
                    df[c] < birth, df, c, shown(c),
                    _("{column} is before the date of birth: correct one of the two dates.", column=_lbl(dictionary, c)),
                    "error",
                )

    if "diagnosis_date" in df:
        dx = df["diagnosis_date"]
        for c in ("last_followup_date", "death_date"):
            if c in df:
                problems += _rows_problems(
                    df[c] < dx, df, c, shown(c),
                    _("{column} is before the date of diagnosis: correct one of the two dates.", column=_lbl(dictionary, c)),
                    "error",
                )
        if "death_date" in df and "last_followup_date" in df:
            problems += _rows_problems(
                df["last_followup_date"] > df["death_date"], df, "last_followup_date",
                shown("last_followup_date"),
                _("Last follow-up is after the date of death: survival uses the date of death."),
                "warning",
            )

    problems += _implied_birth_problems(df, dictionary, shown)
    problems += _after_followup_problems(df, dictionary, shown)

    for flag, dcol in (("cancer", "cancer_date"), ("death", "death_date")):
        if flag in df and dcol in df:
            problems += _rows_problems(
                (df[flag] == 1) & df[dcol].isna(), df, flag, shown(flag),
                _("{flag} is yes but {date_column} is missing: "
                  "add the date (this patient is left out of time-to-event analyses).",
                  flag=_lbl(dictionary, flag), date_column=_lbl(dictionary, dcol).lower()),
                "warning",
            )
            problems += _rows_problems(
                (df[flag] != 1) & df[dcol].notna(), df, dcol, shown(dcol),
                _("A {date_column} is given but {flag} "
                  "is not marked yes: set the flag to yes or remove the date.",
                  date_column=_lbl(dictionary, dcol).lower(), flag=_lbl(dictionary, flag).lower()),
                "warning",
            )

    if "diagnosis_date" in df:
        problems += _rows_problems(
            df["diagnosis_date"] > today_ts, df, "diagnosis_date", shown("diagnosis_date"),
            _("Diagnosis date in the future (after {date}): correct the year "
              "(the patient cannot enter time-to-event analyses).", date=fmt_date(today_ts.date())),
            "error",
        )
    for c in df.columns:
        if c != "diagnosis_date" and pd.api.types.is_datetime64_any_dtype(df[c]):
            problems += _rows_problems(
                df[c] > today_ts, df, c, shown(c),
                _("Date in the future (after {date}): check the year.", date=fmt_date(today_ts.date())),
                "warning",
            )

    if "sex" in df:
        s = df["sex"]
        problems += _rows_problems(
            s.notna() & ~s.isin(["F", "M"]), df, "sex", shown("sex"),
            _("Unknown sex code: use F/M (female/male, femme/homme). This patient is left out of "
              "sex-specific analyses."),
            "warning",
        )

    if {"age_at_diagnosis", "birth_date", "diagnosis_date"} <= set(df.columns):
        derived = (df["diagnosis_date"] - df["birth_date"]).dt.days / DAYS_PER_YEAR
        problems += _rows_problems(
            (derived - df["age_at_diagnosis"]).abs() > 1.0, df, "age_at_diagnosis",
            shown("age_at_diagnosis"),
            _("Age at diagnosis differs by more than a year from the dates of birth and diagnosis: "
              "check them (the age column is used)."),
            "warning",
        )

    if len(df):
        for c in df.columns:
            if c in ("antibody_subtype",):
                continue
            if df[c].isna().all():
                problems.append(Problem(
                    None, shown(c), "",
                    _("This column is entirely empty: it is kept but gives no information."),
                    "warning",
                ))
    return problems
