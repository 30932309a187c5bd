"""Long-format events table: one patient's course (treatments, labs, scores, events).

The table has one row per event with the columns

``patient_id``
    Patient identifier (text), matching the cohort's ``patient_id``.
``date``
    ISO date (``YYYY-MM-DD``; ``DD/MM/YYYY`` and spreadsheet dates also read).
``kind``
    ``treatment_start``, ``treatment_stop``, ``lab``, ``score`` or ``event``.
``name``
    Treatment, lab, score or event name (``methylprednisolone``, ``CK``,
    ``interferon_score``, ``diagnosis``, ``relapse``, ``cancer``, ``death``...).
``value``
    Number or empty: the lab value, the score, the numeric dose of a treatment.
``unit``
    Unit of ``value`` (``U/L``, ``mg/d``...), optional.
``detail``
    Free text (e.g. the dose as written, ``2 mg/kg/d``), optional.

Treatment intervals
-------------------
Within one patient and one treatment name (compared case-insensitively), rows are read
in date order. On one date, if the treatment is running its stop is read before a new
start (a change that day); if not, a start is read before a stop (a one-day
administration), whatever the file order. A ``treatment_start`` opens an interval; a
``treatment_stop`` closes the open one. A ``treatment_start`` while the treatment is
already running is a **dose change**: the running interval ends on that date and a new
one starts with the new dose. A ``treatment_stop`` with nothing running is an error
("stop before start"). A start and a stop on the same date make a one-day administration
(e.g. one cyclophosphamide pulse). A treatment that is never stopped runs to the
patient's last event date, and the course says so in its notes.

Months since diagnosis = days / (365.25 / 12), as everywhere in Myoscope.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from core import codes
from core.constants import DAYS_PER_MONTH
from core.i18n import _, fmt_date, fmt_number, language, n_
from core.reader import InputFileError, read_table

#: The columns of an events table, in order.
EVENT_COLUMNS: tuple[str, ...] = ("patient_id", "date", "kind", "name", "value", "unit", "detail")
#: Required columns (``value``, ``unit`` and ``detail`` may be absent).
REQUIRED_COLUMNS: tuple[str, ...] = ("patient_id", "date", "kind", "name")
#: Allowed values of ``kind``.
EVENT_KINDS: tuple[str, ...] = ("treatment_start", "treatment_stop", "lab", "score", "event")
#: Name of the interferon score rows.
INTERFERON_SCORE_NAME = "interferon_score"
#: Normal ranges of common labs (lower-cased name -> (low, high, unit)), used by the chart.
LAB_NORMAL_RANGES: dict[str, tuple[float, float, str]] = {
    "ck": (29.0, 168.0, "U/L"),
}
#: At most this many problems are listed in one error message.
MAX_LISTED_PROBLEMS = 20


class EventsError(ValueError):
    """Invalid events table; the message lists each problem with its row and column."""


@dataclass(frozen=True)
class EventsTable:
    """A validated events table.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns :data:`EVENT_COLUMNS`: ``patient_id`` str, ``date`` datetime64[ns]
        (normalised to midnight), ``kind`` str (lower case), ``name`` str (as typed,
        stripped), ``value`` float64 (NaN = empty), ``unit`` str, ``detail`` str.
        Rows keep the file order.
    warnings : tuple of str
        Non-blocking problems (e.g. patient ids unknown to the cohort).
    """

    data: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def patient_ids(self) -> list[str]:
        """Patients with at least one event, in first-appearance order."""
        return list(pd.unique(self.data["patient_id"]))

    def for_patient(self, patient_id: str) -> pd.DataFrame:
        """Rows of one patient (file order)."""
        return self.data[self.data["patient_id"] == str(patient_id)].copy()


@dataclass(frozen=True)
class PatientCourse:
    """One patient's course, relative to the DM diagnosis.

    Attributes
    ----------
    patient_id : str
    diagnosis_date : pandas.Timestamp
        Time zero of ``month`` columns.
    last_date : pandas.Timestamp or NaT
        Date of the patient's last event (end of open treatments).
    treatments : pandas.DataFrame
        One row per interval: ``name``, ``start``, ``stop``, ``start_month``,
        ``stop_month``, ``dose`` (text for display: ``detail`` or ``value unit``),
        ``value``, ``unit``, ``detail``, ``open_ended`` (bool: no stop, drawn to
        ``last_date``). Ordered by first start of each treatment, then start.
    labs : Mapping[str, pandas.DataFrame]
        Lab name -> rows ``date``, ``month``, ``value``, ``unit``, ``detail`` (date order).
    scores : pandas.DataFrame
        ``name``, ``date``, ``month``, ``value``, ``unit``, ``detail`` (date order).
    events : pandas.DataFrame
        Point events: ``name``, ``date``, ``month``, ``value``, ``detail`` (date order).
    notes : tuple of str
        What the reader should know (open-ended treatments, assumed diagnosis date).
    """

    patient_id: str
    diagnosis_date: pd.Timestamp
    last_date: pd.Timestamp
    treatments: pd.DataFrame
    labs: Mapping[str, pd.DataFrame]
    scores: pd.DataFrame
    events: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        """True when the patient has no event at all."""
        return (
            self.treatments.empty and not self.labs and self.scores.empty and self.events.empty
        )

    def treatment_sequence(self) -> list[str]:
        """Treatment names in order of first start (each name once)."""
        return list(pd.unique(self.treatments["name"])) if not self.treatments.empty else []


# --------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------
def _text(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return ""
    if x is pd.NaT:
        return ""
    return str(x).strip()


def _read_raw(source: str | Path | bytes | BinaryIO | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The events table as cells (index = spreadsheet row) and its decimal mark.

    Files go through the shared reader (:func:`core.reader.read_table`): the same
    encodings, delimiters, decimal marks, Excel sheets and limits as a cohort file.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        df.index = pd.RangeIndex(2, 2 + len(df), name="row")
        return df, "."
    try:
        raw = read_table(source)
    except InputFileError as exc:
        raise EventsError(_("could not read the events table: {error}", error=exc)) from exc
    return raw.data, raw.decimal


def _parse_date(x: Any) -> pd.Timestamp | None:
    """One date cell (the cohort's date codes, :func:`core.codes.date_code`); None when unreadable."""
    value, status, _raw = codes.date_code(x)
    return value if status in ("ok", "coerced") and not pd.isna(value) else None


def _parse_number(x: Any) -> float | None:
    """Float, NaN for empty, None when not a number (:func:`core.codes.number_code`)."""
    value, status, _raw = codes.number_code(x)
    if status == "invalid":
        return None
    return float(value)


def _parse_dates(col: pd.Series) -> pd.Series:
    """A date column with the cohort's date codes (:func:`core.codes.parse_date`); NaT = unreadable or empty."""
    return pd.to_datetime(codes.parse_date(col.reset_index(drop=True)).values).dt.normalize()


def _parse_numbers(col: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """A numeric column (:func:`core.codes.parse_number`): (values, NaN for empty; mask of non-numbers)."""
    parsed = codes.parse_number(col.reset_index(drop=True), decimal)
    return parsed.values.astype(float), parsed.invalid


def load_events(
    source: str | Path | bytes | BinaryIO | pd.DataFrame,
    known_patient_ids: Iterable[str] | None = None,
) -> EventsTable:
    """Read and validate an events table (CSV, TSV, XLSX or a DataFrame).

    Parameters
    ----------
    source : path, bytes, file-like (e.g. a Streamlit upload) or DataFrame
        ``.xlsx`` names are read as Excel, other sources as delimited text (delimiter
        sniffed). Column names are matched case-insensitively.
    known_patient_ids : iterable of str, optional
        The cohort's patient ids; events of other patients are kept and reported as a
        warning.

    Returns
    -------
    EventsTable

    Raises
    ------
    EventsError
        Listing every problem with its spreadsheet row (header = row 1) and column:
        missing column, empty patient id or name, unknown kind, unparseable date,
        non-numeric value of a lab or score (or of a non-empty treatment/event value),
        a lab or score without value, a treatment stopped before it was started.
    """
    raw, decimal = _read_raw(source)
    rownum = np.asarray(raw.index, dtype=int)

    def _row(i: int) -> str:
        return _("row {row}", row=rownum[i])

    raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise EventsError(_(
            "missing column(s) {missing}; an events table needs {columns} (value, unit and detail may be empty)",
            missing=", ".join(repr(m) for m in missing), columns=", ".join(EVENT_COLUMNS),
        ))
    raw = raw.reset_index(drop=True)
    n = len(raw)
    found: list[tuple[int, int, str]] = []  # (row, column order, message)

    def col(name: str) -> pd.Series:
        if name not in raw.columns:
            return pd.Series([""] * n, dtype=object)
        return raw[name].map(_text)

    pid = raw["patient_id"].map(
        lambda x: _text(int(x)) if isinstance(x, float) and x.is_integer() else _text(x)
    )
    for i in np.flatnonzero((pid == "").to_numpy()):
        found.append((i, 0, _("{row}, column 'patient_id': empty patient id", row=_row(i))))
    kind_raw = col("kind")
    kind = kind_raw.str.lower().str.replace(" ", "_").str.replace("-", "_")
    for i in np.flatnonzero((~kind.isin(EVENT_KINDS)).to_numpy()):
        found.append((i, 2, _("{row}, column 'kind': unknown kind {kind!r}; use one of {kinds}",
                              row=_row(i), kind=kind_raw[i], kinds=", ".join(EVENT_KINDS))))
    name = col("name")
    for i in np.flatnonzero((name == "").to_numpy()):
        found.append((i, 3, _("{row}, column 'name': empty name", row=_row(i))))
    dates = _parse_dates(raw["date"])
    for i in np.flatnonzero(dates.isna().to_numpy()):
        found.append((i, 1, _("{row}, column 'date': cannot read {value!r} as a date (use YYYY-MM-DD)",
                              row=_row(i), value=_text(raw["date"][i]))))
    if "value" in raw.columns:
        values, bad = _parse_numbers(raw["value"], decimal)
    else:
        values, bad = pd.Series(np.nan, index=raw.index), pd.Series(False, index=raw.index)
    for i in np.flatnonzero(bad.to_numpy()):
        found.append((i, 4, _("{row}, column 'value': {value!r} is not a number ({kind} {name!r}); put text in 'detail'",
                              row=_row(i), value=_text(raw["value"][i]), kind=kind[i], name=name[i])))
    needs = (kind.isin(("lab", "score")) & values.isna() & ~bad).to_numpy()
    for i in np.flatnonzero(needs):
        found.append((i, 4, _("{row}, column 'value': {kind} {name!r} has no value", row=_row(i), kind=kind[i], name=name[i])))
    problems = [m for _r, _c, m in sorted(found)]
    data = pd.DataFrame(
        {
            "patient_id": pid.astype(object),
            "date": dates.astype("datetime64[ns]"),
            "kind": kind.astype(object),
            "name": name.astype(object),
            "value": values.astype(float),
            "unit": col("unit").astype(object),
            "detail": col("detail").astype(object),
        }
    )
    if not problems:
        problems.extend(_stop_before_start_problems(data, rownum))
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = len(problems) - len(listed)
        items = "\n- ".join(listed)
        if more > 0:
            raise EventsError(n_("{n} problem(s) in the events table:\n- {items}\n- ... and {more} more",
                                 "{n} problem(s) in the events table:\n- {items}\n- ... and {more} more",
                                 len(problems), items=items, more=more))
        raise EventsError(n_("{n} problem(s) in the events table:\n- {items}",
                             "{n} problem(s) in the events table:\n- {items}", len(problems), items=items))
    warnings: list[str] = []
    if known_patient_ids is not None:
        known = {str(p) for p in known_patient_ids}
        unknown = [p for p in pd.unique(data["patient_id"]) if p not in known]
        if unknown:
            n_rows = int(data["patient_id"].isin(unknown).sum())
            shown = (_("{ids} and {n} more", ids=", ".join(unknown[:10]), n=len(unknown) - 10)
                     if len(unknown) > 10 else ", ".join(unknown))
            warnings.append(n_(
                "{n} patient id(s) of the events table are not in the cohort "
                "({rows} row(s) kept but not linked to a patient row): {ids}",
                "{n} patient id(s) of the events table are not in the cohort "
                "({rows} row(s) kept but not linked to a patient row): {ids}",
                len(unknown), rows=n_rows, ids=shown,
            ))
    return EventsTable(data=data, warnings=tuple(warnings))


def _treatment_groups(df: pd.DataFrame) -> dict[tuple[str, str], list[Any]]:
    """Treatment rows grouped by (patient, case-folded name), in pairing order.

    Rows are namedtuples with the event columns plus ``pos_`` (position among treatment
    rows, file order) and ``src_`` (index label in ``df``). Groups are in order of first
    appearance; see :func:`_in_pairing_order` for the order within a group.
    """
    t = df[df["kind"].isin(("treatment_start", "treatment_stop"))].copy()
    t["pos_"] = np.arange(len(t))
    t["src_"] = t.index
    t["key_"] = t["name"].str.casefold()
    t = t.sort_values(["date", "pos_"], kind="stable")
    groups: dict[tuple[str, str], list[Any]] = {}
    for r in t.itertuples(index=False):  # one pass over plain tuples (fast)
        groups.setdefault((r.patient_id, r.key_), []).append(r)
    return {k: _in_pairing_order(v) for k, v in groups.items()}


def _in_pairing_order(rows: list[Any]) -> list[Any]:
    """Rows of one patient's treatment (sorted by date) in the order used for pairing.

    Date order. Rows of the same date are reordered so that the result does not depend on
    the file order: if the treatment is running at the start of that day, its stops come
    first (stop, then new start = a change on that day); if it is not running, starts
    come first (start and stop the same day = a one-day administration).
    """
    ordered: list[Any] = []
    running = False
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j].date == rows[i].date:
            j += 1
        block = rows[i:j]
        starts = [r for r in block if r.kind == "treatment_start"]
        stops = [r for r in block if r.kind == "treatment_stop"]
        day = stops + starts if running else starts + stops
        running = day[-1].kind == "treatment_start"  # state at the end of the day
        ordered.extend(day)
        i = j
    return ordered


def _stop_before_start_problems(data: pd.DataFrame, rownum: np.ndarray) -> list[str]:
    problems = []
    for rows in _treatment_groups(data).values():
        running = False
        for r in rows:
            if r.kind == "treatment_start":
                running = True
            elif not running:
                problems.append(_(
                    "row {row}: treatment_stop of {name!r} on {date} for patient {patient!r} comes before "
                    "any treatment_start of it (stop before start); fix the dates or add the start",
                    row=rownum[int(r.src_)], name=r.name, date=fmt_date(r.date), patient=r.patient_id,
                ))
            else:
                running = False
    return problems


# --------------------------------------------------------------------------------------
# One patient's course
# --------------------------------------------------------------------------------------
def _as_frame(events: EventsTable | pd.DataFrame) -> pd.DataFrame:
    if isinstance(events, EventsTable):
        return events.data
    df = pd.DataFrame(events)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise EventsError(_("events table without column(s) {columns}", columns=", ".join(missing)))
    df = df.copy()
    for c in ("value", "unit", "detail"):
        if c not in df.columns:
            df[c] = np.nan if c == "value" else ""
    df["patient_id"] = df["patient_id"].astype(str)
    df["date"] = pd.to_datetime(df["date"]).dt.normalize()
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    df["unit"] = df["unit"].map(_text)
    df["detail"] = df["detail"].map(_text)
    df["kind"] = df["kind"].map(lambda k: _text(k).lower())
    df["name"] = df["name"].map(_text)
    return df


def _months(d: pd.Series | pd.Timestamp, t0: pd.Timestamp) -> Any:
    if isinstance(d, pd.Series):
        return (d - t0).dt.days / DAYS_PER_MONTH
    return (d - t0).days / DAYS_PER_MONTH


def _dose_text(value: float, unit: str, detail: str) -> str:
    if detail:
        return detail
    if value is not None and not math.isnan(value):
        return f"{value:g} {unit}".strip()
    return ""


def patient_course(
    events: EventsTable | pd.DataFrame,
    patient_id: str,
    diagnosis_date: date | datetime | pd.Timestamp | str | None,
) -> PatientCourse:
    """Treatment intervals, labs, scores and point events of one patient.

    Parameters
    ----------
    events : EventsTable or pandas.DataFrame
        The events table (a DataFrame is coerced; use :func:`load_events` to validate).
    patient_id : str
    diagnosis_date : date-like or None
        Time zero. When missing, the patient's ``diagnosis`` event is used, else their
        first event, and a note says so.

    Returns
    -------
    PatientCourse
        Months since diagnosis = days / (365.25 / 12). See the module docstring for how
        starts and stops pair into intervals.

    Raises
    ------
    EventsError
        A treatment stop with nothing running (stop before start).
    """
    df = _as_frame(events)
    pid = str(patient_id)
    p = df[df["patient_id"] == pid].copy()
    notes: list[str] = []
    t0 = pd.NaT if diagnosis_date is None else pd.Timestamp(diagnosis_date)
    if pd.isna(t0):
        diag = p[(p["kind"] == "event") & (p["name"].str.casefold() == "diagnosis")]
        if not diag.empty:
            t0 = diag["date"].min()
            notes.append(_("no diagnosis date in the cohort: the 'diagnosis' event is time zero"))
        elif not p.empty:
            t0 = p["date"].min()
            notes.append(_("no diagnosis date: the patient's first event is time zero"))
        else:
            t0 = pd.NaT
    t0 = pd.Timestamp(t0).normalize() if not pd.isna(t0) else t0
    last = p["date"].max() if not p.empty else pd.NaT

    treatments = _intervals(p, pid, last, t0, notes)

    def _sub(kind: str) -> pd.DataFrame:
        s = p[p["kind"] == kind].sort_values("date", kind="stable")
        s = s.assign(month=_months(s["date"], t0) if not pd.isna(t0) else np.nan)
        return s[["name", "date", "month", "value", "unit", "detail"]].reset_index(drop=True)

    labs_long = _sub("lab")
    labs = {str(n): g.drop(columns="name").reset_index(drop=True)
            for n, g in labs_long.groupby("name", sort=False)}
    scores = _sub("score")
    point = _sub("event").drop(columns="unit")
    return PatientCourse(
        patient_id=pid,
        diagnosis_date=t0,
        last_date=last,
        treatments=treatments,
        labs=labs,
        scores=scores,
        events=point,
        notes=tuple(notes),
    )


_TREATMENT_COLUMNS = [
    "name", "start", "stop", "start_month", "stop_month", "dose", "value", "unit", "detail",
    "open_ended",
]


def _intervals(
    p: pd.DataFrame, pid: str, last: pd.Timestamp, t0: pd.Timestamp, notes: list[str]
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for rows_of_name in _treatment_groups(p).values():
        current: dict[str, Any] | None = None
        for r in rows_of_name:
            if r.kind == "treatment_start":
                if current is not None:  # dose change
                    current["stop"] = r.date
                    rows.append(current)
                current = {
                    "name": r.name, "start": r.date, "stop": pd.NaT,
                    "dose": _dose_text(r.value, r.unit, r.detail), "value": r.value,
                    "unit": r.unit, "detail": r.detail, "open_ended": False, "pos_": r.pos_,
                }
            else:
                if current is None:
                    raise EventsError(_(
                        "patient {patient!r}: treatment_stop of {name!r} on {date} comes before any "
                        "treatment_start of it (stop before start)", patient=pid, name=r.name, date=fmt_date(r.date),
                    ))
                current["stop"] = r.date
                rows.append(current)
                current = None
        if current is not None:
            current["stop"] = last
            current["open_ended"] = True
            rows.append(current)
            notes.append(
                _("{name} has no stop date: drawn until the patient's last event ({date})",
                  name=current["name"], date=fmt_date(last)) if pd.isna(t0) else
                _("{name} has no stop date: drawn until the patient's last event ({date}, month {month})",
                  name=current["name"], date=fmt_date(last), month=fmt_number(_months(last, t0), 1))
            )
    out = pd.DataFrame(rows, columns=[*_TREATMENT_COLUMNS, "pos_"])
    if out.empty:
        return out[_TREATMENT_COLUMNS].astype({"start": "datetime64[ns]", "stop": "datetime64[ns]",
                           "start_month": float, "stop_month": float, "value": float,
                           "open_ended": bool})
    key = out["name"].str.casefold()
    first = out.groupby(key, sort=False)["start"].transform("min")
    first_pos = out.groupby(key, sort=False)["pos_"].transform("min")
    out = out.assign(first_=first, first_pos_=first_pos).sort_values(
        ["first_", "first_pos_", "start", "pos_"], kind="stable"
    )
    out = out.drop(columns=["first_", "first_pos_"]).reset_index(drop=True)
    out["start_month"] = _months(out["start"], t0) if not pd.isna(t0) else np.nan
    out["stop_month"] = _months(out["stop"], t0) if not pd.isna(t0) else np.nan
    return out[_TREATMENT_COLUMNS]


# --------------------------------------------------------------------------------------
# Adding interferon scores
# --------------------------------------------------------------------------------------
def add_scores(
    events: EventsTable | pd.DataFrame | None,
    scores_df: pd.DataFrame,
    name: str = INTERFERON_SCORE_NAME,
) -> EventsTable | pd.DataFrame:
    """Append interferon scores to an events table as ``kind="score"`` rows.

    Parameters
    ----------
    events : EventsTable, pandas.DataFrame or None
        The table to extend (None: a new table).
    scores_df : pandas.DataFrame
        Columns ``patient_id``, ``date`` and ``score``; optional ``detail`` (free text,
        e.g. the sample id and threshold), ``unit``. The scores of
        :class:`core.interferon.InterferonResult` plus a patient id and sampling date.
    name : str
        Event name of the rows (``interferon_score``).

    Returns
    -------
    EventsTable or pandas.DataFrame
        Same type as ``events`` (a DataFrame when ``events`` is None) with the new rows
        appended; a row identical to an existing one (patient, date, name, value) is not
        added twice, so adding the same results again is harmless.

    Raises
    ------
    EventsError
        Missing column, empty patient id, unreadable date, non-numeric score.
    """
    missing = [c for c in ("patient_id", "date", "score") if c not in scores_df.columns]
    if missing:
        raise EventsError(_(
            "scores without column(s) {columns}; each score needs a patient_id, a sampling date and a score",
            columns=", ".join(missing),
        ))
    new_rows: dict[str, list[Any]] = {c: [] for c in EVENT_COLUMNS}
    for i, r in enumerate(scores_df.reset_index(drop=True).itertuples(index=False)):
        pid = _text(r.patient_id)
        if not pid:
            raise EventsError(_("score row {row}: empty patient_id", row=i + 1))
        d = _parse_date(r.date)
        if d is None:
            raise EventsError(_("score row {row} (patient {patient!r}): cannot read date {value!r}", row=i + 1, patient=pid,
                                value=r.date))
        v = _parse_number(r.score)
        if v is None or math.isnan(v):
            raise EventsError(_("score row {row} (patient {patient!r}): score {value!r} is not a number", row=i + 1,
                                patient=pid, value=r.score))
        new_rows["patient_id"].append(pid)
        new_rows["date"].append(d)
        new_rows["kind"].append("score")
        new_rows["name"].append(name)
        new_rows["value"].append(v)
        new_rows["unit"].append(_text(getattr(r, "unit", "")))
        new_rows["detail"].append(_text(getattr(r, "detail", "")))
    new = pd.DataFrame(new_rows)
    new["date"] = pd.to_datetime(new["date"]).astype("datetime64[ns]")
    new["value"] = new["value"].astype(float)
    base = _as_frame(events) if events is not None else pd.DataFrame(
        {c: pd.Series(dtype="datetime64[ns]" if c == "date" else float if c == "value"
                      else object) for c in EVENT_COLUMNS}
    )
    key = ["patient_id", "date", "kind", "name", "value"]
    existing = set(map(tuple, base[key].itertuples(index=False, name=None)))
    keep = [tuple(k) not in existing for k in new[key].itertuples(index=False, name=None)]
    new = new[keep].drop_duplicates(subset=key)
    combined = pd.concat([base[list(EVENT_COLUMNS)], new], ignore_index=True)
    combined["date"] = combined["date"].astype("datetime64[ns]")
    combined["value"] = combined["value"].astype(float)
    if isinstance(events, EventsTable):
        return EventsTable(data=combined, warnings=events.warnings)
    return combined


def scores_for_events(
    scores: pd.DataFrame,
    patient_ids: Mapping[str, str] | None = None,
    dates: Mapping[str, Any] | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Turn interferon ``scores`` (one row per sample) into :func:`add_scores` input.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``InterferonResult.scores`` (``sample_id``, ``sample_type``, ``score``, ``positive``,
        optional ``patient_id`` / ``date``).
    patient_ids, dates : mapping sample_id -> value, optional
        Override / supply the patient and the sampling date of each sample.
    threshold : float, optional
        Written into ``detail``.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``date``, ``score``, ``detail`` for the patient samples that have
        both a patient id and a date (healthy controls are never added).
    """
    rows = []
    for r in scores.itertuples(index=False):
        if getattr(r, "sample_type", "patient") != "patient":
            continue
        pid = (patient_ids or {}).get(r.sample_id, getattr(r, "patient_id", None))
        d = (dates or {}).get(r.sample_id, getattr(r, "date", None))
        if not _text(pid) or d is None or (not isinstance(d, str) and pd.isna(d)):
            continue
        detail = _("sample {sample}", sample=r.sample_id)
        if threshold is not None:
            values = {"sample": r.sample_id, "threshold": _fmt_g(threshold)}
            detail = (_("sample {sample}; positive (threshold {threshold})", **values) if r.score > threshold
                      else _("sample {sample}; negative (threshold {threshold})", **values))
        rows.append({"patient_id": _text(pid), "date": d, "score": float(r.score),
                     "detail": detail})
    return pd.DataFrame(rows, columns=["patient_id", "date", "score", "detail"])


# --------------------------------------------------------------------------------------
# Events implied by the cohort row
# --------------------------------------------------------------------------------------
#: Cohort date column -> event name it implies.
COHORT_EVENT_DATES: dict[str, str] = {
    "diagnosis_date": "diagnosis",
    "cancer_date": "cancer",
    "death_date": "death",
}


def with_cohort_events(
    events: EventsTable | pd.DataFrame | None, cohort_row: Mapping[str, Any] | pd.Series
) -> tuple[pd.DataFrame, list[str]]:
    """One patient's events completed with the diagnosis, cancer and death of the cohort.

    The cohort row's ``diagnosis_date``, ``cancer_date`` (detail: ``cancer_site``) and
    ``death_date`` become ``kind="event"`` rows named ``diagnosis``, ``cancer`` and
    ``death`` when the events table has no event of that name for the patient (an event
    present in both is kept as in the events table, never duplicated).

    Parameters
    ----------
    events : EventsTable, pandas.DataFrame or None
    cohort_row : mapping or pandas.Series
        The patient's cohort row (``patient_id`` and the date columns).

    Returns
    -------
    (pandas.DataFrame, list of str)
        The patient's events (columns :data:`EVENT_COLUMNS`) and the names of the events
        that came from the cohort row.
    """
    pid = str(cohort_row["patient_id"])
    if events is None:
        mine = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else
                                          float if c == "value" else object)
                             for c in EVENT_COLUMNS})
    else:
        frame = _as_frame(events)
        mine = frame.loc[frame["patient_id"] == pid, list(EVENT_COLUMNS)].copy()
    have = {str(n).casefold() for n in mine.loc[mine["kind"] == "event", "name"]}
    added: list[str] = []
    rows = []
    for col, name in COHORT_EVENT_DATES.items():
        d = cohort_row.get(col) if hasattr(cohort_row, "get") else None
        if d is None or pd.isna(d) or name in have:
            continue
        detail = _("from the cohort table")
        if name == "cancer" and _text(cohort_row.get("cancer_site")):
            detail = _("{site} (from the cohort table)", site=_text(cohort_row.get("cancer_site")))
        rows.append({"patient_id": pid, "date": pd.Timestamp(d).normalize(), "kind": "event",
                     "name": name, "value": np.nan, "unit": "", "detail": detail})
        added.append(name)
    if rows:
        mine = pd.concat([mine, pd.DataFrame(rows)], ignore_index=True)
    mine["date"] = pd.to_datetime(mine["date"]).astype("datetime64[ns]")
    mine["value"] = mine["value"].astype(float)
    return mine.reset_index(drop=True), added


def _fmt_g(x: float) -> str:
    """A number in its shortest form (``0.5``; French ``0,5``)."""
    text = f"{x:g}"
    return text.replace(".", ",") if language() == "fr" else text
