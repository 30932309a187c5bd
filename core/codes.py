"""Parsing of the codes clinicians type in spreadsheets: yes/no, missing, numbers, dates, sex.

Every parser works on the *unique* values of a column (``pandas.factorize``) so a
100,000-row column with a few hundred distinct values costs a few hundred Python calls.
Each parser returns the parsed column **and** a tally of what was coerced, so nothing is
changed silently: :mod:`core.io` turns the tallies into the import report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

#: Values read as missing (compared case-insensitively after stripping spaces).
MISSING_CODES: frozenset[str] = frozenset(
    {"", "na", "n/a", "nd", "nr", "?", "-", "nan", "#n/a", "null", "n.d.", "n.a.", "nk", "none", "<na>", "nat", "nil"}
)
#: Values read as 1 (compared case-insensitively, accents kept and removed).
TRUE_CODES: frozenset[str] = frozenset(
    {
        "1", "1.0", "yes", "y", "oui", "o", "true", "vrai", "checked", "positive", "pos",
        "positif", "positifs", "positive(s)", "+", "present", "présent", "presente",
        "présente", "x",
    }
)
#: Values read as 0.
FALSE_CODES: frozenset[str] = frozenset(
    {
        "0", "0.0", "no", "n", "non", "false", "faux", "unchecked", "negative", "neg",
        "négatif", "negatif", "négative", "negative(s)", "\u2212", "absent", "absente",
    }
)
#: Sex codes.
FEMALE_CODES: frozenset[str] = frozenset({"f", "female", "femme", "woman", "w", "féminin", "feminin", "fille"})
MALE_CODES: frozenset[str] = frozenset({"m", "male", "homme", "h", "man", "masculin", "garçon", "garcon"})

EXCEL_EPOCH = datetime(1899, 12, 30)
#: Plausible years of a clinical date (others are not read as dates).
MIN_YEAR, MAX_YEAR = 1800, 2200
#: Coercion results that are codes (reported value by value); other results are formats.
CODE_RESULTS = frozenset({"1", "0", "missing", "F", "M"})


@dataclass(frozen=True)
class Coercion:
    """One kind of value conversion applied to a column, with its count.

    Attributes
    ----------
    column : str
        Canonical column name.
    original : str
        The value (or pattern) as found in the file, e.g. ``"oui"`` or ``"dd/mm/yyyy"``.
    result : str
        What it became, e.g. ``"1"`` or ``"missing"``.
    count : int
        Number of cells converted this way.
    """

    column: str
    original: str
    result: str
    count: int


def norm(value: object) -> str:
    """Lower-case, stripped text of a cell (non-breaking spaces too)."""
    return str(value).replace("\u00a0", " ").strip().lower()


def strip_accents(text: str) -> str:
    """``"Âge au diagnostic"`` -> ``"Age au diagnostic"``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(text: str) -> str:
    """A canonical-looking column name: ASCII, lower case, ``_`` separated."""
    s = strip_accents(str(text)).lower()
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    if not s:
        s = "column"
    if s[0].isdigit():
        s = "c_" + s
    return s


def is_missing_code(value: object) -> bool:
    """True for NaN/None and for the textual missing codes of :data:`MISSING_CODES`."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT:
        return True
    return norm(value) in MISSING_CODES


@dataclass(frozen=True)
class Parsed:
    """Result of parsing one column.

    Attributes
    ----------
    values : pandas.Series
        Parsed values (float64, datetime64[ns] or object).
    invalid : pandas.Series
        Boolean mask of cells that were not missing but could not be parsed
        (they are NaN/NaT in ``values`` and must be reported).
    coercions : list[tuple[str, str, int]]
        ``(original, result, count)`` conversions worth reporting.
    """

    values: pd.Series
    invalid: pd.Series
    coercions: list[tuple[str, str, int]]


def _parse_with(series: pd.Series, fn: Callable[[object], tuple[object, str | None, str]], empty: object, dtype: str | None) -> Parsed:
    """Generic unique-value parser. ``fn(v) -> (parsed, status, result_text)``.

    ``status``: ``"ok"`` (as typed), ``"coerced"`` (report), ``"missing"`` (missing code,
    report unless blank/NaN) or ``"invalid"``.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    out_u: list[object] = []
    bad_u = np.zeros(len(uniques) + 1, dtype=bool)
    tally: Counter[tuple[str, str]] = Counter()
    examples: dict[str, str] = {}
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques)) if len(uniques) else np.zeros(0, int)
    for i, u in enumerate(uniques):
        value, status, result = fn(u)
        out_u.append(value if status in ("ok", "coerced") else empty)
        if status == "invalid":
            bad_u[i] = True
        elif status == "coerced" or (status == "missing" and norm(u) not in ("", "nan")):
            if result in CODE_RESULTS:  # a code: report each code found
                tally[(str(u).strip(), result)] += int(counts[i])
            else:  # a format (dates, numbers): one line per format, with an example
                examples.setdefault(result, str(u).strip())
                tally[(f"e.g. {examples[result]}", result)] += int(counts[i])
    out_u.append(empty)  # sentinel for NaN codes (-1)
    take = np.where(codes < 0, len(uniques), codes)
    values = pd.Series(_typed(out_u, dtype)[take], index=series.index)
    invalid = pd.Series(bad_u[take], index=series.index)
    return Parsed(values, invalid, [(o, r, c) for (o, r), c in sorted(tally.items(), key=lambda kv: -kv[1])])


_NAT_INT = np.iinfo(np.int64).min


def _typed(values: list[object], dtype: str | None) -> np.ndarray:
    """The parsed distinct values as an array of the final dtype (converted once, on the
    distinct values, before they are spread over the rows)."""
    if dtype == "float64":
        return np.asarray(values, dtype=float)
    if dtype == "datetime64[ns]":
        ints = [_NAT_INT if v is None or v is pd.NaT else pd.Timestamp(v).value for v in values]
        return np.asarray(ints, dtype=np.int64).view("M8[ns]")
    return np.array(values, dtype=object)


def binary_code(value: object) -> tuple[float, str, str]:
    """Parse one binary cell: ``(1.0|0.0|nan, status, result)``.

    Accepted (any case, surrounding spaces): 1/0, yes/no, y/n, oui/non, o/n,
    true/false, checked/unchecked, positive/negative, positif/négatif, present/absent,
    ``+`` / ``−`` (U+2212 minus); numbers 1.0/0.0. Missing: :data:`MISSING_CODES`
    (note ``-``, the ASCII hyphen, is a missing code).
    """
    if isinstance(value, (bool, np.bool_)):
        return (1.0 if value else 0.0), "coerced", "1" if value else "0"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        f = float(value)
        if math.isnan(f):
            return math.nan, "missing", "missing"
        if f in (0.0, 1.0):
            return f, "ok", ""
        return math.nan, "invalid", ""
    s = norm(value)
    if s in MISSING_CODES:
        return math.nan, "missing", "missing"
    if s in ("1", "0"):
        return float(s), "ok", ""
    if s in TRUE_CODES or strip_accents(s) in TRUE_CODES:
        return 1.0, "coerced", "1"
    if s in FALSE_CODES or strip_accents(s) in FALSE_CODES:
        return 0.0, "coerced", "0"
    return math.nan, "invalid", ""


_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}([  \u202f']\d{3})+([.,]\d+)?$")


def number_code(value: object, decimal: str = ".") -> tuple[float, str, str]:
    """Parse one numeric cell: ``(float, status, result)``.

    Accepts ``3.5``, ``3,5`` (decimal comma: reported), thousands separated by spaces or
    apostrophes (``1 234``), ``1.234,5`` when the file's decimal mark is a comma.
    """
    if isinstance(value, (bool, np.bool_)):
        return math.nan, "invalid", ""
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
        return (f, "ok", "") if not math.isnan(f) else (math.nan, "missing", "missing")
    s = str(value).replace("\u00a0", " ").strip()
    if s.lower() in MISSING_CODES:
        return math.nan, "missing", "missing"
    status = "ok"
    if _THOUSANDS_RE.match(s):
        s = re.sub(r"[  \u202f']", "", s)
        status = "coerced"
    if decimal == "," and re.match(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$", s):
        s = s.replace(".", "")
        status = "coerced"
    if not _NUM_RE.match(s):
        return math.nan, "invalid", ""
    if "," in s:
        s = s.replace(",", ".")
        status = "coerced"
    try:
        return float(s), status, ("decimal comma / thousands separator" if status == "coerced" else "")
    except ValueError:  # pragma: no cover - regex guards
        return math.nan, "invalid", ""


_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("yyyy-mm-dd", re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")),
    ("yyyy/mm/dd", re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")),
    ("dd/mm/yyyy", re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")),
    ("dd.mm.yyyy", re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")),
    ("dd-mm-yyyy", re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")),
]


def detect_day_first(values: pd.Series) -> bool:
    """Whether ``a/b/yyyy`` dates of a column are day-first (the European default).

    Month-first (US) is chosen only when some value has a second part above 12 and
    no value has a first part above 12.
    """
    first_gt12 = second_gt12 = False
    for u in pd.unique(values.dropna()):
        m = re.match(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}", str(u))
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            first_gt12 |= a > 12
            second_gt12 |= b > 12
    return not (second_gt12 and not first_gt12)


def date_code(value: object, day_first: bool = True) -> tuple[object, str, str]:
    """Parse one date cell: ``(Timestamp|NaT, status, result)``.

    ISO ``yyyy-mm-dd`` (time part ignored), ``dd/mm/yyyy``, ``dd.mm.yyyy``,
    ``dd-mm-yyyy`` (``mm/dd/yyyy`` when the column is month-first, see
    :func:`detect_day_first`), Excel serial day numbers (1900 date system, origin
    1899-12-30; accepted from 1 to 109,575 = year 2199) and datetime objects from XLSX.
    """
    if isinstance(value, (pd.Timestamp, datetime)):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            return pd.NaT, "invalid", ""
        ts = pd.Timestamp(value)
        return (ts.normalize(), "ok", "") if not pd.isna(ts) else (pd.NaT, "missing", "missing")
    if isinstance(value, date):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            return pd.NaT, "invalid", ""
        return pd.Timestamp(value), "ok", ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        f = float(value)
        if math.isnan(f):
            return pd.NaT, "missing", "missing"
        return _excel_serial(f)
    s = str(value).replace("\u00a0", " ").strip()
    if s.lower() in MISSING_CODES:
        return pd.NaT, "missing", "missing"
    for name, pat in _DATE_PATTERNS:
        m = pat.match(s)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups()[:3])
        if name.startswith("yyyy"):
            y, mo, d = a, b, c
        elif day_first:
            d, mo, y = a, b, c
        else:
            mo, d, y = a, b, c
            name = name.replace("dd", "DD").replace("mm", "dd").replace("DD", "mm")
        if not MIN_YEAR <= y <= MAX_YEAR:
            return pd.NaT, "invalid", ""
        try:
            ts = pd.Timestamp(year=y, month=mo, day=d)
        except (ValueError, OverflowError):
            return pd.NaT, "invalid", ""
        return ts, ("ok" if name == "yyyy-mm-dd" else "coerced"), f"date read as {name}"
    if re.match(r"^\d+(\.\d+)?$", s):
        return _excel_serial(float(s))
    return pd.NaT, "invalid", ""


def _excel_serial(f: float) -> tuple[object, str, str]:
    if 1 <= f <= 109575:
        return pd.Timestamp(EXCEL_EPOCH + timedelta(days=int(f))), "coerced", "Excel serial date"
    return pd.NaT, "invalid", ""


def sex_code(value: object) -> tuple[object, str, str]:
    """Parse a sex cell to ``"F"``/``"M"``; unknown codes are kept as typed (``"ok"``)
    and flagged by validation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "missing", "missing"
    s = norm(value)
    if s in MISSING_CODES:
        return None, "missing", "missing"
    if s in FEMALE_CODES or strip_accents(s) in FEMALE_CODES:
        return "F", ("ok" if str(value).strip() == "F" else "coerced"), "F"
    if s in MALE_CODES or strip_accents(s) in MALE_CODES:
        return "M", ("ok" if str(value).strip() == "M" else "coerced"), "M"
    return str(value).strip(), "ok", ""


def text_code(value: object) -> tuple[object, str, str]:
    """A categorical/text cell: stripped text; missing codes become ``None``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "missing", "missing"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\u00a0", " ").strip()
    if s.lower() in MISSING_CODES:
        return None, "missing", "missing"
    return s, "ok", ""


def parse_binary(series: pd.Series) -> Parsed:
    """Parse a binary column to float64 1/0/NaN (see :func:`binary_code`)."""
    return _parse_with(series, binary_code, math.nan, "float64")


def parse_number(series: pd.Series, decimal: str = ".") -> Parsed:
    """Parse a numeric column to float64 (see :func:`number_code`)."""
    return _parse_with(series, lambda v: number_code(v, decimal), math.nan, "float64")


def parse_date(series: pd.Series) -> Parsed:
    """Parse a date column to datetime64[ns] (see :func:`date_code`)."""
    day_first = detect_day_first(series.astype("object"))
    return _parse_with(series, lambda v: date_code(v, day_first), pd.NaT, "datetime64[ns]")


def parse_sex(series: pd.Series) -> Parsed:
    """Parse a sex column to F/M (unknown codes kept as typed)."""
    return _parse_with(series, sex_code, None, None)


def parse_text(series: pd.Series) -> Parsed:
    """Parse a categorical column (strip spaces, missing codes to None).

    Text cells (the usual CSV case) are handled with whole-array string operations on the
    distinct values, exactly as :func:`text_code` would one by one; other cells (numbers
    from a spreadsheet) go through :func:`text_code`.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0 or pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        return _parse_with(series, text_code, None, None)
    raw = pd.Series(uniques, dtype=object)
    stripped = raw.str.replace("\u00a0", " ", regex=False).str.strip()
    missing = stripped.str.lower().isin(MISSING_CODES).to_numpy()
    out_u = np.append(np.where(missing, None, stripped.to_numpy(dtype=object)), None).astype(object)
    take = np.where(codes < 0, len(uniques), codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    tally: Counter[str] = Counter()
    for i in np.flatnonzero(missing & (stripped.str.lower().to_numpy() != "nan") & (stripped.to_numpy() != "")):
        tally[str(stripped.iat[i])] += int(counts[i])
    coercions = [(o, "missing", c) for o, c in sorted(tally.items(), key=lambda kv: -kv[1])]
    return Parsed(pd.Series(out_u[take], index=series.index), pd.Series(False, index=series.index), coercions)


def share_parseable(series: pd.Series, fn: Callable[[object], tuple[object, str, str]]) -> tuple[float, int]:
    """Share of non-missing cells that ``fn`` parses, and the number of non-missing cells."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if not len(uniques):
        return 0.0, 0
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    ok = nonmissing = 0
    for u, c in zip(uniques, counts):
        _, status, _ = fn(u)
        if status == "missing":
            continue
        nonmissing += int(c)
        if status != "invalid":
            ok += int(c)
    return (ok / nonmissing if nonmissing else 0.0), nonmissing
