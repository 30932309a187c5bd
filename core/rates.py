"""Reference incidence-rate tables (population cancer incidence by sex and age band).

A :class:`RateTable` holds one rate per stratum: sex (``"F"`` / ``"M"``) x age band
``[age_from, age_to)`` (years, ``age_to = inf`` for the open last band), optionally x
calendar period ``[period_from, period_to]`` (inclusive calendar years), with the rate in
cases per 100,000 person-years. It is used by :mod:`core.cancer_risk` to compute expected
counts ``E = sum(person-years x rate / 100,000)``.

Two sources:

* :func:`load_bundled_rates` — France, all invasive cancers except non-melanoma skin,
  Cancer Incidence in Five Continents vol. XII (IARC), 16 mainland registries, 2013–2017
  (``sample_data/reference_rates/france_cancer_incidence_ci5xii.csv``).
* :func:`load_rates` — a user table (CSV / TSV / XLSX), validated like a cohort: every
  problem raises :class:`RatesError` naming the row and column to fix.

Accepted columns of a user table (case-insensitive, spaces or dashes allowed):

* ``sex``: F / M (also female / male, woman / man, femme / homme, f / m / h).
* age: ``age_from`` and ``age_to`` (``age_to`` exclusive; empty = open-ended), or an
  ``age_band`` text such as ``"50-54"`` (integer bounds, inclusive: [50, 55)), ``"85+"``
  or ``"<5"`` / ``"0-4"``.
* optional period: ``period_from`` and ``period_to`` (inclusive calendar years), or a
  ``period`` text ``"2013-2017"`` / ``"2015"``.
* rate: ``rate_per_100000`` (alias ``rate``, ``rate_per_100k``, ``incidence``), or
  ``cases`` and ``person_years`` (rate = 100,000 x cases / person-years).

Within each sex (and period) the age bands must not overlap and must be contiguous (no
gap); the periods must not overlap and must be contiguous. A table need not start at age
0 nor end with an open band: person-time at ages it does not cover is reported by
:mod:`core.cancer_risk`, not silently given a rate.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from core.i18n import _, language
from core.reader import InputFileError, ReadLimits, read_table
from core.resources import BUNDLED_RATES_FILE

__all__ = [
    "BUNDLED_RATES_DESCRIPTION",
    "BUNDLED_RATES_PATH",
    "RateTable",
    "RatesError",
    "load_bundled_rates",
    "load_rates",
    "rates_label",
    "validate_rates_frame",
]

#: The bundled France table.
BUNDLED_RATES_PATH: Path = BUNDLED_RATES_FILE
#: Human description of the bundled table (shown in the UI and methods text).
BUNDLED_RATES_DESCRIPTION: str = (
    "France, all invasive cancers except non-melanoma skin (ICD-10 C00–C96 but C44), "
    "by sex and 5-year age band, Cancer Incidence in Five Continents vol. XII (IARC), "
    "16 mainland French registries, 2013–2017"
)

RatesSource = str | Path | bytes | IO[bytes] | IO[str] | pd.DataFrame


def rates_label(description: str) -> str:
    """A rate table's description in the current language: the bundled table's own
    description is translated, a user's description is shown as written."""
    return _(BUNDLED_RATES_DESCRIPTION) if description == BUNDLED_RATES_DESCRIPTION else description

_SEX_CODES: dict[str, str] = {
    "f": "F", "female": "F", "females": "F", "woman": "F", "women": "F", "femme": "F",
    "femmes": "F", "w": "F",
    "m": "M", "male": "M", "males": "M", "man": "M", "men": "M", "homme": "M",
    "hommes": "M", "h": "M",
}
_RATE_ALIASES = ("rate_per_100000", "rate_per_100_000", "rate_per_100k", "rate", "incidence",
                 "incidence_rate", "rate_per_100000_py")


class RatesError(ValueError):
    """A reference-rate table cannot be used; the message says which row/column to fix."""


_COL_ALIASES: dict[str, str] = {
    "sexe": "sex", "gender": "sex", "genre": "sex",
    "age_group": "age_band", "ageband": "age_band", "tranche_d_age": "age_band",
    "classe_d_age": "age_band", "age_de": "age_from", "age_a": "age_to", "agefrom": "age_from",
    "ageto": "age_to", "taux": "rate", "taux_pour_100000": "rate_per_100000",
    "cas": "cases", "personnes_annees": "person_years", "pyrs": "person_years",
    "periode": "period", "year_from": "period_from", "year_to": "period_to",
}


def _norm_col(name: object) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = text.strip().lower().replace("'", "_")
    text = re.sub(r"[\s\-./()]+", "_", text)
    text = text.replace(",", "").strip("_")
    return _COL_ALIASES.get(text, text)


def _age_label(lo: float, hi: float) -> str:
    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    if math.isinf(hi):
        return f"{fmt(lo)}+"
    if float(lo).is_integer() and float(hi).is_integer():
        return f"{fmt(lo)}-{fmt(hi - 1)}"
    return f"{fmt(lo)}-<{fmt(hi)}"


def _period_label(lo: float, hi: float) -> str:
    return f"{int(lo)}" if lo == hi else f"{int(lo)}-{int(hi)}"


@dataclass(frozen=True, eq=False)
class RateTable:
    """A validated reference-rate table.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per stratum, sorted by (period,) sex, age; columns ``sex`` ("F"/"M"),
        ``age_band`` (str label), ``age_from`` (float), ``age_to`` (float, ``inf`` for
        an open band), ``rate`` (cases per 100,000 person-years) and, when the table has
        calendar periods, ``period_from`` / ``period_to`` (inclusive calendar years, int)
        and ``period`` (str label).
    description : str
        Where the rates come from (shown in the UI and the methods text).

    Notes
    -----
    Build with :func:`load_rates` (file or DataFrame) or :func:`load_bundled_rates`, which
    validate; the constructor trusts its input.
    """

    data: pd.DataFrame
    description: str = ""

    @property
    def has_periods(self) -> bool:
        """Whether the rates are given per calendar period."""
        return "period_from" in self.data.columns

    @property
    def sexes(self) -> list[str]:
        """Sexes present in the table."""
        return sorted(self.data["sex"].unique().tolist())

    def lookup(
        self,
        sex: str | np.ndarray | pd.Series | list[str],
        age: float | np.ndarray | pd.Series | list[float],
        year: float | np.ndarray | pd.Series | list[float] | None = None,
    ) -> np.ndarray:
        """Rate per 100,000 person-years for each (sex, age[, calendar year]).

        Parameters
        ----------
        sex : str or array-like of str
            "F" / "M".
        age : float or array-like
            Age in years; band ``[age_from, age_to)``.
        year : float or array-like, optional
            Calendar year (e.g. 2015 or 2015.5); required when the table has periods.
            Years before the first period take the first period's rates and years after
            the last period the last period's (the usual extrapolation).

        Returns
        -------
        numpy.ndarray
            Rates (float); NaN where the table has no stratum (sex absent, age outside
            the covered bands).
        """
        sex_a = np.atleast_1d(np.asarray(sex, dtype=object))
        age_a = np.atleast_1d(np.asarray(age, dtype=float))
        sex_a, age_a = np.broadcast_arrays(sex_a, age_a)
        out = np.full(age_a.shape, np.nan)
        d = self.data
        if self.has_periods:
            if year is None:
                raise RatesError(_("this rate table has calendar periods: give the calendar year"))
            year_a = np.broadcast_to(np.atleast_1d(np.asarray(year, dtype=float)), age_a.shape)
            pfrom = np.sort(d["period_from"].unique())
            # index of the period: last period_from <= floor(year), clipped to the ends
            idx = np.clip(np.searchsorted(pfrom, np.floor(year_a), side="right") - 1, 0,
                          len(pfrom) - 1)
            pyear = pfrom[idx]
        else:
            pyear = None
        for row in d.itertuples(index=False):
            m = (sex_a == row.sex) & (age_a >= row.age_from) & (age_a < row.age_to)
            if pyear is not None:
                m &= pyear == row.period_from
            out[m] = row.rate
        return out


def _read_any(source: RatesSource, limits: ReadLimits | None = None) -> pd.DataFrame:
    """A CSV / TSV / XLSX source (or a DataFrame) as cells, through the shared reader
    (:func:`core.reader.read_table`: encoding, delimiter, decimal mark, Excel, limits).

    Numbers keep their text; a decimal comma is turned into a point here, since the
    rate table's own parser reads numbers with a point.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    try:
        raw = read_table(source, limits=limits)
    except InputFileError as exc:
        raise RatesError(_("could not read the rate table: {error}", error=exc)) from exc
    data = raw.data.reset_index(drop=True)
    if raw.format.startswith("xlsx"):
        return data.astype(object).where(data.notna(), "")
    if raw.decimal == ",":
        data = data.map(lambda v: v.replace(",", ".") if re.fullmatch(r"\s*[+-]?\d+,\d+\s*", v) else v)
    return data


def _parse_num(value: object, decimal_comma: bool = True) -> float:
    """Parse one cell; NaN for empty; raises ValueError for non-numeric text."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text == "" or text.lower() in ("na", "nan", "none", "null"):
        return math.nan
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    return float(text)


_BAND_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to|à)\s*(\d+(?:\.\d+)?)\s*$")
_OPEN_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:\+|and over|or more|et plus|\+ ?ans)\s*$")
_UNDER_RE = re.compile(r"^\s*(?:<|under)\s*(\d+(?:\.\d+)?)\s*$")


def _parse_band(text: str) -> tuple[float, float]:
    """``"50-54"`` -> (50, 55); ``"85+"`` -> (85, inf); ``"<5"`` -> (0, 5)."""
    t = str(text).strip().lower().replace("years", "").replace("ans", "").strip()
    if m := _BAND_RE.match(t):
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo.is_integer() and hi.is_integer():
            return lo, hi + 1.0
        return lo, hi
    if m := _OPEN_RE.match(t):
        return float(m.group(1)), math.inf
    if m := _UNDER_RE.match(t):
        return 0.0, float(m.group(1))
    raise ValueError(text)


def validate_rates_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate and normalise a raw rate table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table (see the module docstring for accepted columns).

    Returns
    -------
    pandas.DataFrame
        The normalised table (columns described in :class:`RateTable`).

    Raises
    ------
    RatesError
        On missing columns, unknown sex codes, non-numeric or negative values,
        ``age_to <= age_from``, overlapping or missing (gap) age bands or periods, or
        duplicated strata. Rows are numbered as in a spreadsheet (header = row 1).
    """
    df, rows = _clean_frame(frame)
    cols = set(df.columns)
    sexes = _read_sexes(df, cols, rows)
    age_from, age_to, age_col = _read_ages(df, cols, rows)
    has_period, p_from, p_to = _read_periods(df, cols, rows)
    rates = _read_rates(df, cols, rows)

    out = pd.DataFrame(
        {
            "sex": sexes,
            "age_from": np.asarray(age_from, float),
            "age_to": np.asarray(age_to, float),
            "rate": np.asarray(rates, float),
            "_row": rows,
        }
    )
    if has_period:
        out["period_from"] = np.asarray(p_from).astype(int)
        out["period_to"] = np.asarray(p_to).astype(int)
    keys = ["period_from", "sex"] if has_period else ["sex"]

    # derive missing age_to (age_from-only tables)
    if out["age_to"].isna().any():
        out = out.sort_values(keys + ["age_from"], kind="stable")
        nxt = out.groupby(keys, sort=False)["age_from"].shift(-1)
        out["age_to"] = nxt.fillna(math.inf).to_numpy()

    bad = out.index[out["age_to"] <= out["age_from"]]
    if len(bad):
        r = out.loc[bad[0]]
        raise RatesError(_(
            "row {row}, column 'age_to': band end {end} is not after its start {start} (age_to is exclusive)",
            row=r["_row"], end=_g(r["age_to"]), start=_g(r["age_from"]),
        ))
    if has_period:
        _check_periods(out)
    out = out.sort_values(keys + ["age_from"], kind="stable").reset_index(drop=True)
    _check_age_bands(out, keys, has_period, age_col)
    if has_period:
        _check_period_sexes(out)

    out.insert(1, "age_band", [_age_label(a, b) for a, b in zip(out["age_from"], out["age_to"])])
    if has_period:
        out["period"] = [_period_label(a, b) for a, b in zip(out["period_from"], out["period_to"])]
        cols_order = ["period", "period_from", "period_to", "sex", "age_band", "age_from",
                      "age_to", "rate"]
    else:
        cols_order = ["sex", "age_band", "age_from", "age_to", "rate"]
    return out[cols_order].reset_index(drop=True)


def _where(rows: list[int], k: int, col: str) -> str:
    """Position of a cell in the user's spreadsheet, for error messages."""
    return _("row {row}, column '{column}'", row=rows[k], column=col)


def _clean_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Copy with normalised column names and fully empty rows dropped, and the
    spreadsheet row number of each remaining row (header = row 1)."""
    if frame is None or len(frame) == 0:
        raise RatesError(_("the rate table is empty"))
    df = frame.copy()
    df.columns = [_norm_col(c) for c in df.columns]
    # drop fully empty rows (trailing lines in spreadsheets)
    blank = df.apply(lambda col: col.map(lambda v: v is None or str(v).strip() in ("", "nan")))
    df = df.loc[~blank.all(axis=1)]
    if len(df) == 0:
        raise RatesError(_("the rate table is empty"))
    rows = [int(i) + 2 for i in df.index]  # spreadsheet row numbers (header = row 1)
    return df, rows


def _read_sexes(df: pd.DataFrame, cols: set[str], rows: list[int]) -> list[str]:
    """``"F"`` / ``"M"`` per row."""
    if "sex" not in cols:
        raise RatesError(
            "the rate table has no 'sex' column; expected columns: sex, age_from, age_to "
            "(or age_band), rate_per_100000"
        )
    sexes: list[str] = []
    for k, v in enumerate(df["sex"].tolist()):
        code = _SEX_CODES.get(str(v).strip().lower()) if v is not None else None
        if code is None:
            raise RatesError(_("{where}: unknown sex {value!r}; use F or M", where=_where(rows, k, "sex"), value=v))
        sexes.append(code)
    return sexes


def _read_ages(df: pd.DataFrame, cols: set[str], rows: list[int]) -> tuple[list[float], list[float], str]:
    """``age_from``, ``age_to`` (NaN when to be derived from the next band, ``inf`` when
    open) per row, and the column named in error messages."""
    if "age_from" in cols:
        return _read_age_from_to(df, cols, rows) + ("age_from",)
    if "age_band" in cols or "age" in cols or "age_group" in cols:
        col = next(c for c in ("age_band", "age_group", "age") if c in cols)
        age_from: list[float] = []
        age_to: list[float] = []
        for k, v in enumerate(df[col].tolist()):
            try:
                lo, hi = _parse_band(str(v))
            except ValueError:
                raise RatesError(_(
                    "{where}: cannot read age band {value!r}; write it as '50-54', "
                    "'85+' or give age_from / age_to columns", where=_where(rows, k, col), value=v,
                )) from None
            age_from.append(lo)
            age_to.append(hi)
        return age_from, age_to, col
    raise RatesError(
        "the rate table has no age columns; give age_from and age_to (age_to exclusive, "
        "empty = open-ended) or an age_band column such as '50-54'"
    )


def _read_age_from_to(df: pd.DataFrame, cols: set[str], rows: list[int]) -> tuple[list[float], list[float]]:
    """Ages from ``age_from`` / ``age_to`` columns (``age_to`` NaN when the column is
    absent, to be derived from the next ``age_from``)."""
    age_from: list[float] = []
    age_to: list[float] = []
    for k, v in enumerate(df["age_from"].tolist()):
        try:
            x = _parse_num(v)
        except ValueError:
            raise RatesError(_("{where}: {value!r} is not a number", where=_where(rows, k, "age_from"), value=v)) from None
        if math.isnan(x):
            raise RatesError(_("{where}: missing age", where=_where(rows, k, "age_from")))
        if x < 0:
            raise RatesError(_("{where}: negative age {value}", where=_where(rows, k, "age_from"), value=_g(x)))
        age_from.append(x)
    to_raw = df["age_to"].tolist() if "age_to" in cols else [None] * len(df)
    for k, v in enumerate(to_raw):
        try:
            x = _parse_num(v)
        except ValueError:
            if str(v).strip().lower() in ("inf", "+inf", "open", "∞"):
                x = math.nan
            else:
                raise RatesError(_("{where}: {value!r} is not a number", where=_where(rows, k, "age_to"), value=v)) from None
        age_to.append(math.inf if math.isnan(x) else x)
    if "age_to" not in cols:
        # derive age_to from the next age_from of the same sex (and period) later
        age_to = [math.nan] * len(df)
    return age_from, age_to


def _read_periods(df: pd.DataFrame, cols: set[str], rows: list[int]) -> tuple[bool, list[float], list[float]]:
    """Whether the table has calendar periods, and their first and last years per row."""
    p_from: list[float] = []
    p_to: list[float] = []
    if "period_from" in cols:
        for k in range(len(df)):
            vals = []
            for c in ("period_from", "period_to"):
                v = df[c].iloc[k] if c in cols else df["period_from"].iloc[k]
                try:
                    x = _parse_num(v, decimal_comma=False)
                except ValueError:
                    raise RatesError(_("{where}: {value!r} is not a calendar year", where=_where(rows, k, c), value=v)) from None
                if math.isnan(x) or not float(x).is_integer():
                    raise RatesError(_("{where}: {value!r} is not a calendar year", where=_where(rows, k, c), value=v))
                vals.append(x)
            p_from.append(vals[0])
            p_to.append(vals[1])
    elif "period" in cols:
        for k, v in enumerate(df["period"].tolist()):
            m = re.match(r"^\s*(\d{4})\s*(?:[-–—/]|to|à)?\s*(\d{4})?\s*$", str(v))
            if not m:
                raise RatesError(_("{where}: cannot read period {value!r}; write it as '2013-2017'",
                                   where=_where(rows, k, "period"), value=v))
            p_from.append(float(m.group(1)))
            p_to.append(float(m.group(2) or m.group(1)))
    else:
        return False, p_from, p_to
    for k, (a, b) in enumerate(zip(p_from, p_to)):
        if b < a:
            raise RatesError(_("{where}: period ends ({end}) before it starts ({start})",
                               where=_where(rows, k, "period_to"), end=f"{b:g}", start=f"{a:g}"))
    return True, p_from, p_to


def _read_rates(df: pd.DataFrame, cols: set[str], rows: list[int]) -> list[float]:
    """Rate per 100,000 person-years per row (from a rate column, or cases / person-years)."""
    rate_col = next((c for c in _RATE_ALIASES if c in cols), None)
    rates: list[float] = []
    if rate_col is not None:
        for k, v in enumerate(df[rate_col].tolist()):
            try:
                x = _parse_num(v)
            except ValueError:
                raise RatesError(_("{where}: {value!r} is not a number", where=_where(rows, k, rate_col), value=v)) from None
            if math.isnan(x):
                raise RatesError(_("{where}: missing rate", where=_where(rows, k, rate_col)))
            if x < 0 or math.isinf(x):
                raise RatesError(_("{where}: invalid rate {value} (must be >= 0)", where=_where(rows, k, rate_col), value=_g(x)))
            rates.append(x)
        return rates
    if "cases" in cols and "person_years" in cols:
        for k in range(len(df)):
            try:
                c = _parse_num(df["cases"].iloc[k])
                py = _parse_num(df["person_years"].iloc[k])
            except ValueError:
                raise RatesError(_("row {row}: cases / person_years are not numbers", row=rows[k])) from None
            if math.isnan(c) or math.isnan(py) or c < 0 or py <= 0:
                raise RatesError(_("row {row}, columns 'cases'/'person_years': need cases >= 0 and person_years > 0",
                                   row=rows[k]))
            rates.append(1e5 * c / py)
        return rates
    raise RatesError(
        "the rate table has no rate column; give 'rate_per_100000' (cases per 100,000 "
        "person-years) or 'cases' and 'person_years'"
    )


def _check_periods(out: pd.DataFrame) -> None:
    """Calendar periods: no overlaps, no gaps."""
    periods = out[["period_from", "period_to"]].drop_duplicates().sort_values("period_from")
    pf = periods["period_from"].to_numpy()
    pt = periods["period_to"].to_numpy()
    if len(np.unique(pf)) != len(pf):
        r = out[out["period_from"] == pf[np.argmax(np.diff(pf) == 0)]].iloc[0]
        raise RatesError(_(
            "row {row}, columns 'period_from'/'period_to': periods starting in {year} end in different years; "
            "periods must not overlap", row=r["_row"], year=int(r["period_from"]),
        ))
    for i in range(len(pf) - 1):
        if pt[i] >= pf[i + 1]:
            r = out[out["period_from"] == pf[i + 1]].iloc[0]
            raise RatesError(_(
                "row {row}, column 'period_from': period {period} overlaps period {other}", row=r["_row"],
                period=f"{int(pf[i + 1])}-{int(pt[i + 1])}", other=f"{int(pf[i])}-{int(pt[i])}",
            ))
        if pt[i] + 1 < pf[i + 1]:
            r = out[out["period_from"] == pf[i + 1]].iloc[0]
            raise RatesError(_(
                "row {row}, column 'period_from': missing calendar period between {a} and {b} "
                "(years {years} have no rates)", row=r["_row"], a=int(pt[i]), b=int(pf[i + 1]),
                years=f"{int(pt[i]) + 1}-{int(pf[i + 1]) - 1}",
            ))


def _check_age_bands(out: pd.DataFrame, keys: list[str], has_period: bool, age_col: str) -> None:
    """Age bands per sex (and period), sorted by age: no overlap, no gap."""
    for key, grp in out.groupby(keys, sort=False):
        what = (_("sex {sex}, period {period}", sex=key[-1], period=int(key[0])) if has_period
                else _("sex {sex}", sex=key if isinstance(key, str) else key[0]))
        lo = grp["age_from"].to_numpy()
        hi = grp["age_to"].to_numpy()
        rr = grp["_row"].to_numpy()
        for i in range(1, len(grp)):
            if lo[i] < hi[i - 1]:
                raise RatesError(_(
                    "row {row}, column '{column}': age band {band} overlaps band {other} (row {other_row}) for {what}",
                    row=rr[i], column=age_col, band=_age_label(lo[i], hi[i]), other=_age_label(lo[i - 1], hi[i - 1]),
                    other_row=rr[i - 1], what=what,
                ))
            if lo[i] > hi[i - 1]:
                raise RatesError(_(
                    "row {row}, column '{column}': missing age band between {a} and {b} for {what} "
                    "(age_to is exclusive: a band '50-54' ends at 55)",
                    row=rr[i], column=age_col, a=_g(hi[i - 1]), b=_g(lo[i]), what=what,
                ))


def _check_period_sexes(out: pd.DataFrame) -> None:
    """Every calendar period gives rates for the same sexes."""
    sexes_per = out.groupby("period_from")["sex"].apply(lambda s: tuple(sorted(set(s))))
    if sexes_per.nunique() > 1:
        raise RatesError(_(
            "the calendar periods do not all give rates for the same sexes: {periods}",
            periods="; ".join(f"{int(p)}: {', '.join(s)}" for p, s in sexes_per.items()),
        ))


def load_rates(source: RatesSource, description: str = "") -> RateTable:
    """Read and validate a user-supplied rate table (CSV, TSV, XLSX or a DataFrame).

    Parameters
    ----------
    source : path, bytes, file-like or pandas.DataFrame
        The table (an uploaded file object works; its ``name`` decides CSV vs XLSX).
    description : str
        Text describing the table; defaults to "user-supplied rates (<file name>)".

    Returns
    -------
    RateTable

    Raises
    ------
    RatesError
        With a message naming the row and column to fix.
    """
    raw = _read_any(source)
    if not description:
        name = (str(source) if isinstance(source, (str, Path))
                else str(getattr(source, "name", "")))
        description = _("user-supplied rates ({file})", file=Path(name).name) if name else _("user-supplied rates")
    return RateTable(validate_rates_frame(raw), description)


def load_bundled_rates() -> RateTable:
    """The bundled France CI5-XII table (rate column ``rate_per_100000`` as published).

    Returns
    -------
    RateTable
        36 strata (F/M x 18 five-year age bands, 85+ open), no calendar period.
    """
    return RateTable(validate_rates_frame(_read_any(BUNDLED_RATES_PATH, ReadLimits())), BUNDLED_RATES_DESCRIPTION)


def _g(x: float) -> str:
    """A number in its shortest form (``0.5``; French ``0,5``)."""
    text = f"{x:g}"
    return text.replace(".", ",") if language() == "fr" else text
