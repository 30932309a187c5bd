"""Cancer risk of a cohort against population rates: SIR, cancer timing, cumulative incidence.

Standardized incidence ratio (SIR)
----------------------------------
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

Confidence intervals for SIR (Breslow & Day 1987, *Statistical Methods in Cancer Research
II*, ch. 2; Ulm 1990, Am J Epidemiol 131:373):

* ``exact`` (default): ``[chi2(a/2; 2O) / 2E, chi2(1 - a/2; 2O + 2) / 2E]`` (lower 0
  when O = 0), identical to R ``poisson.test(O, E)$conf.int``;
* ``midp``: Poisson mid-p limits (Rothman & Greenland, *Modern Epidemiology*): mu_L with
  ``P(X > O) + P(X = O)/2 = a/2``, mu_U with ``P(X < O) + P(X = O)/2 = a/2``, divided by E
  (solved with :func:`scipy.optimize.brentq`);
* ``byar``: ``O (1 - 1/(9O) - z/(3 sqrt O))^3 / E`` and
  ``(O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3 / E``;
* ``wald``: log-Wald ``exp(ln(O/E) +/- z / sqrt O)`` (undefined for O = 0).

P value: two-sided exact Poisson test of ``O`` against the mean ``E``, a line-by-line port
of R's ``poisson.test(O, E)`` (probabilities of outcomes no more likely than ``O``,
relative tolerance 1 + 1e-7); scipy has no one-sample Poisson test with this two-sided
rule, hence the hand-written version, tested against R.

Everything is vectorised with numpy (one pass per rate stratum), so a million patients
take well under two seconds.

Cancer timing and cumulative incidence
--------------------------------------
:func:`cancer_timing` gives each cancer's day relative to the DM diagnosis, the median
with a distribution-free 95% CI from order statistics (binomial, via
:func:`scipy.stats.quantile_test`) and the share within the window.
:func:`cumulative_incidence` estimates the cumulative incidence of a first cancer after
the DM diagnosis with death as a competing risk (Aalen-Johansen, lifelines).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from core.rates import RateTable

__all__ = [
    "CI_METHODS",
    "CI_METHOD_LABELS",
    "TIME_SINCE_DIAGNOSIS",
    "TSD_BANDS",
    "CIMethod",
    "CancerRiskError",
    "CumulativeIncidenceResult",
    "SIRHeadline",
    "SIRResult",
    "TimingResult",
    "cancer_timing",
    "cumulative_incidence",
    "methods_text",
    "poisson_test_p",
    "sir_analysis",
    "sir_ci",
    "sir_payload",
    "window_description",
]

CIMethod = Literal["exact", "midp", "byar", "wald"]
CI_METHODS: tuple[str, ...] = ("exact", "midp", "byar", "wald")
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
DAYS_PER_YEAR = 365.25


class CancerRiskError(ValueError):
    """The cohort or the options cannot be used for the cancer-risk analysis."""


# ------------------------------------------------------------------------------------
# Poisson confidence intervals and test
# ------------------------------------------------------------------------------------
def _check_conf(conf_level: float) -> float:
    if not (0 < conf_level < 1):
        raise CancerRiskError(f"conf_level must be between 0 and 1 (got {conf_level})")
    return 1.0 - conf_level


def sir_ci(
    observed: int,
    expected: float,
    method: CIMethod = "exact",
    conf_level: float = 0.95,
) -> tuple[float, float]:
    """Confidence interval of SIR = observed / expected.

    Parameters
    ----------
    observed : int
        Observed count O (>= 0).
    expected : float
        Expected count E (> 0).
    method : {"exact", "midp", "byar", "wald"}
        See the module docstring for the formulas.
    conf_level : float
        Confidence level (0.95).

    Returns
    -------
    (float, float)
        Lower and upper limits; NaN when E <= 0, and for ``wald`` when O = 0.
    """
    alpha = _check_conf(conf_level)
    if method not in CI_METHODS:
        raise CancerRiskError(f"unknown CI method {method!r}; use one of {', '.join(CI_METHODS)}")
    o = int(observed)
    if o < 0:
        raise CancerRiskError(f"observed count must be >= 0 (got {observed})")
    e = float(expected)
    if not (e > 0) or math.isinf(e):
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if method == "exact":
        lo = 0.0 if o == 0 else float(stats.chi2.ppf(alpha / 2, 2 * o)) / 2
        hi = float(stats.chi2.ppf(1 - alpha / 2, 2 * o + 2)) / 2
    elif method == "midp":
        hi_bracket = o + 20.0 * math.sqrt(o + 1.0) + 50.0

        def upper(mu: float) -> float:
            return float(stats.poisson.cdf(o - 1, mu) + 0.5 * stats.poisson.pmf(o, mu)) - alpha / 2

        hi = float(optimize.brentq(upper, 1e-12, hi_bracket, xtol=1e-14, rtol=1e-13))
        if o == 0:
            lo = 0.0
        else:

            def lower(mu: float) -> float:
                return float(stats.poisson.sf(o, mu) + 0.5 * stats.poisson.pmf(o, mu)) - alpha / 2

            lo = float(optimize.brentq(lower, 1e-12, hi_bracket, xtol=1e-14, rtol=1e-13))
    elif method == "byar":
        lo = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
        o1 = o + 1
        hi = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    else:  # wald
        if o == 0:
            return (math.nan, math.nan)
        sir = o / e
        return (sir * math.exp(-z / math.sqrt(o)), sir * math.exp(z / math.sqrt(o)))
    return (lo / e, hi / e)


def poisson_test_p(observed: int, expected: float) -> float:
    """Two-sided exact Poisson test P of ``observed`` against mean ``expected``.

    Port of R ``poisson.test(x, T = expected, r = 1)$p.value`` (stats package): the sum
    of the probabilities of all outcomes whose probability is at most that of the
    observed count (relative tolerance 1 + 1e-7).

    Parameters
    ----------
    observed : int
    expected : float

    Returns
    -------
    float
        P value (NaN when ``expected`` <= 0).
    """
    x = int(observed)
    m = float(expected)
    if not (m > 0) or math.isinf(m):
        return math.nan
    if m == 0:
        return 1.0 if x == 0 else 0.0
    rel_err = 1 + 1e-7
    d = float(stats.poisson.pmf(x, m))
    if x == m:
        return 1.0
    if x < m:
        n = math.ceil(2 * m - x)
        while stats.poisson.pmf(n, m) > d:
            n *= 2
        i = np.arange(math.ceil(m), n + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * rel_err))
        p = float(stats.poisson.cdf(x, m) + stats.poisson.sf(n - y, m))
    else:
        i = np.arange(0, math.floor(m) + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * rel_err))
        p = float(stats.poisson.cdf(y - 1, m) + stats.poisson.sf(x - 1, m))
    return min(1.0, p)


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
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    return df[name] if name in df.columns else None


def _to_dt(s: pd.Series | None, n: int, index: pd.Index) -> pd.Series:
    if s is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce")
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
    """A 0/1 flag column as float (NaN = missing); accepts bool / numbers / yes-no text."""
    if s is None:
        return np.full(n, np.nan)
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    mapped = s.map(
        lambda v: 1.0 if str(v).strip().lower() in ("1", "1.0", "yes", "true", "oui", "y")
        else 0.0 if str(v).strip().lower() in ("0", "0.0", "no", "false", "non", "n")
        else np.nan
    )
    return mapped.to_numpy(dtype=float, na_value=np.nan)


def _prepare(df: pd.DataFrame) -> _Prepared:
    """Check columns, compute per-patient times, list excluded patients with reasons.

    Exclusion reasons (all applicable ones, joined by "; "): sex missing or not F/M; age
    at diagnosis and birth date both missing; diagnosis date missing; last follow-up and
    death dates both missing; cancer status missing (no ``cancer`` flag and no cancer
    date); cancer date missing for a patient with cancer; birth after diagnosis; exit
    (death / last follow-up) before diagnosis; cancer date before birth; cancer date after
    the last follow-up or death date.
    """
    if not isinstance(df, pd.DataFrame):
        raise CancerRiskError("the cohort must be a pandas DataFrame")
    missing_cols = []
    for need in (("patient_id",), ("sex",), ("age_at_diagnosis", "birth_date"),
                 ("diagnosis_date",), ("cancer", "cancer_date"),
                 ("last_followup_date", "death_date")):
        if not any(c in df.columns for c in need):
            missing_cols.append(" or ".join(f"'{c}'" for c in need))
    if missing_cols:
        raise CancerRiskError(
            "the cohort lacks column(s) needed for the cancer-risk analysis: "
            + "; ".join(missing_cols)
            + ". Map them on the cohort page."
        )
    n = len(df)
    idx = df.index
    pid = _ids(df["patient_id"])
    sex_cat = pd.Categorical(df["sex"])
    cat_norm = np.array([str(c).strip().upper() for c in sex_cat.categories] + [""],
                        dtype=object)
    sex = cat_norm[sex_cat.codes]  # code -1 (missing) -> ""
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
        (~sex_ok, "sex missing or not F/M"),
        (np.isnan(a0) & diag_ok, "age at diagnosis and birth date missing"),
        (~diag_ok, "diagnosis date missing"),
        (lfu.isna().to_numpy() & death_d.isna().to_numpy(),
         "last follow-up and death dates missing"),
        (cancer_unknown, "cancer status missing"),
        (has_cancer & cancer_d.isna().to_numpy(), "cancer date missing"),
        (a0 < 0, "birth date after diagnosis date"),
        (s_exit < 0, "last follow-up / death date before diagnosis date"),
        (has_cancer & (s_cancer_raw < -a0), "cancer date before birth"),
        (has_cancer & (s_cancer_raw > s_exit),
         "cancer date after last follow-up / death date"),
    ]
    bad = np.zeros(n, dtype=bool)
    for m, _ in reasons:
        bad |= m
    if bad.any():
        texts = np.full(n, "", dtype=object)
        for m, why in reasons:
            sel = m & bad
            texts[sel] = np.where(texts[sel] == "", why, texts[sel] + "; " + why)
        excluded = pd.DataFrame({"patient_id": pid[bad], "reason": texts[bad].astype(str)})
    else:
        excluded = pd.DataFrame({"patient_id": pd.Series(dtype=str),
                                 "reason": pd.Series(dtype=str)})
    ok = ~bad
    c0 = 1970.0 + ((diag - pd.Timestamp("1970-01-01")) / np.timedelta64(1, "D")).to_numpy(
        dtype=float, na_value=np.nan) / DAYS_PER_YEAR
    return _Prepared(
        index=idx[ok],
        patient_id=pid[ok],
        is_male=is_male[ok].astype(bool),
        a0=a0[ok],
        c0=c0[ok],
        s_exit=s_exit[ok],
        has_cancer=has_cancer[ok].astype(bool),
        s_cancer=np.where(has_cancer, s_cancer_raw, np.nan)[ok],
        excluded=excluded,
    )


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
        return f"{x:g} year" + ("" if x == 1 else "s")

    if math.isinf(window_after_years):
        if window_before_years == 0:
            return "from diagnosis on"
        return f"from {yrs(window_before_years)} before diagnosis on"
    if window_before_years == 0:
        return f"from diagnosis to {yrs(window_after_years)} after"
    return f"{yrs(window_before_years)} before to {yrs(window_after_years)} after diagnosis"


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
    wb = float(window_before_years)
    wa = float(window_after_years)
    if not (wb >= 0) or math.isinf(wb):
        raise CancerRiskError(f"window_before_years must be a finite number >= 0 (got {wb})")
    if not (wa >= 0):
        raise CancerRiskError(f"window_after_years must be >= 0 or inf (got {wa})")
    if wb == 0 and wa == 0:
        raise CancerRiskError("the at-risk window is empty (0 years before and after)")
    if ci_method not in CI_METHODS:
        raise CancerRiskError(f"unknown CI method {ci_method!r}; use one of "
                              f"{', '.join(CI_METHODS)}")
    _check_conf(conf_level)
    prep = _prepare(df)
    n = len(prep.patient_id)

    # per-patient interval on the age scale ------------------------------------------
    s_start = np.maximum(-wb, -prep.a0)
    s_end = np.fmin(prep.s_exit, wa)
    s_end = np.where(prep.has_cancer, np.fmin(s_end, prep.s_cancer), s_end)
    counted = prep.has_cancer & (prep.s_cancer >= -wb) & (prep.s_cancer <= wa)
    s_end = np.maximum(s_end, s_start)  # cancer before the window: no person-time
    total_pt = s_end - s_start

    # split ---------------------------------------------------------------------------
    split: str | None = None
    groups: list[str] = []
    gcode = np.full(n, -1, dtype=np.int64)
    tsd = False
    if isinstance(by, str) and by == TIME_SINCE_DIAGNOSIS:
        tsd = True
        split = "time since diagnosis"
        groups = [b[0] for b in TSD_BANDS]
    elif by is not None:
        if isinstance(by, str):
            if by not in df.columns:
                raise CancerRiskError(f"split column {by!r} is not in the cohort")
            split = by
            by = df[by]
        else:
            split = str(by.name) if by.name is not None else "group"
        if not isinstance(by, pd.Series) or not by.index.equals(df.index):
            if isinstance(by, pd.Series) and len(by) == len(df) and by.index.isin(df.index).all():
                by = by.reindex(df.index)
            else:
                raise CancerRiskError("the split series must be aligned with the cohort index")
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
    n_groups = len(groups)

    # strata of the rate table --------------------------------------------------------
    table = rates.data
    has_per = rates.has_periods
    if has_per:
        pfrom = np.sort(table["period_from"].unique())
        pto = np.array([table.loc[table["period_from"] == p, "period_to"].iloc[0] for p in pfrom])
        # calendar bounds, first period open to the past, last open to the future
        per_lo = {int(p): (-math.inf if i == 0 else _cal_yr(int(p))) for i, p in enumerate(pfrom)}
        per_hi = {int(p): (math.inf if i == len(pfrom) - 1 else _cal_yr(int(t) + 1))
                  for i, (p, t) in enumerate(zip(pfrom, pto))}
    tsd_ranges = [(b[1], b[2]) for b in TSD_BANDS] if tsd else [(-math.inf, math.inf)]

    rate_rows = list(table.itertuples(index=False))
    n_rows = len(rate_rows)
    strata_py = np.zeros(n_rows)
    strata_obs = np.zeros(n_rows, dtype=np.int64)
    covered_pt = np.zeros(n)
    exp_i = np.zeros(n)
    g_py = np.zeros((max(n_groups, 1), n_rows))
    g_obs = np.zeros((max(n_groups, 1), n_rows), dtype=np.int64)

    # case stratum: age (and calendar time) at cancer, bands [from, to)
    a_case = prep.a0 + np.where(counted, prep.s_cancer, np.nan)
    case_row = np.full(n, -1, dtype=np.int64)
    if tsd:
        tsd_case = np.full(n, -1, dtype=np.int64)
        for k, (lo, hi) in enumerate(tsd_ranges):
            tsd_case[counted & (prep.s_cancer >= lo) & (prep.s_cancer < hi)] = k

    # one pass per stratum on the patients of that sex with person-time (gathered once);
    # cases handled on the (small) set of counted cases
    has_pt = total_pt > 0
    for sex_code, sex_mask in (("M", prep.is_male), ("F", ~prep.is_male)):
        rows_sex = [r for r, row in enumerate(rate_rows) if row.sex == sex_code]
        if not rows_sex:
            continue
        ids = np.flatnonzero(sex_mask & has_pt)
        s0, s1, a0_s = s_start[ids], s_end[ids], prep.a0[ids]
        c0_s = prep.c0[ids] if has_per else None
        g_s = gcode[ids] if (n_groups and not tsd) else None
        cov_s = np.zeros(len(ids))
        exp_s = np.zeros(len(ids))
        cids = np.flatnonzero(sex_mask & counted)
        a_case_c = a_case[cids]
        cal_case_c = (prep.c0[cids] + prep.s_cancer[cids]) if has_per else None
        for r in rows_sex:
            row = rate_rows[r]
            # overlap on the time-since-diagnosis scale s (age = a0 + s, calendar = c0 + s)
            lo = np.maximum(s0, row.age_from - a0_s)
            hi = np.minimum(s1, row.age_to - a0_s)
            in_case = (a_case_c >= row.age_from) & (a_case_c < row.age_to)
            if has_per:
                plo, phi = per_lo[int(row.period_from)], per_hi[int(row.period_from)]
                lo = np.maximum(lo, plo - c0_s)
                hi = np.minimum(hi, phi - c0_s)
                in_case &= (cal_case_c >= plo) & (cal_case_c < phi)
            pt = hi - lo
            np.maximum(pt, 0.0, out=pt)
            cov_s += pt
            exp_s += pt * (row.rate / 1e5)
            strata_py[r] = pt.sum()
            case_row[cids[in_case]] = r
            strata_obs[r] = int(in_case.sum())
            if g_s is not None:
                ing = g_s >= 0
                g_py[:, r] = np.bincount(g_s[ing], weights=pt[ing], minlength=n_groups)
                gc = gcode[cids[in_case]]
                g_obs[:, r] = np.bincount(gc[gc >= 0], minlength=n_groups)
            elif tsd:
                for k, (tlo, thi) in enumerate(tsd_ranges):
                    g_py[k, r] = np.maximum(np.minimum(hi, thi) - np.maximum(lo, tlo), 0.0).sum()
                    g_obs[k, r] = int((tsd_case[cids[in_case]] == k).sum())
        covered_pt[ids] = cov_s
        exp_i[ids] = exp_s

    rate_arr = np.array([row.rate for row in rate_rows], dtype=float)
    strata_exp = strata_py * rate_arr / 1e5
    observed_i = counted & (case_row >= 0)
    O = int(observed_i.sum())
    E = float(strata_exp.sum())
    PY = float(strata_py.sum())
    uncovered_py = float(max(total_pt.sum() - covered_pt.sum(), 0.0))
    if uncovered_py < 1e-9 * max(PY, 1.0):
        uncovered_py = 0.0
    uncovered_obs = int((counted & (case_row < 0)).sum())
    head = _headline("all", n, O, E, PY, ci_method, conf_level)

    def strata_frame(py: np.ndarray, obs: np.ndarray) -> pd.DataFrame:
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

    strata = strata_frame(strata_py, strata_obs)

    subgroups: list[SIRHeadline] = []
    sub_strata: pd.DataFrame | None = None
    if n_groups:
        frames = []
        for k, g in enumerate(groups):
            o_k = int(g_obs[k].sum())
            py_k = float(g_py[k].sum())
            e_k = float((g_py[k] * rate_arr).sum() / 1e5)
            if tsd:
                lo_k, hi_k = tsd_ranges[k]
                # patients contributing person-time in the band
                n_k = int(np.sum((np.minimum(s_end, hi_k) - np.maximum(s_start, lo_k)) > 0))
            else:
                n_k = int(np.sum(gcode == k))
            if tsd and py_k == 0 and o_k == 0:
                continue  # band outside the window
            subgroups.append(_headline(g, n_k, o_k, e_k, py_k, ci_method, conf_level))
            frames.append(strata_frame(g_py[k], g_obs[k]).assign(group=g))
        sub_strata = pd.concat(frames, ignore_index=True)
        sub_strata = sub_strata[["group"] + [c for c in sub_strata.columns if c != "group"]]

    # guardrails ----------------------------------------------------------------------
    guard: list[str] = []
    if O < 5:
        guard.append(f"Only {O} observed cancer{'s' if O != 1 else ''} (O < 5): the SIR is "
                     "unstable; read it with its confidence interval.")
    if 0 < E < 5:
        guard.append(f"Expected count E = {E:.2f} (< 5): the SIR rests on few expected cases; "
                     "prefer the exact or mid-p interval.")
    if ci_method == "wald" and O == 0:
        guard.append("The log-Wald interval is undefined when O = 0; use the exact method.")
    for h in subgroups:
        if h.person_years == 0 and h.observed == 0:
            guard.append(f"Group {h.group}: no person-time in the window.")
        elif h.n_patients < 10 and not tsd:
            guard.append(f"Group {h.group}: only {h.n_patients} patients (< 10).")
        elif h.observed < 5:
            guard.append(f"Group {h.group}: only {h.observed} observed cancer"
                         f"{'s' if h.observed != 1 else ''} (O < 5), SIR unstable.")
    if len(prep.excluded):
        guard.append(f"{len(prep.excluded)} patient{'s' if len(prep.excluded) != 1 else ''} "
                     "left out for missing or inconsistent data (listed with the reason).")
    if uncovered_py > 0 or uncovered_obs > 0:
        guard.append(
            f"{uncovered_py:.1f} person-years and {uncovered_obs} cancer"
            f"{'s' if uncovered_obs != 1 else ''} fall at ages or sexes the rate table does "
            "not cover and are left out of O, E and person-years."
        )
    if n_groups and not tsd:
        n_none = int(np.sum(gcode < 0))
        if n_none:
            guard.append(f"{n_none} analysed patient{'s' if n_none != 1 else ''} in no group "
                         f"of the split ({split}: missing value).")

    patients = pd.DataFrame({
        "patient_id": prep.patient_id,
        "entry_years": s_start,
        "exit_years": s_end,
        "person_years": covered_pt,
        "expected": exp_i,
        "observed": observed_i.astype(int),
    })

    return SIRResult(
        observed=O, expected=E, person_years=PY, sir=head.sir, ci_low=head.ci_low,
        ci_high=head.ci_high, p_value=head.p_value, ci_method=ci_method,
        conf_level=conf_level, excess_per_1000py=head.excess_per_1000py, n_patients=n,
        n_with_person_time=int(np.sum(total_pt > 0)), window_before_years=wb,
        window_after_years=wa, strata=strata, subgroups=tuple(subgroups),
        subgroup_strata=sub_strata, split=split, patients=patients,
        guardrails=tuple(guard), excluded=prep.excluded,
        uncovered_person_years=uncovered_py, uncovered_observed=uncovered_obs,
        rates_description=rates.description,
    )


# ------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TimingResult:
    """Result of :func:`cancer_timing`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per patient with a dated cancer: ``patient_id``, ``days`` (cancer date
        minus diagnosis date; negative = before diagnosis), ``years`` (days / 365.25),
        ``within_window`` (bool, ``|days| <= window_years x 365.25``); sorted by days.
    n : int
        Cancers with both dates.
    median_days, ci_low_days, ci_high_days : float
        Median and its distribution-free CI (NaN bounds when n is too small for the
        confidence level: n <= 5 at 95%).
    ci_coverage : float
        Actual coverage of the order-statistic interval (>= conf_level).
    n_within, share_within : int, float
        Cancers within +/- ``window_years`` of the diagnosis.
    n_before : int
        Cancers before the diagnosis (days < 0).
    window_years, conf_level : float
    ci_method : str
        Text of the CI method.
    excluded : pandas.DataFrame
        ``patient_id``, ``reason``: cancer patients without a cancer or diagnosis date.
    """

    table: pd.DataFrame
    n: int
    median_days: float
    ci_low_days: float
    ci_high_days: float
    ci_coverage: float
    n_within: int
    share_within: float
    n_before: int
    window_years: float
    conf_level: float
    ci_method: str
    excluded: pd.DataFrame

    def payload(self) -> dict[str, Any]:
        """JSON object of the timing summary."""
        return {
            "n": self.n,
            "median_days": _num(self.median_days),
            "ci_low_days": _num(self.ci_low_days),
            "ci_high_days": _num(self.ci_high_days),
            "ci_method": self.ci_method,
            "n_within": self.n_within,
            "share_within": _num(self.share_within),
            "window_years": _num(self.window_years),
        }


TIMING_CI_METHOD = (
    "distribution-free confidence interval of the median from order statistics "
    "(binomial, scipy.stats.quantile_test; coverage at least the nominal level)"
)


def _order_stat_ci(x: np.ndarray, conf_level: float) -> tuple[float, float, float]:
    """Order-statistic CI of the median and its actual coverage (scipy quantile_test)."""
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    ci = stats.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(conf_level)
    lo, hi = float(ci.low), float(ci.high)
    alpha = 1 - conf_level
    j = int(stats.binom.ppf(alpha / 2, n, 0.5))
    coverage = 1 - 2 * float(stats.binom.cdf(j - 1, n, 0.5)) if j >= 1 else math.nan
    if math.isnan(lo) or math.isnan(hi):
        coverage = math.nan
    return lo, hi, coverage


def cancer_timing(df: pd.DataFrame, window_years: float = 3.0,
                  conf_level: float = 0.95) -> TimingResult:
    """Time from DM diagnosis to cancer diagnosis, per patient with cancer.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort with ``patient_id``, ``diagnosis_date``, ``cancer`` and/or ``cancer_date``.
        Patients with cancer (``cancer == 1``, or a cancer date when the flag is
        missing) are counted; every dated cancer is shown, inside the window or not.
    window_years : float
        Half-width of the window whose share is reported (cancer-associated myositis:
        3 years).
    conf_level : float
        Confidence level of the median's CI.

    Returns
    -------
    TimingResult
        Median of the days (``numpy.median``) with a distribution-free CI: the order
        statistics ``x_(j)`` and ``x_(n-j+1)``, ``j`` the ``alpha/2`` quantile of
        Binomial(n, 1/2) (as R ``sort(x)[qbinom(alpha/2, n, .5)]``; Conover,
        *Practical Nonparametric Statistics*, 3rd ed., §3.2), computed by
        :func:`scipy.stats.quantile_test`.
    """
    for c in ("patient_id", "diagnosis_date"):
        if c not in df.columns:
            raise CancerRiskError(f"the cohort lacks column '{c}' needed for cancer timing")
    if "cancer" not in df.columns and "cancer_date" not in df.columns:
        raise CancerRiskError("the cohort lacks 'cancer' / 'cancer_date' needed for cancer timing")
    _check_conf(conf_level)
    n = len(df)
    idx = df.index
    diag = _to_dt(_col(df, "diagnosis_date"), n, idx)
    cdate = _to_dt(_col(df, "cancer_date"), n, idx)
    cflag = _flag(_col(df, "cancer"), n)
    has_date = cdate.notna().to_numpy()
    has_cancer = (cflag == 1) | (np.isnan(cflag) & has_date)
    days = _days(cdate, diag)
    pid = _ids(df["patient_id"])
    ok = has_cancer & np.isfinite(days)
    bad = has_cancer & ~ok
    reasons = np.where(~has_date[bad], "cancer date missing", "diagnosis date missing")
    excluded = pd.DataFrame({"patient_id": pid[bad], "reason": reasons.astype(str)})
    d = days[ok]
    win = float(window_years)
    within = np.abs(d) <= win * DAYS_PER_YEAR
    table = pd.DataFrame({
        "patient_id": pid[ok], "days": d, "years": d / DAYS_PER_YEAR, "within_window": within,
    }).sort_values("days", kind="stable").reset_index(drop=True)
    m = len(d)
    med = float(np.median(d)) if m else math.nan
    lo, hi, cov = _order_stat_ci(d, conf_level)
    return TimingResult(
        table=table, n=m, median_days=med, ci_low_days=lo, ci_high_days=hi,
        ci_coverage=cov, n_within=int(within.sum()),
        share_within=float(within.mean()) if m else math.nan,
        n_before=int(np.sum(d < 0)), window_years=win, conf_level=conf_level,
        ci_method=TIMING_CI_METHOD, excluded=excluded,
    )


# ------------------------------------------------------------------------------------
# Cumulative incidence (Aalen-Johansen)
# ------------------------------------------------------------------------------------
_UNITS = {"days": 1.0, "months": DAYS_PER_YEAR / 12, "years": DAYS_PER_YEAR}


@dataclass(frozen=True, eq=False)
class CumulativeIncidenceResult:
    """Result of :func:`cumulative_incidence`.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``group``, ``time`` (in ``unit``), ``cif`` (cumulative incidence of cancer),
        ``ci_low``, ``ci_high`` (lifelines' pointwise 95% CI); a step function starting
        at time 0.
    summary : pandas.DataFrame
        Per group: ``group``, ``n`` (at risk at diagnosis), ``cancers``, ``deaths``
        (without cancer before), ``censored``, ``excluded_prior_cancer``, and the
        cumulative incidence at 1, 3 and 5 years (``cif_1y``, ``cif_3y``, ``cif_5y``; NaN
        beyond the last follow-up).
    unit : str
        Time unit of ``curves`` (days / months / years).
    excluded : pandas.DataFrame
        ``patient_id``, ``reason`` (cancer before diagnosis, missing dates).
    note : str
        What was done (for the UI).
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    unit: str
    excluded: pd.DataFrame
    note: str


def _aalen_johansen(t: np.ndarray, ev: np.ndarray) -> pd.DataFrame:
    """lifelines ``AalenJohansenFitter`` for event 1, made exact and deterministic.

    Two adjustments, neither changing the estimate: (1) durations are shifted by +1 unit
    before fitting and back after, because lifelines sets the cumulative incidence to 0 at
    its first event-table row, which would drop cancers at time 0 (diagnosed on the day
    of the DM diagnosis); (2) ties between a cancer and a death (or a censoring) at the same
    time are separated by ``eps`` (deaths ``+eps``, censorings ``+2 eps``), instead of
    lifelines' random jitter: the Aalen-Johansen estimate does not depend on the order of
    tied events of different types as long as censorings come last (the usual convention,
    as in R ``survfit``), so the estimate equals R's, and results are reproducible.
    """
    from lifelines import AalenJohansenFitter

    span = float(np.nanmax(np.abs(t))) if len(t) else 1.0
    eps = 1e-9 * max(span, 1.0)
    t_adj = t + 1.0 + eps * (ev == 2) + 2 * eps * (ev == 0)
    ajf = AalenJohansenFitter(calculate_variance=True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ajf.fit(t_adj, ev, event_of_interest=1)
    cd = ajf.cumulative_density_
    ci = ajf.confidence_interval_
    back = dict(zip(t_adj.tolist(), t.tolist()))
    times = np.array([back.get(float(x), max(float(x) - 1.0, 0.0)) for x in cd.index])
    lo_hi = ci.to_numpy(dtype=float)
    curve = pd.DataFrame({
        "time": times,
        "cif": cd.iloc[:, 0].to_numpy(dtype=float),
        "ci_low": np.fmin(lo_hi[:, 0], lo_hi[:, 1]),
        "ci_high": np.fmax(lo_hi[:, 0], lo_hi[:, 1]),
    })
    curve = curve.fillna({"ci_low": 0.0, "ci_high": 0.0})
    curve.loc[curve["cif"] == 0, ["ci_low", "ci_high"]] = 0.0
    first = curve.iloc[[0]].assign(time=0.0, cif=0.0, ci_low=0.0, ci_high=0.0)
    rest = curve.iloc[1:].drop_duplicates("time", keep="last")
    return pd.concat([first, rest], ignore_index=True)


def cumulative_incidence(
    df: pd.DataFrame,
    labels: pd.Series | None = None,
    unit: Literal["days", "months", "years"] = "months",
    order: Sequence[str] | None = None,
) -> CumulativeIncidenceResult:
    """Cumulative incidence of a first cancer after the DM diagnosis, death competing.

    Aalen-Johansen estimator (lifelines ``AalenJohansenFitter``; Aalen & Johansen 1978)
    from the DM diagnosis: event 1 = cancer (on or after the diagnosis date), event 2 =
    death without a cancer before it, censored at the last follow-up. Patients whose
    first cancer preceded the diagnosis are not at risk of a first cancer after it and are
    left out (listed with the reason); a cancer on the day of diagnosis is an event at
    time 0. Ties between a cancer and a death on the same day are handled exactly (see
    :func:`_aalen_johansen`), giving R ``survfit``'s multi-state estimate.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort (``patient_id``, ``diagnosis_date``, ``cancer`` / ``cancer_date``,
        ``death`` / ``death_date``, ``last_followup_date``).
    labels : pandas.Series, optional
        Group label per patient (aligned with ``df.index``; NaN = in no group). None: one
        curve "All patients".
    unit : {"days", "months", "years"}
        Time unit (months = days / (365.25 / 12)).
    order : sequence of str, optional
        Group order.

    Returns
    -------
    CumulativeIncidenceResult
    """
    if unit not in _UNITS:
        raise CancerRiskError(f"unknown time unit {unit!r}; use days, months or years")
    for c in ("patient_id", "diagnosis_date"):
        if c not in df.columns:
            raise CancerRiskError(f"the cohort lacks column '{c}' needed for cumulative "
                                  "incidence")
    n = len(df)
    idx = df.index
    pid = df["patient_id"].astype(str).to_numpy()
    diag = _to_dt(_col(df, "diagnosis_date"), n, idx)
    cdate = _to_dt(_col(df, "cancer_date"), n, idx)
    ddate = _to_dt(_col(df, "death_date"), n, idx)
    lfu = _to_dt(_col(df, "last_followup_date"), n, idx)
    cflag = _flag(_col(df, "cancer"), n)
    dflag = _flag(_col(df, "death"), n)
    has_cancer = (cflag == 1) | (np.isnan(cflag) & cdate.notna().to_numpy())
    died = (dflag == 1) | (np.isnan(dflag) & ddate.notna().to_numpy())
    t_c = _days(cdate, diag)
    t_lfu = _days(lfu, diag)
    t_dd = _days(ddate, diag)
    # death time: death date, else the last follow-up of a patient known to have died
    t_d = np.where(died, np.where(np.isnan(t_dd), t_lfu, t_dd), np.nan)
    t_exit = np.where(died, t_d, np.where(np.isnan(t_lfu), t_dd, t_lfu))

    reason = np.full(n, "", dtype=object)
    reason[diag.isna().to_numpy()] = "diagnosis date missing"
    reason[(reason == "") & has_cancer & np.isnan(t_c)] = "cancer date missing"
    reason[(reason == "") & has_cancer & (t_c < 0)] = "cancer before diagnosis (not at risk)"
    reason[(reason == "") & ~has_cancer & np.isnan(t_exit)] = "follow-up dates missing"
    reason[(reason == "") & ~has_cancer & (t_exit < 0)] = "follow-up ends before diagnosis"
    reason[(reason == "") & np.isnan(cflag) & ~has_cancer & np.isnan(t_c)] = (
        "cancer status missing")
    keep = reason == ""
    excluded = pd.DataFrame({"patient_id": pid[~keep], "reason": reason[~keep].astype(str)})

    event = np.where(has_cancer & (~died | (t_c <= np.nan_to_num(t_d, nan=np.inf))), 1,
                     np.where(died, 2, 0))
    time = np.where(event == 1, t_c, t_exit) / _UNITS[unit]

    if labels is None:
        lab = pd.Series("All patients", index=idx, dtype=object)
        groups = ["All patients"]
    else:
        if not isinstance(labels, pd.Series) or not labels.index.equals(idx):
            raise CancerRiskError("labels must be a Series aligned with the cohort index")
        lab = labels.astype(object).where(labels.notna(), None).map(
            lambda v: None if v is None else str(v))
        if order is not None:
            groups = [str(g) for g in order]
        elif isinstance(labels.dtype, pd.CategoricalDtype):
            groups = [str(c) for c in labels.cat.categories]
        else:
            groups = sorted({v for v in lab.dropna().unique()})
    lab_arr = lab.to_numpy(dtype=object)
    prior = (reason == "cancer before diagnosis (not at risk)")

    curves = []
    rows = []
    for g in groups:
        m = keep & (lab_arr == g)
        t = time[m]
        ev = event[m]
        summ = {"group": g, "n": int(m.sum()), "cancers": int(np.sum(ev == 1)),
                "deaths": int(np.sum(ev == 2)), "censored": int(np.sum(ev == 0)),
                "excluded_prior_cancer": int(np.sum(prior & (lab_arr == g)))}
        if m.sum() == 0:
            summ.update(cif_1y=math.nan, cif_3y=math.nan, cif_5y=math.nan)
            rows.append(summ)
            continue
        if np.sum(ev == 1) == 0:
            tt = np.array([0.0, float(t.max())])
            curve = pd.DataFrame({"time": tt, "cif": 0.0, "ci_low": 0.0, "ci_high": 0.0})
        else:
            curve = _aalen_johansen(t, ev)
        tmax = float(np.max(t))
        for yrs in (1, 3, 5):
            tq = yrs * DAYS_PER_YEAR / _UNITS[unit]
            if tq > tmax:
                val = math.nan
            else:
                val = float(curve.loc[curve["time"] <= tq, "cif"].iloc[-1])
            summ[f"cif_{yrs}y"] = val
        rows.append(summ)
        curves.append(curve.assign(group=g))
    curves_df = (pd.concat(curves, ignore_index=True)[["group", "time", "cif", "ci_low", "ci_high"]]
                 if curves else pd.DataFrame(columns=["group", "time", "cif", "ci_low",
                                                      "ci_high"]))
    summary = pd.DataFrame(rows)
    n_prior = int(prior.sum())
    note = (
        "Cumulative incidence of a first cancer after the DM diagnosis, with death as a "
        "competing risk (Aalen-Johansen estimator), from the diagnosis date, censored at "
        "the last follow-up. "
        + (f"{n_prior} patient{'s' if n_prior != 1 else ''} whose cancer preceded the DM "
           f"diagnosis {'are' if n_prior != 1 else 'is'} not at risk and left out. "
           if n_prior else "")
        + "A cancer diagnosed on the day of the DM diagnosis counts at time 0."
    )
    return CumulativeIncidenceResult(curves=curves_df, summary=summary, unit=unit,
                                     excluded=excluded, note=note)


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
    rates_txt = rates_description or result.rates_description or "reference rates"
    win = window_description(result.window_before_years, result.window_after_years)
    level = f"{100 * result.conf_level:g}%"
    ci_txt = {
        "exact": "exact Poisson limits (chi-square quantiles)",
        "midp": "mid-p exact Poisson limits",
        "byar": "Byar's approximation",
        "wald": "log-Wald limits, exp(ln(O/E) ± z/√O)",
    }[result.ci_method]
    pop = f"Patients: {filters_description}. " if filters_description else ""
    text = (
        f"{pop}Cancer risk was expressed as a standardized incidence ratio (SIR), the number "
        f"of observed first cancers (O) divided by the number expected (E) from age- and "
        f"sex-specific incidence rates of the general population ({rates_txt}). "
        f"Each patient's person-time at risk ran from the start of the window ({win}), or "
        f"birth if later, to the earliest of the first cancer, death, last follow-up and "
        f"the end of the window, and was split across 5-year age bands"
        f"{' and calendar periods' if 'period' in result.strata.columns else ''} as the "
        f"patient aged; E is the sum of person-years times the matching rate. Years were "
        f"counted as days/365.25; without a date of birth, age was the age at diagnosis plus "
        f"the time since diagnosis. A patient whose first cancer preceded the window "
        f"contributed neither person-time nor a case; a cancer was counted if it was the "
        f"patient's first and fell inside the window. {level} confidence intervals used "
        f"{ci_txt}; the P value is from the two-sided exact Poisson test (as R "
        f"poisson.test). The excess absolute risk is (O − E) per 1,000 person-years. "
    )
    if len(result.excluded):
        text += (f"{len(result.excluded)} patients with missing or inconsistent dates were "
                 "excluded. ")
    if result.split:
        text += f"SIRs were also computed by {result.split}. "
    if timing is not None and timing.n:
        text += (
            f"The time from DM diagnosis to cancer is summarised by its median with a "
            f"{100 * timing.conf_level:g}% {TIMING_CI_METHOD}. "
        )
    text += ("Computed with Myoscope; person-years, expected counts and P values were "
             "checked against R (Epi/popEpi, poisson.test).")
    return text.strip()
