"""Reading cohort files: CSV/TSV/XLSX and REDCap exports, column mapping, typing.

The pipeline is ``read_table`` (bytes -> :class:`RawTable` of text cells) ->
``suggest_mapping`` (user column -> canonical name) -> ``build_cohort`` (typed
:class:`Cohort` with its problems and every coercion counted). The user's file is only
read, never written. See :mod:`core.codes` for the accepted codes.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from core import codes, reader
from core.codes import Coercion
from core.constants import DAYS_PER_YEAR
from core.i18n import _, n_
from core.reader import InputFileError, RawTable, ReadLimits
from core.resources import SAMPLE_DIR
from core.safe_text import neutralise_frame
from core.schema import (
    CORE_COLUMNS,
    DM_ANTIBODIES,
    SUBTYPE_LABELS,
    SUBTYPE_VALUES,
    SYNONYMS,
    DataDictionary,
    FeatureInfo,
)
from core.validate import Problem, validate_cohort

REDCAP_META = re.compile(r"^(redcap_event_name|redcap_repeat_instrument|redcap_repeat_instance|redcap_data_access_group|redcap_survey_identifier|.+_complete|.+_timestamp)$")
REDCAP_LABEL_CHOICE = re.compile(r"^(?P<field>.+?)\s*\(choice=(?P<choice>.+)\)\s*$")
CHECKBOX_RAW = re.compile(r"^[a-z0-9_]+___[a-z0-9_]+$")


#: Errors reading a cohort file are the shared reader's.
CohortFileError = InputFileError


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
        """Whether the file has any error (some view may still run: see :meth:`blocking`)."""
        return any(p.severity == "error" for p in self.problems)

    def blocking(self, columns: Iterable[str] | None = ()) -> list[Problem]:
        """Errors that stop a view using ``columns`` (canonical names).

        Errors about the whole file or the patient ids stop every view; an error in a
        column's values stops only the views that use that column. ``columns=None``
        means every column.
        """
        used = None if columns is None else set(columns) | {"patient_id"}
        return [p for p in self.errors if p.field is None or used is None or p.field in used]

    def coercions_frame(self) -> pd.DataFrame:
        """Coercions as a DataFrame (column, original, result, count)."""
        return pd.DataFrame(
            [(c.column, c.original, c.result, c.count) for c in self.coercions],
            columns=["column", "original", "result", "count"],
        )


# --------------------------------------------------------------------------- reading
def read_table(source: bytes | str | Path | BinaryIO, filename: str = "", sheet: str | int | None = None,
               limits: ReadLimits | None = None, progress: reader.Progress | None = None,
               categorical: bool = True) -> RawTable:
    """Read a cohort file without interpreting its values.

    The shared reader (:func:`core.reader.read_table`: encoding, delimiter, decimal mark,
    Excel sheets, limits), then the REDCap export conventions (:func:`_redcap`). The
    columns of a text file are categories of their texts (``categorical``): the cohort is
    typed on distinct values and a large file takes far less memory.

    Raises
    ------
    CohortFileError
        Empty, too large, undecodable or damaged file, unknown sheet.
    """
    return _redcap(reader.read_table(source, filename, sheet, limits, progress, categorical))


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
        rep = np.asarray(data[col].map(lambda v: codes.norm(v) not in ("", "nan", "none")), dtype=bool)
        if rep.any():
            notes.append(n_("REDCap: {n} repeated-instrument row(s) set aside (a cohort has one row per patient).",
                            "REDCap: {n} repeated-instrument row(s) set aside (a cohort has one row per patient).",
                            int(rep.sum())))
            data = data[~rep]
    meta = [c for c in cols if REDCAP_META.match(c.lower()) or c.lower() in ("complete?", "survey identifier", "survey timestamp")]
    if meta:
        notes.append(_("REDCap bookkeeping columns not imported: {columns}.", columns=", ".join(meta)))
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


def save_mapping(mapping: Mapping[str, str], types: Mapping[str, str] | None = None) -> str:
    """A mapping file (JSON) the user can download and reload: columns, and the types
    chosen instead of the guesses (``{"columns": {...}, "types": {...}}``)."""
    return json.dumps({"myoscope_mapping": 1, "columns": dict(mapping), "types": dict(types or {})},
                      ensure_ascii=False, indent=2)


def load_mapping(source: str | bytes) -> tuple[dict[str, str], dict[str, str]]:
    """Read a mapping file written by :func:`save_mapping`: ``(columns, types)``.

    The bytes go through the shared reader's size limit and decoding
    (:func:`core.reader.source_bytes`, :func:`core.reader.decode`).

    Raises
    ------
    CohortFileError
        Too large, not JSON, not a mapping of column names to canonical names, or an
        unknown type.
    """
    data, _name = reader.source_bytes(source.encode("utf-8") if isinstance(source, str) else source, "mapping.json")
    text, _enc, _notes = reader.decode(data, "mapping.json")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise CohortFileError(_("The mapping file is not valid JSON: download a mapping from Myoscope and edit only the names.")) from exc
    cols = obj.get("columns") if isinstance(obj, dict) else None
    if not isinstance(cols, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in cols.items()):
        raise CohortFileError(_('The mapping file must look like {example}.', example='{"columns": {"your column": "canonical_name", ...}}'))
    types = obj.get("types") or {}
    if not isinstance(types, dict) or not all(isinstance(v, str) and v in FEATURE_TYPES for v in types.values()):
        raise CohortFileError(_("The mapping file's types must each be one of {types}.", types=", ".join(FEATURE_TYPES)))
    return dict(cols), {str(k): str(v) for k, v in types.items()}


#: Mapping editor: a column left out.
NOT_IMPORTED = "(not imported)"


def mapping_table(mapping: Mapping[str, str], dictionary: DataDictionary, types: Mapping[str, str]) -> pd.DataFrame:
    """The editor's rows: your column, the Myoscope column, its type (chosen or guessed)."""
    rows = [(src, tgt or NOT_IMPORTED, types.get(tgt) or (dictionary.get(tgt).type if tgt else "text"))
            for src, tgt in mapping.items()]
    table = pd.DataFrame(rows, columns=["Your column", "Myoscope column", "Type"])
    table["Type"] = table["Type"].where(table["Type"].isin(FEATURE_TYPES), "text")
    return table


def mapping_from_table(edited: pd.DataFrame, dictionary: DataDictionary, types: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Mapping and type overrides from the edited rows (a type equal to the current one is no override)."""
    new_map: dict[str, str] = {}
    new_types = dict(types)
    for _i, r in edited.iterrows():
        tgt = "" if r["Myoscope column"] == NOT_IMPORTED else str(r["Myoscope column"])
        new_map[str(r["Your column"])] = tgt
        if tgt and tgt not in CORE_COLUMNS and r["Type"] != (types.get(tgt) or dictionary.get(tgt).type):
            new_types[tgt] = str(r["Type"])
    return new_map, new_types


# --------------------------------------------------------------------------- typing
#: A numeric column with at most this many distinct values (each repeated) is ordinal.
ORDINAL_MAX_LEVELS = 10
#: A text column with at most this many distinct values is categorical (else free text).
CATEGORICAL_MAX_LEVELS = 30
FEATURE_TYPES = ("binary", "continuous", "ordinal", "categorical", "date", "text")


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype)


_EDGE_SPACE = re.compile(r"\x00\s|\s\x00")


def _clean_texts(texts: np.ndarray) -> bool:
    """Whether no text needs :func:`core.codes.parse_text`'s care: none padded with spaces,
    none holding a non-breaking space, none a missing code but the blank.

    Checked on one joined string (C-speed string searches instead of a Python call per
    text: a patient-id column has as many texts as rows). A CSV cell never holds a NUL
    (the reader refuses it), so NUL separates them.
    """
    joined = "\x00" + "\x00".join(texts) + "\x00"
    if "\u00a0" in joined or _EDGE_SPACE.search(joined):
        return False
    lowered = joined.lower()
    return not any(f"\x00{code}\x00" in lowered for code in codes.MISSING_CODES if code)


def _parse_text(series: pd.Series, decimal: str = ".") -> codes.Parsed:
    """:func:`core.codes.parse_text` (stripped text, missing codes to None, each counted),
    done once per text of a categorical column and spread over the rows by its codes."""
    if not _is_categorical(series) or pd.api.types.infer_dtype(series.cat.categories, skipna=False) != "string":
        return codes.parse_text(series)
    texts = np.asarray(series.cat.categories, dtype=object)
    fcodes = series.cat.codes.to_numpy()
    if len(texts) and _clean_texts(texts):
        missing = texts == ""
        values = np.where(missing, None, texts)
    else:
        values = codes.parse_text(pd.Series(texts, dtype=object)).values.to_numpy(dtype=object)
        missing = pd.isna(values)
    counts = np.bincount(fcodes[fcodes >= 0], minlength=len(texts))
    tally: dict[str, int] = {}
    for i in np.flatnonzero(missing & (counts > 0)):
        stripped = str(texts[i]).replace("\u00a0", " ").strip()
        if stripped and stripped.lower() != "nan":
            tally[stripped] = tally.get(stripped, 0) + int(counts[i])
    coercions = [(o, "missing", c) for o, c in sorted(tally.items(), key=lambda kv: -kv[1])]
    spread = np.append(values, None).astype(object)[fcodes]  # code -1 (no value) -> None
    return codes.Parsed(pd.Series(spread, index=series.index), pd.Series(False, index=series.index), coercions)


def _parse_date(series: pd.Series, decimal: str = ".") -> codes.Parsed:
    """:func:`core.codes.parse_date`; for a categorical column the day-first question is
    asked of its distinct texts in use, not of every cell turned into a Python object."""
    if not _is_categorical(series):
        return codes.parse_date(series)
    fcodes = series.cat.codes.to_numpy()
    used = np.flatnonzero(np.bincount(fcodes[fcodes >= 0], minlength=len(series.cat.categories)))
    day_first = codes.detect_day_first(pd.Series(np.asarray(series.cat.categories, dtype=object)[used]))
    # the same generic distinct-value parser parse_date uses (a categorical factorizes at no cost)
    return codes._parse_with(series, lambda v: codes.date_code(v, day_first), pd.NaT, "datetime64[ns]")


_PARSERS = {
    "id": _parse_text,
    "binary": lambda s, dec: codes.parse_binary(s),
    "continuous": lambda s, dec: codes.parse_number(s, dec),
    "ordinal": lambda s, dec: codes.parse_number(s, dec),
    "date": _parse_date,
    "sex": lambda s, dec: codes.parse_sex(s),
}
def _what(ftype: str) -> str:
    """Why a cell of type ``ftype`` could not be read, and how to fix it (one sentence)."""
    return {
        "binary": lambda: _("Value is not a yes/no code: use 1/0, yes/no, oui/non, positive/negative (blank or NA if unknown)."),
        "continuous": lambda: _("Value is not a number: write it as a number (decimal point or comma), or leave it blank."),
        "ordinal": lambda: _("Value is not a number: write the level as a number, or leave it blank."),
        "date": lambda: _("Value is not a date: write it as yyyy-mm-dd or dd/mm/yyyy."),
    }.get(ftype, lambda: _("Value could not be read."))()


def _numeric_kind(values: np.ndarray, n: int) -> str:
    """``binary`` (only 0/1), ``ordinal`` (few repeated levels, whole or half numbers) or ``continuous``."""
    levels = np.unique(values)
    if set(levels.tolist()) <= {0.0, 1.0}:
        return "binary"
    few = len(levels) <= ORDINAL_MAX_LEVELS and 3 * len(levels) <= n
    if few and np.all(np.mod(levels * 2, 1) == 0):
        return "ordinal"
    return "continuous"


def infer_type(name: str, series: pd.Series, decimal: str = ".") -> str:
    """Guess a column's type from what its values are.

    Rules (documented in the README, "How columns are typed"):

    1. ``anti_*`` and REDCap checkbox columns are binary.
    2. Every value a number: only 0 and 1 -> binary; at most
       :data:`ORDINAL_MAX_LEVELS` distinct whole or half numbers, each seen about three
       times or more (grades 0/1/2, stage 1–4, ECOG, 0/0.5/1) -> ordinal; otherwise
       continuous (MMT-8, CK). A header saying "date" with Excel serial numbers -> date.
    3. At least 80 % yes/no codes (oui/non, positive/negative, ...) -> binary.
    4. At least 80 % dates -> date. At least 80 % numbers -> continuous.
    5. Otherwise text: categorical with at most :data:`CATEGORICAL_MAX_LEVELS`
       distinct values, free text beyond.

    An entirely empty column is binary (it carries no information; validation warns).
    A guess never blocks an analysis: values that do not fit it are reported as warnings
    and read as missing. Override a guess in the Cohort page's mapping (column "Type")
    or with a data dictionary (``--dictionary``).
    """
    if name.startswith("anti_") or CHECKBOX_RAW.match(name):
        return "binary"
    parsed = codes.parse_number(series, decimal)
    known = parsed.values.notna()
    n_num, n_bad = int(known.sum()), int(parsed.invalid.sum())
    if n_num + n_bad == 0:
        return "binary"
    looks_date = "date" in name or "dt_" in name
    if n_bad == 0:
        if looks_date and codes.share_parseable(series, codes.date_code)[0] == 1.0:
            return "date"
        return _numeric_kind(parsed.values[known].to_numpy(dtype=float), n_num)
    share, _parsed = codes.share_parseable(series, codes.binary_code)
    if share >= 0.8:
        return "binary"
    total = n_num + n_bad
    if looks_date and codes.share_parseable(series, codes.date_code)[0] >= 0.8:
        return "date"
    if n_num >= 0.8 * total:
        return "continuous"
    # plain numbers are Excel serial dates only under a "date" header: judge the other cells
    date_share, n_dates = codes.share_parseable(series[parsed.invalid.to_numpy()], codes.date_code)
    if date_share >= 0.8 and n_dates >= 0.8 * total:
        return "date"
    distinct = _parse_text(series).values.nunique()
    return "categorical" if distinct <= CATEGORICAL_MAX_LEVELS else "text"


def _resolve_targets(raw: RawTable, mapping: Mapping[str, str] | None, dictionary: DataDictionary) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """The full mapping (user column -> canonical) and canonical -> user column."""
    suggested = suggest_mapping(list(raw.data.columns), dictionary)
    full_map = {c: (mapping[c] if mapping is not None and c in mapping else suggested[c]) for c in raw.data.columns}
    problems: list[Problem] = []
    targets: dict[str, str] = {}
    for src, tgt in full_map.items():
        if not tgt:
            continue
        if tgt in targets:
            problems.append(Problem(1, src, src, _("Columns {first!r} and {second!r} are both mapped to {target!r}: map only one of them.",
                                                   first=targets[tgt], second=src, target=tgt), "error"))
            continue
        targets[tgt] = src
    if "patient_id" not in targets:
        problems.append(Problem(None, None, "", _("No patient id column: add a column of patient identifiers (e.g. 'patient_id') or map one in the column mapping."), "error"))
    return full_map, targets, problems


def _column_info(tgt: str, src: str, series: pd.Series, raw: RawTable, dictionary: DataDictionary,
                 types: Mapping[str, str]) -> tuple[FeatureInfo, bool]:
    """A column's dictionary entry and whether its type was declared (not guessed)."""
    if tgt in CORE_COLUMNS:
        info = dictionary.get(tgt) if tgt in dictionary else CORE_COLUMNS[tgt]
        return replace(info, type=CORE_COLUMNS[tgt].type), True
    if tgt in types and types[tgt] in FEATURE_TYPES:
        base = dictionary.get(tgt) if tgt in dictionary else FeatureInfo(tgt, raw.labels.get(src, src), "other", "text")
        return replace(base, type=types[tgt]), True  # type: ignore[arg-type]
    if tgt in dictionary:
        return dictionary.get(tgt), True
    ftype = infer_type(tgt, series, raw.decimal)
    group = "antibodies" if tgt.startswith("anti_") else "other"
    return FeatureInfo(tgt, raw.labels.get(src, src), group, ftype), False  # type: ignore[arg-type]


def _value_problems(tgt: str, src: str, series: pd.Series, parsed: codes.Parsed, ftype: str, declared: bool,
                    blocking: bool) -> list[Problem]:
    """One problem per unreadable cell.

    An error (it stops the views that use the column) in core columns and in declared
    yes/no columns; otherwise a warning, and the cell is read as missing.
    """
    severity = "error" if blocking else "warning"
    what = _what(ftype)
    if blocking:
        message = _("{what} Correct the value, or change the column's type in the mapping.", what=what)
    elif declared:
        message = _("{what} It is treated as missing.", what=what)
    else:
        message = _("{what} It is treated as missing. The column was guessed to be {type}: if it is not, change its type "
                    "in the Cohort page's mapping (or with --dictionary).", what=what, type=ftype)
    bad = parsed.invalid[parsed.invalid].index
    problems = [Problem(int(r), src, str(series[r]).strip(), message, severity, tgt) for r in bad[:500]]  # type: ignore[arg-type]
    if len(bad) > 500:
        problems.append(Problem(None, src, "", n_("... and {n} more unreadable value(s) in this column.",
                                                  "... and {n} more unreadable value(s) in this column.", len(bad) - 500),
                                severity, tgt))  # type: ignore[arg-type]
    return problems


def _derived_text() -> str:
    """What a derived age is (the coercion list)."""
    return _("derived: (diagnosis − birth) days / 365.25")


def _coercion_text(result: str) -> str:
    """The result of a conversion as the user reads it (``codes`` describes it in English)."""
    if not result or result == "missing":
        return _("missing")
    if result.startswith("date read as "):
        return _("date read as {format}", format=result.removeprefix("date read as "))
    known = {"decimal comma / thousands separator": lambda: _("decimal comma / thousands separator"),
             "Excel serial date": lambda: _("Excel serial date")}
    return known[result]() if result in known else result


def _derive_age(df: pd.DataFrame, entries: list[FeatureInfo], coercions: list[Coercion]) -> None:
    """Age at diagnosis = (diagnosis − birth) days / 365.25 where missing and both dates are known."""
    if not {"birth_date", "diagnosis_date"} <= set(df.columns):
        return
    derived = (df["diagnosis_date"] - df["birth_date"]).dt.days / DAYS_PER_YEAR
    if "age_at_diagnosis" not in df:
        df["age_at_diagnosis"] = derived
        entries.append(CORE_COLUMNS["age_at_diagnosis"])
        n = int(derived.notna().sum())
        if n:
            coercions.append(Coercion("age_at_diagnosis", "birth_date, diagnosis_date", _derived_text(), n))
        return
    fill = df["age_at_diagnosis"].isna() & derived.notna()
    if fill.any():
        df.loc[fill, "age_at_diagnosis"] = derived[fill]
        coercions.append(Coercion("age_at_diagnosis", _("missing age, dates known"), _derived_text(), int(fill.sum())))


def _subtype_column(df: pd.DataFrame, targets: dict[str, str], problems: list[Problem]) -> None:
    """Derive ``antibody_subtype``; a column of the file with that name is compared, not trusted."""
    derived = derive_subtype(df)
    if "antibody_subtype" in df and not any(c in df for c in DM_ANTIBODIES):
        df["antibody_subtype"] = _subtype_from_text(df["antibody_subtype"], targets, problems)
        return
    if "antibody_subtype" in df:
        given = df["antibody_subtype"]
        differ = given.notna() & (given.astype(str) != derived.astype(str))
        if differ.any():
            problems.append(Problem(None, targets.get("antibody_subtype", "antibody_subtype"), "",
                                    n_("The file's antibody subtype differs from the one derived from the antibody columns in "
                                       "{n} row(s) (first: row {row}); the derived one is used.",
                                       "The file's antibody subtype differs from the one derived from the antibody columns in "
                                       "{n} row(s) (first: row {row}); the derived one is used.",
                                       int(differ.sum()), row=int(differ[differ].index[0])),
                                    "warning", "antibody_subtype"))
    df["antibody_subtype"] = derived


def _subtype_from_text(given: pd.Series, targets: dict[str, str], problems: list[Problem]) -> pd.Series:
    """A file's own subtype column (no antibody columns to derive it from), read as subtypes."""
    lookup = {codes.norm(v): v for v in SUBTYPE_VALUES}
    lookup.update({codes.norm(lbl): v for v, lbl in SUBTYPE_LABELS.items()})
    lookup.update({codes.norm(v).replace("anti-", "").replace("anti ", ""): v for v in list(lookup.values())})

    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "untested"
        key = codes.norm(v).replace("anti-", "").replace("anti ", "").replace("anti_", "")
        return lookup.get(key, lookup.get(codes.norm(v)))

    out = given.map(one)
    bad = out.isna()
    for r in bad[bad].index[:200]:
        problems.append(Problem(int(r), targets.get("antibody_subtype", "antibody_subtype"), str(given[r]),
                                _("Unknown antibody subtype: use one of {subtypes}. Read as untested.", subtypes=", ".join(SUBTYPE_VALUES)),
                                "warning", "antibody_subtype"))
    return out.fillna("untested").astype(object)


def build_cohort(
    raw: RawTable,
    mapping: Mapping[str, str] | None = None,
    dictionary: DataDictionary | None = None,
    today: pd.Timestamp | None = None,
    types: Mapping[str, str] | None = None,
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
        Known features (labels, groups, types). Columns it does not describe get a type
        guessed by :func:`infer_type` and their header as label.
    today : Timestamp, optional
        Reference date for "future date" warnings.
    types : dict, optional
        Canonical name -> type, overriding the dictionary and the guess (the Cohort
        page's "Type" column).

    Returns
    -------
    Cohort
        ``age_at_diagnosis`` is derived as (diagnosis − birth) days / 365.25 where it is
        missing and both dates are known; ``antibody_subtype`` is derived from the
        DM-specific antibody columns (see :func:`derive_subtype`). Every derivation and
        coercion is counted in ``coercions``.
    """
    dictionary = dictionary or DataDictionary()
    full_map, targets, problems = _resolve_targets(raw, mapping, dictionary)
    problems = list(raw.problems) + problems
    coercions: list[Coercion] = []
    out: dict[str, pd.Series] = {}
    entries: list[FeatureInfo] = []
    for tgt, src in targets.items():
        series = raw.data[src]
        info, declared = _column_info(tgt, src, series, raw, dictionary, types or {})
        entries.append(info)
        parsed = _PARSERS.get(info.type, _parse_text)(series, raw.decimal)
        out[tgt] = parsed.values
        coercions += [Coercion(tgt, o, _coercion_text(r), n) for o, r, n in parsed.coercions]
        if parsed.invalid.any():
            blocking = tgt in CORE_COLUMNS or (declared and info.type == "binary")
            problems += _value_problems(tgt, src, series, parsed, info.type, declared, blocking)
    df = pd.DataFrame(out, index=raw.data.index, copy=False)  # no consolidated copy of every column
    if "patient_id" in df:
        df["patient_id"] = df["patient_id"].astype(object)
    _derive_age(df, entries, coercions)
    _subtype_column(df, targets, problems)
    if "antibody_subtype" not in [e.name for e in entries]:
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
def load_dictionary(source: bytes | str | Path, limits: ReadLimits | None = None) -> DataDictionary:
    """Read a data dictionary CSV: ``name,label,group,type[,unit,synonyms,description]``.

    ``synonyms`` is a ``|``-separated list of other headers for the column (used by the
    column mapping, e.g. French labels).

    Raises
    ------
    CohortFileError
        Missing columns or an unknown type (the message names the row).
    """
    raw = read_table(source, filename=str(source) if isinstance(source, (str, Path)) else "dictionary.csv", limits=limits,
                     categorical=False)
    df = raw.data
    need = {"name", "label", "group", "type"}
    if not need <= set(df.columns):
        raise CohortFileError(_("A data dictionary needs the columns {needed}; found {found}.",
                                needed=", ".join(sorted(need)), found=", ".join(df.columns)))
    allowed = {"binary", "continuous", "ordinal", "categorical", "date", "sex", "id", "text"}
    entries = []
    for r, row in df.iterrows():
        t = str(row["type"]).strip()
        if t not in allowed:
            raise CohortFileError(_("Data dictionary row {row}: type {type!r} is not one of {types}.",
                                    row=r, type=t, types=", ".join(sorted(allowed))))
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
    """The data dictionary of the bundled sample cohort (read once per version of the
    file: a :class:`DataDictionary` is immutable, so every caller can share it)."""
    path = SAMPLE_DIR / "dictionary.csv"
    return _bundled_dictionary(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _bundled_dictionary(path: Path, mtime_ns: int) -> DataDictionary:
    return load_dictionary(path, limits=ReadLimits())  # bundled: not the user's limits


def load_sample_cohort() -> Cohort:
    """The bundled synthetic sample cohort (119 patients, see ``sample_data/README.md``)."""
    return read_cohort(SAMPLE_DIR / "cohort.csv", dictionary=sample_dictionary())


def load_sample_events() -> pd.DataFrame:
    """The bundled long-format events table of the sample cohort (raw text cells)."""
    return read_table(SAMPLE_DIR / "events.csv", limits=ReadLimits(), categorical=False).data.reset_index(drop=True)


def cleaned_csv(cohort: Cohort) -> bytes:
    """The typed cohort as UTF-8 CSV (ISO dates, 1/0 binaries), for download; text cells
    that a spreadsheet would run as formulas are neutralised (:mod:`core.safe_text`)."""
    df = cohort.data.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return neutralise_frame(df).to_csv(index=False).encode("utf-8")


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
