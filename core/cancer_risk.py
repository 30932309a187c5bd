"""Cancer risk of a cohort against population rates: the standardized incidence ratio (SIR).

Each patient's person-time in the at-risk window around the DM diagnosis runs from
``max(window start, birth)`` to the earliest of the first cancer, death, last follow-up
and window end. The window is ``[diagnosis - window_before_years, diagnosis +
window_after_years]`` (default 3 years either side: cancer-associated myositis);
``window_after_years`` may be ``inf`` ("from diagnosis on": before = 0, after = inf).
Years are days / 365.25 throughout; without a birth date, the age at time *t* is
``age_at_diagnosis + (t - diagnosis) / 365.25``. Person-time is split across the age bands
of the rate table (and its calendar periods when it has some; calendar time is
``1970 + days since 1970-01-01 / 365.25`` as ``Epi::cal.yr``, a period ``2013-2017``
running from 1 January 2013 to 1 January 2018) as the patient ages, and

* ``E = sum over strata of person-years x rate / 100,000`` (sex x age band [x period]),
* ``O`` = first cancers inside the window (a cancer before the window start gives neither
  person-time nor a case; a cancer is attributed to the stratum of the age and date at
  cancer, bands ``[from, to)``),
* ``SIR = O / E`` and the excess absolute risk ``1000 (O - E) / person-years``.

Confidence intervals of the SIR (exact, mid-p, Byar, log-Wald) and the two-sided exact
Poisson P (R ``poisson.test(O, E)``) are :func:`core.stats.sir_ci` and
:func:`core.stats.poisson_test_p` (formulas and references there).

Everything is vectorised with numpy (one pass per rate stratum), so a million patients
take well under two seconds. The time from diagnosis to cancer and the cumulative
incidence of cancer are in :mod:`core.cancer_timing`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.constants import DAYS_PER_YEAR, MIN_EXPECTED, MIN_GROUP_SIZE, MIN_OBSERVED
from core.i18n import _, fmt_number, language, n_
from core.rates import RateTable, rates_label
from core.stats import CI_METHODS, CIMethod, poisson_test_p, sir_ci

if TYPE_CHECKING:
    from core.cancer_timing import TimingResult

__all__ = [
    "CI_METHOD_LABELS",
    "TIME_SINCE_DIAGNOSIS",
    "TSD_BANDS",
    "CancerRiskError",
    "SIRHeadline",
    "SIRResult",
    "methods_text",
    "sir_analysis",
    "sir_payload",
    "window_description",
]

CI_METHOD_LABELS: dict[str, str] = {
    "exact": "exact Poisson",
    "midp": "mid-p exact Poisson",
    "byar": "Byar's approximation",
    "wald": "log-Wald",
}
#: Pass as ``by`` to split person-time by time since diagnosis.
TIME_SINCE_DIAGNOSIS = "time_since_diagnosis"
#: Time-since-diagnosis bands (years; ``[from, to)``), person-time split on this scale.
TSD_BANDS: tuple[tuple[str, float, float], ...] = (
    ("before diagnosis", -math.inf, 0.0),
    ("<1 year", 0.0, 1.0),
    ("1–3 years", 1.0, 3.0),
    ("3–5 years", 3.0, 5.0),
    ("≥5 years", 5.0, math.inf),
)
_TSD_RANGES: tuple[tuple[float, float], ...] = tuple((b[1], b[2]) for b in TSD_BANDS)


class CancerRiskError(ValueError):
    """The cohort or the options cannot be used for the cancer-risk analysis."""


def _check_conf(conf_level: float) -> float:
    if not (0 < conf_level < 1):
        raise CancerRiskError(_("conf_level must be between 0 and 1 (got {value})", value=conf_level))
    return 1.0 - conf_level


# ------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SIRHeadline:
    """Headline figures of one SIR (whole cohort or one subgroup).

    Attributes
    ----------
    group : str
        Group label ("all" for the whole cohort).
    n_patients : int
        Patients analysed (after exclusions), in this group.
    observed : int
        O, first cancers inside the window.
    expected : float
        E, sum of person-years x rate / 100,000.
    person_years : float
        Person-years at risk in the window.
    sir, ci_low, ci_high : float
        O / E and its confidence interval (``ci_method``, ``conf_level``).
    p_value : float
        Two-sided exact Poisson test (R ``poisson.test(O, E)``).
    excess_per_1000py : float
        Excess absolute risk, 1000 (O - E) / person-years.
    ci_method : str
    conf_level : float
    """

    group: str
    n_patients: int
    observed: int
    expected: float
    person_years: float
    sir: float
    ci_low: float
    ci_high: float
    p_value: float
    excess_per_1000py: float
    ci_method: str
    conf_level: float

    def payload(self, with_group: bool = False) -> dict[str, Any]:
        """JSON object: the issue's headline keys (plus ``group`` when asked)."""
        out: dict[str, Any] = {}
        if with_group:
            out["group"] = self.group
        out.update(
            observed=int(self.observed),
            expected=_num(self.expected),
            person_years=_num(self.person_years),
            sir=_num(self.sir),
            ci_low=_num(self.ci_low),
            ci_high=_num(self.ci_high),
            p_value=_num(self.p_value),
            ci_method=self.ci_method,
        )
        return out


def _num(x: float) -> float | None:
    """JSON-safe float (NaN / inf -> None)."""
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True, eq=False)
class SIRResult:
    """Result of :func:`sir_analysis`.

    Attributes
    ----------
    observed, expected, person_years, sir, ci_low, ci_high, p_value, ci_method,
    conf_level, excess_per_1000py
        Headline figures (see :class:`SIRHeadline`).
    n_patients : int
        Patients analysed (input rows minus ``excluded``).
    n_with_person_time : int
        Patients contributing person-time (> 0) in the window.
    window_before_years, window_after_years : float
        The at-risk window around diagnosis (after may be ``inf``).
    strata : pandas.DataFrame
        How E was obtained: one row per stratum with person-time or a case, columns
        ``sex``, ``age_band`` (``period`` when the rates have periods), ``person_years``,
        ``rate`` (per 100,000 PY), ``expected``, ``observed``.
    subgroups : tuple of SIRHeadline
        Same headline per group when ``by`` was given (in group order), else empty.
    subgroup_strata : pandas.DataFrame or None
        ``strata`` per group (first column ``group``).
    split : str or None
        Description of the split (column name or "time since diagnosis").
    patients : pandas.DataFrame
        Per analysed patient: ``patient_id``, ``entry_years`` / ``exit_years`` (relative
        to diagnosis; entry = exit when no person-time), ``person_years``, ``expected``,
        ``observed`` (0/1).
    guardrails : tuple of str
        Warnings to show (O < 5, exclusions, uncovered ages, ...).
    excluded : pandas.DataFrame
        ``patient_id``, ``reason``: patients left out for missing or inconsistent data.
    uncovered_person_years : float
        Person-years at ages/sexes the rate table does not cover (left out of PY and E).
    uncovered_observed : int
        Cancers in those (left out of O).
    rates_description : str
    """

    observed: int
    expected: float
    person_years: float
    sir: float
    ci_low: float
    ci_high: float
    p_value: float
    ci_method: str
    conf_level: float
    excess_per_1000py: float
    n_patients: int
    n_with_person_time: int
    window_before_years: float
    window_after_years: float
    strata: pd.DataFrame
    subgroups: tuple[SIRHeadline, ...]
    subgroup_strata: pd.DataFrame | None
    split: str | None
    patients: pd.DataFrame
    guardrails: tuple[str, ...]
    excluded: pd.DataFrame
    uncovered_person_years: float = 0.0
    uncovered_observed: int = 0
    rates_description: str = ""

    @property
    def headline(self) -> SIRHeadline:
        """The whole-cohort headline as a :class:`SIRHeadline`."""
        return SIRHeadline(
            "all", self.n_patients, self.observed, self.expected, self.person_years,
            self.sir, self.ci_low, self.ci_high, self.p_value, self.excess_per_1000py,
            self.ci_method, self.conf_level,
        )

    def subgroup_table(self) -> pd.DataFrame:
        """Subgroup headlines as a DataFrame (one row per group)."""
        cols = ["group", "n_patients", "observed", "expected", "person_years", "sir",
                "ci_low", "ci_high", "p_value", "excess_per_1000py"]
        return pd.DataFrame([{c: getattr(h, c) for c in cols} for h in self.subgroups],
                            columns=cols)

    def payload(self) -> dict[str, Any]:
        """The JSON object of the issue (``myoscope sir --json``).

        Keys ``observed``, ``expected``, ``person_years``, ``sir``, ``ci_low``,
        ``ci_high``, ``p_value``, ``ci_method``, ``strata`` (list of ``sex``,
        ``age_band`` [, ``period``], ``person_years``, ``rate``, ``expected``), and
        ``subgroups`` (headline keys plus ``group``) when a split was asked. Non-finite
        numbers are ``null``.
        """
        out = self.headline.payload()
        keys = ["sex", "age_band"] + (["period"] if "period" in self.strata.columns else [])
        out["strata"] = [
            {**{k: str(r[k]) for k in keys},
             "person_years": _num(r["person_years"]),
             "rate": _num(r["rate"]),
             "expected": _num(r["expected"])}
            for _, r in self.strata.iterrows()
        ]
        if self.split is not None:
            out["subgroups"] = [h.payload(with_group=True) for h in self.subgroups]
        return out


def sir_payload(result: SIRResult) -> dict[str, Any]:
    """``result.payload()`` (module-level alias, per the project convention)."""
    return result.payload()


# ------------------------------------------------------------------------------------
# Cohort preparation
# ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Prepared:
    """Per-patient arrays of the analysable patients (years relative to diagnosis)."""

    index: pd.Index  # original df index of analysable patients
    patient_id: np.ndarray
    is_male: np.ndarray  # bool
    a0: np.ndarray  # age at diagnosis (years)
    c0: np.ndarray  # calendar time of diagnosis (Epi::cal.yr scale)
    s_exit: np.ndarray  # min(death, last follow-up) - diagnosis, years
    has_cancer: np.ndarray  # bool
    s_cancer: np.ndarray  # cancer - diagnosis, years (nan when no cancer)
    a_cancer: np.ndarray = field(default_factory=lambda: np.zeros(0))  # age at cancer (from the dates when known)
    c_cancer: np.ndarray = field(default_factory=lambda: np.zeros(0))  # calendar time of cancer (cal.yr scale)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    return df[name] if name in df.columns else None


def _to_dt(s: pd.Series | None, n: int, index: pd.Index) -> pd.Series:
    if s is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if not pd.api.types.is_datetime64_any_dtype(s):
        if s.isna().all():
            return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
        raise CancerRiskError(_("the column '{column}' is not a typed date column: load the cohort with "
                                "core.io, or map the column as a date on the Cohort page", column=s.name))
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s


def _ids(s: pd.Series) -> np.ndarray:
    """Patient ids as an object array of str (no copy when they already are str)."""
    arr = s.to_numpy(dtype=object)
    if s.dtype == object and all(isinstance(v, str) for v in arr[:1000]) and \
            pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    return s.astype(str).to_numpy(dtype=object)


def _days(a: pd.Series, b: pd.Series) -> np.ndarray:
    """(a - b) in days as float (NaN where either is missing)."""
    return ((a - b) / np.timedelta64(1, "D")).to_numpy(dtype=float, na_value=np.nan)


def _flag(s: pd.Series | None, n: int) -> np.ndarray:
    """A typed 0/1 flag column as float (NaN = missing).

    The cohort is typed once, by :mod:`core.io` (yes/no codes in any language); the
    analyses trust that typing and never re-parse a cell, so a text column here is a
    programming error, reported as such.
    """
    if s is None:
        return np.full(n, np.nan)
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise CancerRiskError(_("the column '{column}' is not a typed yes/no column (1/0): load the cohort "
                                "with core.io, or map the column as yes/no on the Cohort page", column=s.name))
    return s.to_numpy(dtype=float, na_value=np.nan)


def _cal_time(d: pd.Series) -> np.ndarray:
    """Calendar time on the Epi::cal.yr scale: 1970 + days since 1970-01-01 / 365.25."""
    return 1970.0 + ((d - pd.Timestamp("1970-01-01")) / np.timedelta64(1, "D")).to_numpy(
        dtype=float, na_value=np.nan) / DAYS_PER_YEAR

def _prepare(df: pd.DataFrame) -> _Prepared:
    """Check columns, compute per-patient times, list excluded patients with reasons.

    Exclusion reasons (all applicable ones, joined by "; "): sex missing or not F/M; age
    at diagnosis and birth date both missing; diagnosis date missing; last follow-up and
    death dates both missing; cancer status missing (no ``cancer`` flag and no cancer
    date); cancer date missing for a patient with cancer; birth after diagnosis; exit
    (death / last follow-up) before diagnosis; cancer date before birth; cancer date after
    the last follow-up or death date.
    """
    _check_columns(df)
    n = len(df)
    idx = df.index
    pid = _ids(df["patient_id"])
    sex = _sex_codes(df["sex"])
    sex_ok = (sex == "F") | (sex == "M")
    is_male = sex == "M"

    diag = _to_dt(_col(df, "diagnosis_date"), n, idx)
    birth = _to_dt(_col(df, "birth_date"), n, idx)
    lfu = _to_dt(_col(df, "last_followup_date"), n, idx)
    death_d = _to_dt(_col(df, "death_date"), n, idx)
    cancer_d = _to_dt(_col(df, "cancer_date"), n, idx)

    s_birth = _days(birth, diag) / DAYS_PER_YEAR  # negative age
    age_col = _col(df, "age_at_diagnosis")
    age = (pd.to_numeric(age_col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
           if age_col is not None else np.full(n, np.nan))
    a0 = np.where(np.isfinite(s_birth), -s_birth, age)

    s_lfu = _days(lfu, diag) / DAYS_PER_YEAR
    s_death = _days(death_d, diag) / DAYS_PER_YEAR
    s_exit = np.fmin(s_lfu, s_death)
    s_cancer_raw = _days(cancer_d, diag) / DAYS_PER_YEAR

    cflag = _flag(_col(df, "cancer"), n)
    has_date = ~np.isnan(s_cancer_raw) | cancer_d.notna().to_numpy()
    has_cancer = (cflag == 1) | (np.isnan(cflag) & has_date)
    cancer_unknown = np.isnan(cflag) & ~has_date

    diag_ok = diag.notna().to_numpy()
    reasons: list[tuple[np.ndarray, str]] = [
        (~sex_ok, _("sex missing or not F/M")),
        (np.isnan(a0) & diag_ok, _("age at diagnosis and birth date missing")),
        (~diag_ok, _("diagnosis date missing")),
        (lfu.isna().to_numpy() & death_d.isna().to_numpy(),
         _("last follow-up and death dates missing")),
        (cancer_unknown, _("cancer status missing")),
        (has_cancer & cancer_d.isna().to_numpy(), _("cancer date missing")),
        (a0 < 0, _("birth date after diagnosis date")),
        (s_exit < 0, _("last follow-up / death date before diagnosis date")),
        (has_cancer & (s_cancer_raw < -a0), _("cancer date before birth")),
        (has_cancer & (s_cancer_raw > s_exit),
         _("cancer date after last follow-up / death date")),
    ]
    bad, excluded = _exclusions(pid, reasons)
    ok = ~bad
    c0 = _cal_time(diag)
    # a case's age and calendar time straight from its dates (not a0 + s_cancer, which can
    # round just below a band's boundary: a cancer on 1 January belongs to the new year)
    a_cancer = np.where(np.isfinite(s_birth), _days(cancer_d, birth) / DAYS_PER_YEAR, a0 + s_cancer_raw)
    return _Prepared(
        index=idx[ok],
        patient_id=pid[ok],
        is_male=is_male[ok].astype(bool),
        a0=a0[ok],
        c0=c0[ok],
        s_exit=s_exit[ok],
        has_cancer=has_cancer[ok].astype(bool),
        s_cancer=np.where(has_cancer, s_cancer_raw, np.nan)[ok],
        a_cancer=np.where(has_cancer, a_cancer, np.nan)[ok],
        c_cancer=np.where(has_cancer, _cal_time(cancer_d), np.nan)[ok],
        excluded=excluded,
    )


def _check_columns(df: pd.DataFrame) -> None:
    """Raises when the cohort lacks a column (or both alternatives) the SIR needs."""
    if not isinstance(df, pd.DataFrame):
        raise CancerRiskError("the cohort must be a pandas DataFrame")
    missing_cols = []
    for need in (("patient_id",), ("sex",), ("age_at_diagnosis", "birth_date"),
                 ("diagnosis_date",), ("cancer", "cancer_date"),
                 ("last_followup_date", "death_date")):
        if not any(c in df.columns for c in need):
            missing_cols.append(_(" or ").join(f"'{c}'" for c in need))
    if missing_cols:
        raise CancerRiskError(_(
            "the cohort lacks column(s) needed for the cancer-risk analysis: {columns}. Map them on the cohort page.",
            columns="; ".join(missing_cols),
        ))


def _sex_codes(s: pd.Series) -> np.ndarray:
    """Sex as upper-case text per patient ("" when missing), one pass over the categories."""
    sex_cat = pd.Categorical(s)
    cat_norm = np.array([str(c).strip().upper() for c in sex_cat.categories] + [""],
                        dtype=object)
    return cat_norm[sex_cat.codes]  # code -1 (missing) -> ""


def _exclusions(pid: np.ndarray, reasons: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, pd.DataFrame]:
    """Mask of the excluded patients and their list (``patient_id``, ``reason``: all
    applicable reasons joined by "; ")."""
    n = len(pid)
    bad = np.zeros(n, dtype=bool)
    for m, _why in reasons:
        bad |= m
    if not bad.any():
        return bad, pd.DataFrame({"patient_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    texts = np.full(n, "", dtype=object)
    for m, why in reasons:
        sel = m & bad
        texts[sel] = np.where(texts[sel] == "", why, texts[sel] + "; " + why)
    return bad, pd.DataFrame({"patient_id": pid[bad], "reason": texts[bad].astype(str)})


def _cal_yr(year: int) -> float:
    """Calendar time of 1 January ``year`` on the Epi::cal.yr scale."""
    days = (np.datetime64(f"{int(year):04d}-01-01", "D") - np.datetime64("1970-01-01", "D"))
    return 1970.0 + float(days / np.timedelta64(1, "D")) / DAYS_PER_YEAR


# ------------------------------------------------------------------------------------
# SIR
# ------------------------------------------------------------------------------------
def _headline(group: str, n_pat: int, o: int, e: float, py: float, method: str,
              conf_level: float) -> SIRHeadline:
    sir = o / e if e > 0 else math.nan
    lo, hi = sir_ci(o, e, method, conf_level)  # type: ignore[arg-type]
    p = poisson_test_p(o, e)
    excess = 1000.0 * (o - e) / py if py > 0 else math.nan
    return SIRHeadline(group, int(n_pat), int(o), float(e), float(py), float(sir), lo, hi, p,
                       float(excess), method, conf_level)


def window_description(window_before_years: float, window_after_years: float) -> str:
    """Human text of the at-risk window, e.g. "3 years before to 3 years after diagnosis"."""
    def yrs(x: float) -> str:
        text = f"{x:g}".replace(".", ",") if language() == "fr" else f"{x:g}"
        return n_("{x} year", "{x} years", 1 if x == 1 else 2, x=text)

    if math.isinf(window_after_years):
        if window_before_years == 0:
            return _("from diagnosis on")
        return _("from {before} before diagnosis on", before=yrs(window_before_years))
    if window_before_years == 0:
        return _("from diagnosis to {after} after", after=yrs(window_after_years))
    return _("{before} before to {after} after diagnosis", before=yrs(window_before_years), after=yrs(window_after_years))

def sir_analysis(
    df: pd.DataFrame,
    rates: RateTable,
    window_before_years: float = 3.0,
    window_after_years: float = 3.0,
    ci_method: CIMethod = "exact",
    conf_level: float = 0.95,
    by: pd.Series | str | None = None,
    by_order: Sequence[str] | None = None,
) -> SIRResult:
    """Standardized incidence ratio of first cancers in a window around the DM diagnosis.

    Method in the module docstring (person-time split by sex x age band [x calendar
    period]; ``E = sum PY x rate / 1e5``; exact / mid-p / Byar / log-Wald CI; exact
    two-sided Poisson P as R ``poisson.test``), validated against R Epi/popEpi
    (``Lexis`` + ``splitMulti`` + ``sir``) in ``tests/reference/cancer_risk``.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort (canonical columns: ``patient_id``, ``sex``, ``age_at_diagnosis`` or
        ``birth_date``, ``diagnosis_date``, ``cancer`` and ``cancer_date``,
        ``last_followup_date`` and/or ``death_date``).
    rates : RateTable
        Reference rates per 100,000 person-years.
    window_before_years, window_after_years : float
        At-risk window around the diagnosis (>= 0; after may be ``inf``).
    ci_method : {"exact", "midp", "byar", "wald"}
    conf_level : float
    by : pandas.Series, str or None
        Split: a Series of group labels aligned with ``df.index`` (NaN = in no group),
        a column name of ``df``, or :data:`TIME_SINCE_DIAGNOSIS` to split person-time and
        cases by time since diagnosis (bands :data:`TSD_BANDS`; bands outside the window,
        without person-time or case, are left out; a cancer on the diagnosis day belongs
        to "<1 year").
    by_order : sequence of str, optional
        Group order (default: categorical order, else sorted labels).

    Returns
    -------
    SIRResult

    Raises
    ------
    CancerRiskError
        Missing columns, bad window, unknown CI method, ``by`` not aligned.
    """
    wb, wa = _check_options(window_before_years, window_after_years, ci_method, conf_level)
    prep = _prepare(df)
    n = len(prep.patient_id)
    win = _window(prep, wb, wa)
    split = _split(df, prep, by, by_order)
    tally = _tally(prep, rates, win, split)

    rate_arr = np.array([row.rate for row in rates.data.itertuples(index=False)], dtype=float)
    O = int(tally.observed_i.sum())
    E = float((tally.py * rate_arr / 1e5).sum())
    PY = float(tally.py.sum())
    uncovered_py = float(max(win.total_pt.sum() - tally.covered_pt.sum(), 0.0))
    if uncovered_py < 1e-9 * max(PY, 1.0):
        uncovered_py = 0.0
    uncovered_obs = int((win.counted & (tally.case_row < 0)).sum())
    head = _headline("all", n, O, E, PY, ci_method, conf_level)
    strata = _strata_frame(rates, rate_arr, tally.py, tally.obs)
    subgroups, sub_strata = _subgroups(split, tally, win, rates, rate_arr, ci_method, conf_level)
    guard = _guardrails(O, E, ci_method, subgroups, split, len(prep.excluded), uncovered_py, uncovered_obs)
    patients = pd.DataFrame({
        "patient_id": prep.patient_id,
        "entry_years": win.s_start,
        "exit_years": win.s_end,
        "person_years": tally.covered_pt,
        "expected": tally.exp_i,
        "observed": tally.observed_i.astype(int),
    })

    return SIRResult(
        observed=O, expected=E, person_years=PY, sir=head.sir, ci_low=head.ci_low,
        ci_high=head.ci_high, p_value=head.p_value, ci_method=ci_method,
        conf_level=conf_level, excess_per_1000py=head.excess_per_1000py, n_patients=n,
        n_with_person_time=int(np.sum(win.total_pt > 0)), window_before_years=wb,
        window_after_years=wa, strata=strata, subgroups=tuple(subgroups),
        subgroup_strata=sub_strata, split=split.name, patients=patients,
        guardrails=tuple(guard), excluded=prep.excluded,
        uncovered_person_years=uncovered_py, uncovered_observed=uncovered_obs,
        rates_description=rates.description,
    )


def _check_options(window_before_years: float, window_after_years: float, ci_method: str,
                   conf_level: float) -> tuple[float, float]:
    """The window as floats; raises on a bad window, CI method or confidence level."""
    wb = float(window_before_years)
    wa = float(window_after_years)
    if not (wb >= 0) or math.isinf(wb):
        raise CancerRiskError(_("window_before_years must be a finite number >= 0 (got {value})", value=wb))
    if not (wa >= 0):
        raise CancerRiskError(_("window_after_years must be >= 0 or inf (got {value})", value=wa))
    if wb == 0 and wa == 0:
        raise CancerRiskError(_("the at-risk window is empty (0 years before and after)"))
    if ci_method not in CI_METHODS:
        raise CancerRiskError(_("unknown CI method {method!r}; use one of {methods}", method=ci_method,
                                methods=", ".join(CI_METHODS)))
    _check_conf(conf_level)
    return wb, wa


@dataclass(frozen=True, eq=False)
class _Window:
    """Each analysed patient's at-risk interval, in years from diagnosis."""

    s_start: np.ndarray
    s_end: np.ndarray
    counted: np.ndarray  # bool: first cancer inside the window
    total_pt: np.ndarray  # s_end - s_start (whatever the rate table covers)


def _window(prep: _Prepared, wb: float, wa: float) -> _Window:
    """Interval from ``max(-wb, birth)`` to the earliest of cancer, exit and ``wa``."""
    s_start = np.maximum(-wb, -prep.a0)
    s_end = np.fmin(prep.s_exit, wa)
    s_end = np.where(prep.has_cancer, np.fmin(s_end, prep.s_cancer), s_end)
    counted = prep.has_cancer & (prep.s_cancer >= -wb) & (prep.s_cancer <= wa)
    s_end = np.maximum(s_end, s_start)  # cancer before the window: no person-time
    return _Window(s_start, s_end, counted, s_end - s_start)


@dataclass(frozen=True, eq=False)
class _Split:
    """The subgroups asked for: labels, code per analysed patient (-1 = in no group)."""

    name: str | None
    groups: list[str]
    gcode: np.ndarray
    tsd: bool  # split of person-time by time since diagnosis (bands TSD_BANDS)


def _split(df: pd.DataFrame, prep: _Prepared, by: pd.Series | str | None,
           by_order: Sequence[str] | None) -> _Split:
    """Group code of each analysed patient from ``by`` (see :func:`sir_analysis`)."""
    gcode = np.full(len(prep.patient_id), -1, dtype=np.int64)
    if isinstance(by, str) and by == TIME_SINCE_DIAGNOSIS:
        return _Split("time since diagnosis", [b[0] for b in TSD_BANDS], gcode, True)
    if by is None:
        return _Split(None, [], gcode, False)
    if isinstance(by, str):
        if by not in df.columns:
            raise CancerRiskError(_("split column {column!r} is not in the cohort", column=by))
        split = by
        by = df[by]
    else:
        split = str(by.name) if by.name is not None else "group"
    if not isinstance(by, pd.Series) or not by.index.equals(df.index):
        if isinstance(by, pd.Series) and len(by) == len(df) and by.index.isin(df.index).all():
            by = by.reindex(df.index)
        else:
            raise CancerRiskError(_("the split series must be aligned with the cohort index"))
    lab = by.loc[prep.index]
    if by_order is not None:
        groups = [str(g) for g in by_order]
    elif isinstance(by.dtype, pd.CategoricalDtype):
        groups = [str(c) for c in by.cat.categories]
    else:
        groups = sorted({str(v) for v in by.dropna().unique()})
    code_map = {g: i for i, g in enumerate(groups)}
    cat = pd.Categorical(lab)
    cat_codes = np.array([code_map.get(str(c), -1) for c in cat.categories] + [-1],
                         dtype=np.int64)
    gcode = cat_codes[cat.codes]  # missing (code -1) -> last entry -1
    return _Split(split, groups, gcode, False)


@dataclass(frozen=True, eq=False)
class _Tally:
    """Person-years and cases per row of the rate table (overall and per group), and
    per analysed patient."""

    py: np.ndarray  # person-years per rate row
    obs: np.ndarray  # cases per rate row
    g_py: np.ndarray  # (groups, rate rows)
    g_obs: np.ndarray
    covered_pt: np.ndarray  # per patient: person-years the rate table covers
    exp_i: np.ndarray  # per patient: expected cases
    case_row: np.ndarray  # per patient: rate row of the counted case (-1: none / uncovered)
    observed_i: np.ndarray  # per patient: bool, counted case in a covered stratum


def _period_bounds(table: pd.DataFrame) -> tuple[dict[int, float], dict[int, float]]:
    """Calendar bounds (Epi::cal.yr scale) of each period of the rate table, keyed by its
    first year; the first period is open to the past, the last to the future."""
    pfrom = np.sort(table["period_from"].unique())
    pto = np.array([table.loc[table["period_from"] == p, "period_to"].iloc[0] for p in pfrom])
    per_lo = {int(p): (-math.inf if i == 0 else _cal_yr(int(p))) for i, p in enumerate(pfrom)}
    per_hi = {int(p): (math.inf if i == len(pfrom) - 1 else _cal_yr(int(t) + 1))
              for i, (p, t) in enumerate(zip(pfrom, pto))}
    return per_lo, per_hi


def _tally(prep: _Prepared, rates: RateTable, win: _Window, split: _Split) -> _Tally:
    """Splits person-time and cases over the strata of the rate table: one pass per
    stratum on the patients of that sex with person-time (gathered once); cases handled on
    the (small) set of counted cases, in the stratum of the age (and date) at cancer."""
    table = rates.data
    has_per = rates.has_periods
    per_lo, per_hi = _period_bounds(table) if has_per else ({}, {})
    rate_rows = list(table.itertuples(index=False))
    n, n_rows, n_groups = len(prep.patient_id), len(rate_rows), len(split.groups)
    t = _Tally(
        py=np.zeros(n_rows), obs=np.zeros(n_rows, dtype=np.int64),
        g_py=np.zeros((max(n_groups, 1), n_rows)), g_obs=np.zeros((max(n_groups, 1), n_rows), dtype=np.int64),
        covered_pt=np.zeros(n), exp_i=np.zeros(n), case_row=np.full(n, -1, dtype=np.int64),
        observed_i=np.zeros(n, dtype=bool),
    )
    a_case = np.where(win.counted, prep.a_cancer, np.nan)
    tsd_case = _tsd_case(prep, win) if split.tsd else None
    has_pt = win.total_pt > 0
    for sex_code, sex_mask in (("M", prep.is_male), ("F", ~prep.is_male)):
        rows_sex = [r for r, row in enumerate(rate_rows) if row.sex == sex_code]
        if not rows_sex:
            continue
        ids = np.flatnonzero(sex_mask & has_pt)
        s0, s1, a0_s = win.s_start[ids], win.s_end[ids], prep.a0[ids]
        c0_s = prep.c0[ids] if has_per else None
        g_s = split.gcode[ids] if (n_groups and not split.tsd) else None
        cov_s = np.zeros(len(ids))
        exp_s = np.zeros(len(ids))
        cids = np.flatnonzero(sex_mask & win.counted)
        a_case_c = a_case[cids]
        cal_case_c = prep.c_cancer[cids] if has_per else None
        for r in rows_sex:
            row = rate_rows[r]
            period = (per_lo[int(row.period_from)], per_hi[int(row.period_from)]) if has_per else None
            lo, hi, in_case = _overlap(row, s0, s1, a0_s, c0_s, a_case_c, cal_case_c, period)
            pt = hi - lo
            np.maximum(pt, 0.0, out=pt)
            cov_s += pt
            exp_s += pt * (row.rate / 1e5)
            t.py[r] = pt.sum()
            t.case_row[cids[in_case]] = r
            t.obs[r] = int(in_case.sum())
            _tally_groups(t, r, split, g_s, pt, lo, hi, cids[in_case], tsd_case)
        t.covered_pt[ids] = cov_s
        t.exp_i[ids] = exp_s
    t.observed_i[:] = win.counted & (t.case_row >= 0)
    return t


def _tsd_case(prep: _Prepared, win: _Window) -> np.ndarray:
    """Time-since-diagnosis band of each counted case (-1 for the others)."""
    tsd_case = np.full(len(prep.patient_id), -1, dtype=np.int64)
    for k, (lo, hi) in enumerate(_TSD_RANGES):
        tsd_case[win.counted & (prep.s_cancer >= lo) & (prep.s_cancer < hi)] = k
    return tsd_case


def _overlap(row: Any, s0: np.ndarray, s1: np.ndarray, a0_s: np.ndarray, c0_s: np.ndarray | None,
             a_case_c: np.ndarray, cal_case_c: np.ndarray | None,
             period: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap ``[lo, hi]`` of each interval ``[s0, s1]`` with one rate stratum, on the
    time-since-diagnosis scale s (age = a0 + s, calendar = c0 + s; negative length = no
    overlap), and which cases fall in the stratum (bands ``[from, to)``)."""
    lo = np.maximum(s0, row.age_from - a0_s)
    hi = np.minimum(s1, row.age_to - a0_s)
    in_case = (a_case_c >= row.age_from) & (a_case_c < row.age_to)
    if period is not None:
        plo, phi = period
        lo = np.maximum(lo, plo - c0_s)
        hi = np.minimum(hi, phi - c0_s)
        in_case &= (cal_case_c >= plo) & (cal_case_c < phi)
    return lo, hi, in_case


def _tally_groups(t: _Tally, r: int, split: _Split, g_s: np.ndarray | None, pt: np.ndarray,
                  lo: np.ndarray, hi: np.ndarray, case_ids: np.ndarray,
                  tsd_case: np.ndarray | None) -> None:
    """Person-years and cases of rate row ``r`` per group (or time-since-diagnosis band)."""
    if g_s is not None:
        n_groups = len(split.groups)
        ing = g_s >= 0
        t.g_py[:, r] = np.bincount(g_s[ing], weights=pt[ing], minlength=n_groups)
        gc = split.gcode[case_ids]
        t.g_obs[:, r] = np.bincount(gc[gc >= 0], minlength=n_groups)
    elif split.tsd:
        assert tsd_case is not None
        for k, (tlo, thi) in enumerate(_TSD_RANGES):
            t.g_py[k, r] = np.maximum(np.minimum(hi, thi) - np.maximum(lo, tlo), 0.0).sum()
            t.g_obs[k, r] = int((tsd_case[case_ids] == k).sum())


def _strata_frame(rates: RateTable, rate_arr: np.ndarray, py: np.ndarray, obs: np.ndarray) -> pd.DataFrame:
    """Strata with person-time or a case: sex [, period], age band, PY, rate, E, O."""
    table = rates.data
    has_per = rates.has_periods
    cols: dict[str, Any] = {}
    if has_per:
        cols["period"] = table["period"].to_numpy()
    cols["sex"] = table["sex"].to_numpy()
    cols["age_band"] = table["age_band"].to_numpy()
    cols["person_years"] = py
    cols["rate"] = rate_arr
    cols["expected"] = py * rate_arr / 1e5
    cols["observed"] = obs.astype(int)
    out = pd.DataFrame(cols)
    out = out[(out["person_years"] > 0) | (out["observed"] > 0)]
    # sex first, then (period), age order
    order = ["sex", "period"] if has_per else ["sex"]
    out = out.assign(_a=table.loc[out.index, "age_from"].to_numpy())
    return out.sort_values(order + ["_a"], kind="stable").drop(columns="_a").reset_index(
        drop=True)


def _subgroups(split: _Split, tally: _Tally, win: _Window, rates: RateTable, rate_arr: np.ndarray,
               ci_method: str, conf_level: float) -> tuple[list[SIRHeadline], pd.DataFrame | None]:
    """Headline and strata of each group of the split (time-since-diagnosis bands without
    person-time or case are left out)."""
    subgroups: list[SIRHeadline] = []
    if not split.groups:
        return subgroups, None
    frames = []
    for k, g in enumerate(split.groups):
        o_k = int(tally.g_obs[k].sum())
        py_k = float(tally.g_py[k].sum())
        e_k = float((tally.g_py[k] * rate_arr).sum() / 1e5)
        if split.tsd:
            lo_k, hi_k = _TSD_RANGES[k]
            # patients contributing person-time in the band
            n_k = int(np.sum((np.minimum(win.s_end, hi_k) - np.maximum(win.s_start, lo_k)) > 0))
        else:
            n_k = int(np.sum(split.gcode == k))
        if split.tsd and py_k == 0 and o_k == 0:
            continue  # band outside the window
        subgroups.append(_headline(g, n_k, o_k, e_k, py_k, ci_method, conf_level))
        frames.append(_strata_frame(rates, rate_arr, tally.g_py[k], tally.g_obs[k]).assign(group=g))
    sub_strata = pd.concat(frames, ignore_index=True)
    sub_strata = sub_strata[["group"] + [c for c in sub_strata.columns if c != "group"]]
    return subgroups, sub_strata


def _guardrails(O: int, E: float, ci_method: str, subgroups: list[SIRHeadline], split: _Split,
                n_excluded: int, uncovered_py: float, uncovered_obs: int) -> list[str]:
    """Warnings: few observed or expected cancers, small groups, exclusions, uncovered
    person-time, patients in no group."""
    guard: list[str] = []
    if O < MIN_OBSERVED:
        guard.append(n_("Only {n} observed cancer (O < {min_o}): the SIR is unstable; read it with its confidence interval.",
                        "Only {n} observed cancers (O < {min_o}): the SIR is unstable; read it with its confidence interval.",
                        O, min_o=MIN_OBSERVED))
    if 0 < E < MIN_EXPECTED:
        guard.append(_("Expected count E = {e} (< {min_e}): the SIR rests on few expected cases; "
                       "prefer the exact or mid-p interval.", e=fmt_number(E, 2), min_e=MIN_EXPECTED))
    if ci_method == "wald" and O == 0:
        guard.append(_("The log-Wald interval is undefined when O = 0; use the exact method."))
    for h in subgroups:
        group = _(h.group) if split.tsd else h.group
        if h.person_years == 0 and h.observed == 0:
            guard.append(_("Group {group}: no person-time in the window.", group=group))
        elif h.n_patients < MIN_GROUP_SIZE and not split.tsd:
            guard.append(_("Group {group}: only {n} patients (< {min_n}).", group=group, n=h.n_patients, min_n=MIN_GROUP_SIZE))
        elif h.observed < MIN_OBSERVED:
            guard.append(n_("Group {group}: only {n} observed cancer (O < {min_o}), SIR unstable.",
                            "Group {group}: only {n} observed cancers (O < {min_o}), SIR unstable.",
                            h.observed, group=group, min_o=MIN_OBSERVED))
    if n_excluded:
        guard.append(n_("{n} patient left out for missing or inconsistent data (listed with the reason).",
                        "{n} patients left out for missing or inconsistent data (listed with the reason).", n_excluded))
    if uncovered_py > 0 or uncovered_obs > 0:
        guard.append(n_(
            "{py} person-years and {n} cancer fall at ages or sexes the rate table does "
            "not cover and are left out of O, E and person-years.",
            "{py} person-years and {n} cancers fall at ages or sexes the rate table does "
            "not cover and are left out of O, E and person-years.",
            uncovered_obs, py=fmt_number(uncovered_py, 1),
        ))
    if split.groups and not split.tsd:
        n_none = int(np.sum(split.gcode < 0))
        if n_none:
            guard.append(n_("{n} analysed patient in no group of the split ({split}: missing value).",
                            "{n} analysed patients in no group of the split ({split}: missing value).",
                            n_none, split=split.name))
    return guard


# ------------------------------------------------------------------------------------
# Methods text
# ------------------------------------------------------------------------------------
def methods_text(
    result: SIRResult,
    rates_description: str | None = None,
    filters_description: str = "",
    timing: TimingResult | None = None,
) -> str:
    """Methods paragraph for the SIR (and timing) analysis.

    Parameters
    ----------
    result : SIRResult
    rates_description : str, optional
        Source of the reference rates (default: ``result.rates_description``).
    filters_description : str
        Human text of the active cohort filters ("" = whole cohort).
    timing : TimingResult, optional
        Adds a sentence on the median time from diagnosis to cancer.

    Returns
    -------
    str
    """
    rates_txt = rates_label(rates_description or result.rates_description) or _("reference rates")
    win = window_description(result.window_before_years, result.window_after_years)
    level = _loc(f"{100 * result.conf_level:g}")
    ci_txt = {
        "exact": lambda: _("used exact Poisson limits (chi-square quantiles)"),
        "midp": lambda: _("used mid-p exact Poisson limits"),
        "byar": lambda: _("used Byar's approximation"),
        "wald": lambda: _("used log-Wald limits, exp(ln(O/E) ± z/√O)"),
    }[result.ci_method]()
    values = {"rates": rates_txt, "window": win, "level": level, "ci": ci_txt}
    parts = [_("Patients: {filters}.", filters=filters_description)] if filters_description else []
    if "period" in result.strata.columns:
        parts.append(_(
            "Cancer risk was expressed as a standardized incidence ratio (SIR), the number "
            "of observed first cancers (O) divided by the number expected (E) from age- and "
            "sex-specific incidence rates of the general population ({rates}). "
            "Each patient's person-time at risk ran from the start of the window ({window}), or "
            "birth if later, to the earliest of the first cancer, death, last follow-up and "
            "the end of the window, and was split across 5-year age bands and calendar periods as the "
            "patient aged; E is the sum of person-years times the matching rate. Years were "
            "counted as days/365.25; without a date of birth, age was the age at diagnosis plus "
            "the time since diagnosis. A patient whose first cancer preceded the window "
            "contributed neither person-time nor a case; a cancer was counted if it was the "
            "patient's first and fell inside the window. {level}% confidence intervals "
            "{ci}; the P value is from the two-sided exact Poisson test (as R "
            "poisson.test). The excess absolute risk is (O − E) per 1,000 person-years.", **values))
    else:
        parts.append(_(
            "Cancer risk was expressed as a standardized incidence ratio (SIR), the number "
            "of observed first cancers (O) divided by the number expected (E) from age- and "
            "sex-specific incidence rates of the general population ({rates}). "
            "Each patient's person-time at risk ran from the start of the window ({window}), or "
            "birth if later, to the earliest of the first cancer, death, last follow-up and "
            "the end of the window, and was split across 5-year age bands as the "
            "patient aged; E is the sum of person-years times the matching rate. Years were "
            "counted as days/365.25; without a date of birth, age was the age at diagnosis plus "
            "the time since diagnosis. A patient whose first cancer preceded the window "
            "contributed neither person-time nor a case; a cancer was counted if it was the "
            "patient's first and fell inside the window. {level}% confidence intervals "
            "{ci}; the P value is from the two-sided exact Poisson test (as R "
            "poisson.test). The excess absolute risk is (O − E) per 1,000 person-years.", **values))
    if len(result.excluded):
        parts.append(n_("{n} patients with missing or inconsistent dates were excluded.",
                        "{n} patients with missing or inconsistent dates were excluded.", len(result.excluded)))
    if result.split:
        split = _(result.split) if result.split == "time since diagnosis" else result.split
        parts.append(_("SIRs were also computed by {split}.", split=split))
    if timing is not None and timing.n:
        parts.append(_("The time from DM diagnosis to cancer is summarised by its median with a {level}% {method}.",
                       level=_loc(f"{100 * timing.conf_level:g}"), method=_(timing.ci_method)))
    parts.append(_("Computed with Myoscope; person-years, expected counts and P values were "
                   "checked against R (Epi/popEpi, poisson.test)."))
    return " ".join(parts)


def _loc(text: str) -> str:
    """A formatted number with the language's decimal mark."""
    return text.replace(".", ",") if language() == "fr" else text
