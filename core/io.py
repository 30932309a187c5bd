"""Reading cohort files: CSV/TSV/XLSX and REDCap exports, column mapping, typing.

The pipeline is ``read_table`` (bytes -> :class:`RawTable` of text cells) ->
``suggest_mapping`` (user column -> canonical name) -> ``build_cohort`` (typed
:class:`Cohort` with its problems and every coercion counted). The user's file is only
read, never written. See :mod:`core.codes` for the accepted codes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from core import codes
from core.codes import Coercion
from core.schema import (
    CORE_COLUMNS,
    DM_ANTIBODIES,
    SYNONYMS,
    DataDictionary,
    FeatureInfo,
)
from core.validate import Problem, validate_cohort

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
DELIMITERS = (",", ";", "\t", "|")
REDCAP_META = re.compile(r"^(redcap_event_name|redcap_repeat_instrument|redcap_repeat_instance|redcap_data_access_group|redcap_survey_identifier|.+_complete|.+_timestamp)$")
REDCAP_LABEL_CHOICE = re.compile(r"^(?P<field>.+?)\s*\(choice=(?P<choice>.+)\)\s*$")
CHECKBOX_RAW = re.compile(r"^[a-z0-9_]+___[a-z0-9_]+$")


class CohortFileError(ValueError):
    """A file that cannot be read as a cohort (message says why and how to fix)."""


@dataclass(frozen=True)
class RawTable:
    """A table as read from the user's file: header texts and cell values, untyped.

    Attributes
    ----------
    data : pandas.DataFrame
        Cells as text (CSV) or as stored (XLSX), columns = headers as typed
        (stripped), index = spreadsheet row number (header = 1).
    filename : str
    format : str
        ``csv`` or ``xlsx``; ``+redcap`` appended when REDCap conventions were found.
    encoding, delimiter, decimal : str
        Detected text encoding, field delimiter and decimal mark ("" for XLSX).
    sheet : str
        Sheet read (XLSX).
    sheets : tuple[str, ...]
        All sheet names (XLSX).
    notes : tuple[str, ...]
        What the reader did (e.g. rows set aside), shown in the import report.
    problems : tuple[Problem, ...]
        Problems found while reading (blank or duplicated headers, ...).
    """

    data: pd.DataFrame
    filename: str = ""
    format: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    decimal: str = "."
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cohort:
    """A typed cohort (see the contract in :mod:`core.schema`).

    Attributes
    ----------
    data : pandas.DataFrame
        One row per patient, canonical columns, index = spreadsheet row (header = 1).
    dictionary : DataDictionary
        Label, group and type of every column.
    problems : tuple[Problem, ...]
    coercions : tuple[Coercion, ...]
        Every conversion of a typed value, with its count.
    mapping : dict
        User column -> canonical column ("" = not imported).
    raw : RawTable
        What was read.
    """

    data: pd.DataFrame
    dictionary: DataDictionary
    problems: tuple[Problem, ...]
    coercions: tuple[Coercion, ...]
    mapping: Mapping[str, str]
    raw: RawTable

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity ``error`` (they block analysis)."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems of severity ``warning``."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        """Whether analysis is blocked."""
        return any(p.severity == "error" for p in self.problems)

    def coercions_frame(self) -> pd.DataFrame:
        """Coercions as a DataFrame (column, original, result, count)."""
        return pd.DataFrame(
            [(c.column, c.original, c.result, c.count) for c in self.coercions],
            columns=["column", "original", "result", "count"],
        )


# --------------------------------------------------------------------------- reading
def _decode(data: bytes) -> tuple[str, str]:
    """Decode bytes: UTF-8 with or without BOM, UTF-16 with BOM, else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _detect_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` giving the most consistent field count.

    Each candidate parses the first 50 lines with :mod:`csv`; the score prefers more
    than one field per line and the same count on every line.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * 1000 + mode
        if score > best_score:
            best, best_score = d, score
    return best


def _detect_decimal(df: pd.DataFrame, delimiter: str) -> str:
    """``","`` when the file uses a decimal comma (only possible if ``,`` is not the delimiter)."""
    if delimiter == ",":
        return "."
    comma = dot = 0
    for c in df.columns[:200]:
        s = df[c].astype(str).head(500)
        comma += int(s.str.match(r"^\s*[+-]?\d+,\d+\s*$").sum())
        dot += int(s.str.match(r"^\s*[+-]?\d+\.\d+\s*$").sum())
    return "," if comma > dot else "."


def _empty_mask(col: pd.Series) -> np.ndarray:
    """Cells that hold nothing (blank text, None, NaN), computed on distinct values."""
    fcodes, uniques = pd.factorize(col, use_na_sentinel=True)
    empty_u = np.array([codes.norm(u) in ("", "nan", "none", "nat") for u in uniques] + [True], dtype=bool)
    return empty_u[np.where(fcodes < 0, len(uniques), fcodes)]


def _table_from_rows(rows: pd.DataFrame, filename: str, fmt: str, **meta: object) -> RawTable:
    """Turn a header-less grid (first row = header) into a :class:`RawTable`."""
    problems: list[Problem] = []
    notes: list[str] = []
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        raise CohortFileError(f"The file {filename!r} is empty: it has no header row and no patients.")
    header = [codes.text_code(v)[0] or "" for v in rows.iloc[0].tolist()]
    body = rows.iloc[1:].copy()
    body.index = pd.RangeIndex(2, 2 + len(body), name="row")
    # drop completely empty rows/columns (reported)
    empty_cell = pd.DataFrame({j: _empty_mask(body.iloc[:, j]) for j in range(body.shape[1])}, index=body.index) if len(body) else body
    keep_cols = []
    for j, name in enumerate(header):
        col_empty = bool(empty_cell.iloc[:, j].all()) if len(body) else True
        if not name and col_empty:
            continue
        if not name:
            name = f"column_{j + 1}"
            problems.append(Problem(1, name, "", f"Column {j + 1} has no header: it was named {name!r}. Give it a name in your file.", "warning"))
        keep_cols.append((j, name))
    if len(body):
        empty_rows = empty_cell.all(axis=1)
        if empty_rows.any():
            notes.append(f"{int(empty_rows.sum())} empty row(s) ignored.")
            body = body[~empty_rows]
    names = [n for _, n in keep_cols]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    for n, k in seen.items():
        if k > 1:
            problems.append(Problem(1, n, n, f"The header {n!r} appears {k} times: give each column a distinct name.", "error"))
    count: dict[str, int] = {}
    for i, n in enumerate(names):  # keep every column: later duplicates become "name (2)"
        count[n] = count.get(n, 0) + 1
        if count[n] > 1:
            names[i] = f"{n} ({count[n]})"
    data = body.iloc[:, [j for j, _ in keep_cols]]
    data.columns = names
    if len(data) == 0:
        raise CohortFileError(f"The file {filename!r} has a header row but no patient rows.")
    return RawTable(data=data, filename=filename, format=fmt, notes=tuple(notes), problems=tuple(problems), **meta)  # type: ignore[arg-type]


def read_table(source: bytes | str | Path | BinaryIO, filename: str = "", sheet: str | int | None = None) -> RawTable:
    """Read a cohort file without interpreting its values.

    Parameters
    ----------
    source : bytes, path or binary file
        The file. It is only read.
    filename : str
        Name used to choose the format (``.xlsx``/``.xlsm`` -> Excel, otherwise text)
        and in messages.
    sheet : str or int, optional
        Excel sheet (name or 0-based position); the first sheet by default.

    Returns
    -------
    RawTable

    Raises
    ------
    CohortFileError
        Empty file, unreadable Excel file, unknown sheet, ragged rows.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        filename = filename or path.name
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    if not data or not data.strip():
        raise CohortFileError(f"The file {filename or 'uploaded'!r} is empty.")
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        raw = _read_excel(data, filename, sheet)
    else:
        raw = _read_text(data, filename)
    return _redcap(raw)


def _read_text(data: bytes, filename: str) -> RawTable:
    text, encoding = _decode(data)
    delimiter = _detect_delimiter(text)
    try:
        rows = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False,
            na_filter=False, skip_blank_lines=True, engine="python" if delimiter == "|" else "c",
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = f" Row {m.group(1)} has {m.group(2)} fields while the header has fewer." if m else ""
        raise CohortFileError(
            f"The rows of {filename!r} do not all have the same number of columns.{where} "
            f"Check for a stray {delimiter!r} inside a value (quote such values) and save again."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise CohortFileError(f"The file {filename!r} is empty.") from exc
    raw = _table_from_rows(rows, filename, "csv", encoding=encoding, delimiter=delimiter)
    return RawTable(**{**raw.__dict__, "decimal": _detect_decimal(raw.data, delimiter)})


def _read_excel(data: bytes, filename: str, sheet: str | int | None) -> RawTable:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise CohortFileError(f"{filename!r} could not be opened as an Excel workbook ({type(exc).__name__}). Save it again as .xlsx or export it as CSV.") from exc
    sheets = tuple(wb.sheetnames)
    if sheet is None or sheet == "":
        name = sheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(sheets):
            raise CohortFileError(f"{filename!r} has {len(sheets)} sheet(s); there is no sheet number {sheet + 1}.")
        name = sheets[sheet]
    else:
        if sheet not in sheets:
            raise CohortFileError(f"{filename!r} has no sheet named {sheet!r}; its sheets are: {', '.join(sheets)}.")
        name = sheet
    ws = wb[name]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    width = max((len(r) for r in grid), default=0)
    rows = pd.DataFrame([r + [None] * (width - len(r)) for r in grid], dtype=object)
    if rows.empty:
        raise CohortFileError(f"The sheet {name!r} of {filename!r} is empty.")
    return _table_from_rows(rows, filename, "xlsx", sheet=name, sheets=sheets, decimal=".")


def _redcap(raw: RawTable) -> RawTable:
    """Apply REDCap export conventions (raw and label exports).

    * checkbox columns ``field___code`` (raw) and ``Field (choice=Label)`` (label) are
      binary features (``1/0`` or ``Checked/Unchecked``), renamed ``field___code``;
    * repeated-instrument rows (``redcap_repeat_instrument`` not empty) are set aside,
      since a cohort has one row per patient (the count is reported);
    * REDCap bookkeeping columns (``redcap_*``, ``*_complete``, ``*_timestamp``,
      label export ``Complete?``) are not imported (reported).
    """
    cols = list(raw.data.columns)
    lower = [c.lower() for c in cols]
    is_redcap = (
        "record_id" in lower or "record id" in lower
        or any(c.startswith("redcap_") or c.endswith("_complete") or c == "complete?" for c in lower)
        or any(REDCAP_LABEL_CHOICE.match(c) for c in cols)
        or any(CHECKBOX_RAW.match(c) for c in cols)
    )
    if not is_redcap:
        return raw
    data = raw.data
    notes = list(raw.notes)
    labels: dict[str, str] = dict(raw.labels)
    if "redcap_repeat_instrument" in lower:
        col = cols[lower.index("redcap_repeat_instrument")]
        rep = data[col].map(lambda v: codes.norm(v) not in ("", "nan", "none"))
        if rep.any():
            notes.append(f"REDCap: {int(rep.sum())} repeated-instrument row(s) set aside (a cohort has one row per patient).")
            data = data[~rep]
    meta = [c for c in cols if REDCAP_META.match(c.lower()) or c.lower() in ("complete?", "survey identifier", "survey timestamp")]
    if meta:
        notes.append("REDCap bookkeeping columns not imported: " + ", ".join(meta) + ".")
        data = data.drop(columns=meta)
    rename: dict[str, str] = {}
    for c in data.columns:
        m = REDCAP_LABEL_CHOICE.match(c)
        if m:
            new = f"{codes.slug(m['field'])}___{codes.slug(m['choice'])}"
            rename[c] = new
            labels[new] = f"{m['field'].strip()}: {m['choice'].strip()}"
        elif CHECKBOX_RAW.match(c):
            field_, code = c.split("___", 1)
            labels[c] = f"{field_}: {code}"
    if rename:
        data = data.rename(columns=rename)
    return RawTable(**{**raw.__dict__, "data": data, "format": raw.format + "+redcap", "notes": tuple(notes), "labels": labels})


# --------------------------------------------------------------------------- mapping
def _key(text: str) -> str:
    """Matching key: accent-free, lower case, punctuation collapsed to single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", codes.strip_accents(str(text)).lower()).strip()


def suggest_mapping(columns: list[str], dictionary: DataDictionary | None = None) -> dict[str, str]:
    """Pre-fill the column mapping: user column -> canonical name.

    A column maps to a canonical column when its name, accent- and punctuation-free,
    equals the canonical name, one of its :data:`core.schema.SYNONYMS` (English and
    French), or the label or a synonym of a dictionary entry. Other columns keep a
    slug of their own name (``"Myalgies (O/N)"`` -> ``myalgies_o_n``). No two columns
    get the same target: a second match falls back to its slug.
    """
    dictionary = dictionary or DataDictionary()
    table: dict[str, str] = {}
    for name, syns in SYNONYMS.items():
        table.setdefault(_key(name), name)
        for s in syns:
            table.setdefault(_key(s), name)
    for e in dictionary:
        table.setdefault(_key(e.name), e.name)
        table.setdefault(_key(e.label), e.name)
        for s in e.synonyms:
            table.setdefault(_key(s), e.name)
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in columns:
        target = table.get(_key(c))
        if target is None:
            target = c if CHECKBOX_RAW.match(c) else codes.slug(c)
        if target in used:
            target = codes.slug(c)
            while target in used:
                target += "_2"
        out[c] = target
        used.add(target)
    return out


def save_mapping(mapping: Mapping[str, str]) -> str:
    """A mapping file (JSON) the user can download and reload."""
    return json.dumps({"myoscope_mapping": 1, "columns": dict(mapping)}, ensure_ascii=False, indent=2)


def load_mapping(text: str | bytes) -> dict[str, str]:
    """Read a mapping file written by :func:`save_mapping`.

    Raises
    ------
    CohortFileError
        Not JSON, or not a mapping of column names to canonical names.
    """
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CohortFileError("The mapping file is not valid JSON: download a mapping from Myoscope and edit only the names.") from exc
    cols = obj.get("columns") if isinstance(obj, dict) else None
    if not isinstance(cols, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in cols.items()):
        raise CohortFileError('The mapping file must look like {"columns": {"your column": "canonical_name", ...}}.')
    return dict(cols)


# --------------------------------------------------------------------------- typing
def _infer_type(name: str, series: pd.Series, decimal: str) -> str:
    """Guess a column's type from its values (>= 80% parseable wins).

    Order: binary codes, dates written as dates (plain numbers count as dates only when
    the header says "date"), numbers, else categorical.
    """
    if name.startswith("anti_") or CHECKBOX_RAW.match(name):
        return "binary"
    share, n = codes.share_parseable(series, codes.binary_code)
    if n == 0:  # entirely empty column: nothing to infer from (validation warns)
        return "binary"
    if share >= 0.8:
        return "binary"
    nonnum = series[~series.astype(str).str.fullmatch(r"\s*\d+(\.\d+)?\s*")] if series.dtype == object else series.iloc[0:0]
    looks_date = "date" in name or "dt_" in name
    date_share, dn = codes.share_parseable(series if looks_date else nonnum, lambda v: codes.date_code(v))
    if dn and date_share >= 0.8 and (looks_date or dn >= 0.8 * n):
        return "date"
    num_share, _ = codes.share_parseable(series, lambda v: codes.number_code(v, decimal))
    if num_share >= 0.8:
        return "continuous"
    return "categorical"


def build_cohort(
    raw: RawTable,
    mapping: Mapping[str, str] | None = None,
    dictionary: DataDictionary | None = None,
    today: pd.Timestamp | None = None,
) -> Cohort:
    """Type, derive and validate a cohort.

    Parameters
    ----------
    raw : RawTable
        From :func:`read_table`.
    mapping : dict, optional
        User column -> canonical name; ``""`` leaves a column out. Missing entries are
        filled by :func:`suggest_mapping`.
    dictionary : DataDictionary, optional
        Known features (labels, groups, types). Columns it does not describe get an
        inferred type and their header as label.
    today : Timestamp, optional
        Reference date for "future date" warnings.

    Returns
    -------
    Cohort
        ``age_at_diagnosis`` is derived as (diagnosis − birth) days / 365.25 where it is
        missing and both dates are known; ``antibody_subtype`` is derived from the
        DM-specific antibody columns (see :func:`derive_subtype`). Every derivation and
        coercion is counted in ``coercions``.
    """
    dictionary = dictionary or DataDictionary()
    suggested = suggest_mapping(list(raw.data.columns), dictionary)
    full_map = {c: (mapping[c] if mapping is not None and c in mapping else suggested[c]) for c in raw.data.columns}
    problems: list[Problem] = list(raw.problems)
    coercions: list[Coercion] = []
    targets: dict[str, str] = {}
    for src, tgt in full_map.items():
        if not tgt:
            continue
        if tgt in targets:
            problems.append(Problem(1, src, src, f"Columns {targets[tgt]!r} and {src!r} are both mapped to {tgt!r}: map only one of them.", "error"))
            continue
        targets[tgt] = src
    if "patient_id" not in targets:
        problems.append(Problem(None, None, "", "No patient id column: add a column of patient identifiers (e.g. 'patient_id') or map one in the column mapping.", "error"))

    out: dict[str, pd.Series] = {}
    entries: list[FeatureInfo] = []
    for tgt, src in targets.items():
        series = raw.data[src]
        if tgt in CORE_COLUMNS:
            info = dictionary.get(tgt) if tgt in dictionary else CORE_COLUMNS[tgt]
            ftype = CORE_COLUMNS[tgt].type
        elif tgt in dictionary:
            info = dictionary.get(tgt)
            ftype = info.type
        else:
            ftype = _infer_type(tgt, series, raw.decimal)  # type: ignore[assignment]
            info = FeatureInfo(tgt, raw.labels.get(src, src), "antibodies" if tgt.startswith("anti_") else "other", ftype)  # type: ignore[arg-type]
        if info.type != ftype:
            info = replace(info, type=ftype)
        entries.append(info)
        if ftype == "id":
            parsed = codes.parse_text(series)
        elif ftype == "binary":
            parsed = codes.parse_binary(series)
        elif ftype == "continuous":
            parsed = codes.parse_number(series, raw.decimal)
        elif ftype == "date":
            parsed = codes.parse_date(series)
        elif ftype == "sex":
            parsed = codes.parse_sex(series)
        else:
            parsed = codes.parse_text(series)
        out[tgt] = parsed.values
        for o, r, n in parsed.coercions:
            coercions.append(Coercion(tgt, o, r or "missing", n))
        if parsed.invalid.any():
            required = tgt in CORE_COLUMNS
            severity = "error" if (required or ftype == "binary") else "warning"
            what = {
                "binary": "is not a yes/no code: use 1/0, yes/no, oui/non, positive/negative (blank or NA if unknown)",
                "continuous": "is not a number: write it as a number (decimal point or comma), or leave it blank",
                "date": "is not a date: write it as yyyy-mm-dd or dd/mm/yyyy",
            }.get(ftype, "could not be read")
            tail = "" if severity == "error" else " It is treated as missing."
            bad = parsed.invalid[parsed.invalid].index
            shown = bad[:500]
            for r in shown:
                problems.append(Problem(int(r), src, str(series[r]).strip(), f"Value {what}.{tail}", severity))  # type: ignore[arg-type]
            if len(bad) > len(shown):
                problems.append(Problem(None, src, "", f"... and {len(bad) - len(shown)} more unreadable value(s) in this column.", severity))  # type: ignore[arg-type]

    df = pd.DataFrame(out, index=raw.data.index)
    if "patient_id" in df:
        df["patient_id"] = df["patient_id"].astype(object)

    # derived columns ------------------------------------------------------------------
    if {"birth_date", "diagnosis_date"} <= set(df.columns):
        derived = (df["diagnosis_date"] - df["birth_date"]).dt.days / 365.25
        if "age_at_diagnosis" not in df:
            df["age_at_diagnosis"] = derived
            entries.append(CORE_COLUMNS["age_at_diagnosis"])
            n = int(derived.notna().sum())
            if n:
                coercions.append(Coercion("age_at_diagnosis", "birth_date, diagnosis_date", "derived: (diagnosis − birth) days / 365.25", n))
        else:
            fill = df["age_at_diagnosis"].isna() & derived.notna()
            if fill.any():
                df.loc[fill, "age_at_diagnosis"] = derived[fill]
                coercions.append(Coercion("age_at_diagnosis", "missing age, dates known", "derived: (diagnosis − birth) days / 365.25", int(fill.sum())))
    df["antibody_subtype"] = derive_subtype(df)
    entries.append(CORE_COLUMNS["antibody_subtype"])
    dict_out = DataDictionary(tuple(entries))

    problems += validate_cohort(df, dict_out, source_names=targets, today=today.date() if today is not None else None)
    return Cohort(df, dict_out, tuple(problems), tuple(coercions), full_map, raw)


def derive_subtype(df: pd.DataFrame) -> pd.Series:
    """The antibody subtype of each patient from the DM-specific antibody columns.

    The single positive DM-specific antibody (``Mi2``, ``MDA5``, ``TIF1g``, ``NXP2``,
    ``SAE``); ``multiple`` when more than one is positive; ``seronegative`` when at
    least one was tested and all tested are negative; ``untested`` when none was tested
    (or the cohort has no antibody columns). Other ``anti_*`` columns do not enter.
    """
    cols = [c for c in DM_ANTIBODIES if c in df]
    if not cols:
        return pd.Series("untested", index=df.index, dtype=object)
    vals = df[cols].to_numpy(dtype=float)
    pos = np.nansum(vals == 1, axis=1)
    tested = np.sum(~np.isnan(vals), axis=1)
    first = np.argmax(vals == 1, axis=1)
    labels = np.array([DM_ANTIBODIES[c] for c in cols], dtype=object)
    out = np.where(pos > 1, "multiple", np.where(pos == 1, labels[first], np.where(tested > 0, "seronegative", "untested")))
    return pd.Series(out, index=df.index, dtype=object)


# --------------------------------------------------------------------------- dictionary + sample
def load_dictionary(source: bytes | str | Path) -> DataDictionary:
    """Read a data dictionary CSV: ``name,label,group,type[,unit,synonyms,description]``.

    ``synonyms`` is a ``|``-separated list of other headers for the column (used by the
    column mapping, e.g. French labels).

    Raises
    ------
    CohortFileError
        Missing columns or an unknown type (the message names the row).
    """
    raw = read_table(source, filename=str(source) if isinstance(source, (str, Path)) else "dictionary.csv")
    df = raw.data
    need = {"name", "label", "group", "type"}
    if not need <= set(df.columns):
        raise CohortFileError(f"A data dictionary needs the columns {', '.join(sorted(need))}; found {', '.join(df.columns)}.")
    allowed = {"binary", "continuous", "categorical", "date", "sex", "id", "text"}
    entries = []
    for r, row in df.iterrows():
        t = str(row["type"]).strip()
        if t not in allowed:
            raise CohortFileError(f"Data dictionary row {r}: type {t!r} is not one of {', '.join(sorted(allowed))}.")
        syn = str(row.get("synonyms", "") or "")
        entries.append(
            FeatureInfo(
                name=str(row["name"]).strip(), label=str(row["label"]).strip(),
                group=str(row["group"]).strip() or "other", type=t,  # type: ignore[arg-type]
                unit=str(row.get("unit", "") or "").strip(),
                description=str(row.get("description", "") or "").strip(),
                synonyms=tuple(s.strip() for s in syn.split("|") if s.strip()),
            )
        )
    return DataDictionary(tuple(entries))


def read_cohort(
    source: bytes | str | Path | BinaryIO,
    filename: str = "",
    mapping: Mapping[str, str] | None = None,
    dictionary: DataDictionary | None = None,
    sheet: str | int | None = None,
) -> Cohort:
    """Read, type and validate a cohort file in one call (see :func:`build_cohort`).

    A file that cannot be read at all gives a cohort with no rows and one error
    problem instead of an exception.
    """
    try:
        raw = read_table(source, filename, sheet)
    except CohortFileError as exc:
        empty = RawTable(pd.DataFrame(), filename=filename)
        return Cohort(pd.DataFrame(), DataDictionary(), (Problem(None, None, "", str(exc), "error"),), (), {}, empty)
    return build_cohort(raw, mapping, dictionary)


def sample_dictionary() -> DataDictionary:
    """The data dictionary of the bundled sample cohort."""
    return load_dictionary(SAMPLE_DIR / "dictionary.csv")


def load_sample_cohort() -> Cohort:
    """The bundled synthetic sample cohort (119 patients, see ``sample_data/README.md``)."""
    return read_cohort(SAMPLE_DIR / "cohort.csv", dictionary=sample_dictionary())


def load_sample_events() -> pd.DataFrame:
    """The bundled long-format events table of the sample cohort (raw text cells)."""
    return pd.read_csv(SAMPLE_DIR / "events.csv", dtype=str, keep_default_na=False)


def cleaned_csv(cohort: Cohort) -> bytes:
    """The typed cohort as UTF-8 CSV (ISO dates, 1/0 binaries), for download."""
    df = cohort.data.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return df.to_csv(index=False).encode("utf-8")


__all__ = [
    "Cohort",
    "CohortFileError",
    "RawTable",
    "build_cohort",
    "cleaned_csv",
    "derive_subtype",
    "load_dictionary",
    "load_mapping",
    "load_sample_cohort",
    "load_sample_events",
    "read_cohort",
    "read_table",
    "sample_dictionary",
    "save_mapping",
    "suggest_mapping",
]
