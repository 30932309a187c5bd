"""Timing of cancer around the DM diagnosis, and cumulative incidence of cancer after it.

:func:`cancer_timing` gives each cancer's day relative to the DM diagnosis, the median
with a distribution-free 95% CI from order statistics (binomial, via
:func:`scipy.stats.quantile_test`; Conover, *Practical Nonparametric Statistics*, 3rd ed.,
§3.2) and the share within the window.

:func:`cumulative_incidence` estimates the cumulative incidence of a first cancer after
the DM diagnosis with death as a competing risk (Aalen & Johansen 1978), vectorised with
its delta-method variance (see :func:`_aalen_johansen`).

Years are days / 365.25, months days / (365.25 / 12) (:mod:`core.constants`). The SIR is
in :mod:`core.cancer_risk`, whose cohort column readers this module shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from core.cancer_risk import (
    CancerRiskError,
    _check_conf,
    _col,
    _days,
    _flag,
    _ids,
    _num,
    _to_dt,
)
from core.constants import DAYS_PER_UNIT, DAYS_PER_YEAR
from core.i18n import _, n_

__all__ = [
    "TIMING_CI_METHOD",
    "CumulativeIncidenceResult",
    "TimingResult",
    "cancer_timing",
    "cumulative_incidence",
]


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
            raise CancerRiskError(_("the cohort lacks column '{column}' needed for cancer timing", column=c))
    if "cancer" not in df.columns and "cancer_date" not in df.columns:
        raise CancerRiskError(_("the cohort lacks 'cancer' / 'cancer_date' needed for cancer timing"))
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
    reasons = np.where(~has_date[bad], _("cancer date missing"), _("diagnosis date missing"))
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
@dataclass(frozen=True, eq=False)
class CumulativeIncidenceResult:
    """Result of :func:`cumulative_incidence`.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``group``, ``time`` (in ``unit``), ``cif`` (cumulative incidence of cancer),
        ``ci_low``, ``ci_high`` (pointwise 95% CI, delta-method variance, log-log
        transform, as lifelines); a step function starting
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
    """Aalen-Johansen cumulative incidence of event 1 (2 = competing, 0 = censored) with
    its pointwise 95% CI, vectorised (one sort, cumulative sums: O(n log n)).

    Method: at each distinct time the cancers (event 1) come first, then the deaths
    (event 2), then the censorings (the usual convention, as R ``survfit``; the estimate
    does not depend on the order of the first two). With ``n`` at risk, ``d`` events of
    any type and ``d₁`` cancers on a row, ``S`` the all-cause Kaplan-Meier estimate
    just before it, ``F(t) = Σ S d₁ / n`` (Aalen & Johansen 1978). Variance: the
    delta-method (Greenwood-type) estimate of Collett, *Modelling Survival Data in
    Medical Research*, 3rd ed., p. 411 (as lifelines' ``AalenJohansenFitter`` and SAS
    PROC LIFETEST), ``Var F(t) = Σ (F(t) − F(tᵢ))² d/(n(n − d)) + Σ S² d₁(n − d₁)/n³
    − 2 Σ (F(t) − F(tᵢ)) S d₁/n²``, each sum expanded in powers of ``F(t)`` so that it
    is a few cumulative sums (lifelines evaluates it row by row in Python); CI
    ``exp(−exp(log(−log F) ± z se/(F |log F|)))``. Equal to lifelines' estimate and CI
    (to rounding) without its random jitter of ties; the estimate equals R
    ``survfit`` with a multi-state status (``tests/reference/cancer_risk/cif.csv``).

    Returns the step function at 0 and at each distinct time: ``time``, ``cif``,
    ``ci_low``, ``ci_high`` (0 where the CIF is 0).
    """
    typ = np.select([ev == 1, ev == 2], [0, 1], 2)  # cancers, then deaths, then censorings
    o = np.lexsort((typ, t))
    ts, ty = t[o], typ[o]
    n_all = ts.size
    new_row = np.concatenate(([True], (ts[1:] != ts[:-1]) | (ty[1:] != ty[:-1])))
    start = np.flatnonzero(new_row)
    n = (n_all - start).astype(float)
    row_type = ty[start]
    size = np.diff(np.concatenate((start, [n_all]))).astype(float)
    d = np.where(row_type < 2, size, 0.0)
    d1 = np.where(row_type == 0, size, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        lag = np.concatenate(([1.0], surv[:-1]))
        f = np.cumsum(lag * d1 / n)
        a = d / (n * (n - d))
        quad = np.cumsum(a) * f**2 - 2 * np.cumsum(a * f) * f + np.cumsum(a * f**2)
        second = np.cumsum(lag**2 * d1 * (n - d1) / n**3)
        c = lag * d1 / n**2
        third = f * np.cumsum(c) - np.cumsum(c * f)
        var = quad + second - 2 * third
        z = stats.norm.ppf(0.975)
        ft = np.log(-np.log(f))
        se = np.sqrt(var) / (f * np.abs(np.log(f)))
        b1 = np.exp(-np.exp(ft + z * se))
        b2 = np.exp(-np.exp(ft - z * se))
    lo = np.nan_to_num(np.fmin(b1, b2), nan=0.0)
    hi = np.nan_to_num(np.fmax(b1, b2), nan=0.0)
    zero = f == 0
    lo[zero] = 0.0
    hi[zero] = 0.0
    rt = ts[start]
    last = np.concatenate((rt[1:] != rt[:-1], [True]))  # the last row of each time
    return pd.DataFrame({
        "time": np.concatenate(([0.0], rt[last])),
        "cif": np.concatenate(([0.0], f[last])),
        "ci_low": np.concatenate(([0.0], lo[last])),
        "ci_high": np.concatenate(([0.0], hi[last])),
    })


def cumulative_incidence(
    df: pd.DataFrame,
    labels: pd.Series | None = None,
    unit: Literal["days", "months", "years"] = "months",
    order: Sequence[str] | None = None,
) -> CumulativeIncidenceResult:
    """Cumulative incidence of a first cancer after the DM diagnosis, death competing.

    Aalen-Johansen estimator (Aalen & Johansen 1978, vectorised: :func:`_aalen_johansen`)
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
    if unit not in DAYS_PER_UNIT:
        raise CancerRiskError(_("unknown time unit {unit!r}; use days, months or years", unit=unit))
    for c in ("patient_id", "diagnosis_date"):
        if c not in df.columns:
            raise CancerRiskError(_("the cohort lacks column '{column}' needed for cumulative incidence", column=c))
    ev = _competing_events(df)
    time = ev.days / DAYS_PER_UNIT[unit]
    lab_arr, groups = _group_labels(df.index, labels, order)
    prior = (ev.reason == _PRIOR_CANCER)

    curves = []
    rows = []
    for g in groups:
        m = ev.keep & (lab_arr == g)
        summ, curve = _group_incidence(g, time[m], ev.event[m], unit)
        summ["excluded_prior_cancer"] = int(np.sum(prior & (lab_arr == g)))
        rows.append(_summary_row(summ))
        if curve is not None:
            curves.append(curve.assign(group=g))
    curves_df = (pd.concat(curves, ignore_index=True)[["group", "time", "cif", "ci_low", "ci_high"]]
                 if curves else pd.DataFrame(columns=["group", "time", "cif", "ci_low",
                                                      "ci_high"]))
    summary = pd.DataFrame(rows)
    n_prior = int(prior.sum())
    if n_prior:
        note = n_(
            "Cumulative incidence of a first cancer after the DM diagnosis, with death as a "
            "competing risk (Aalen-Johansen estimator), from the diagnosis date, censored at "
            "the last follow-up. {n} patient whose cancer preceded the DM diagnosis is not at risk and "
            "left out. A cancer diagnosed on the day of the DM diagnosis counts at time 0.",
            "Cumulative incidence of a first cancer after the DM diagnosis, with death as a "
            "competing risk (Aalen-Johansen estimator), from the diagnosis date, censored at "
            "the last follow-up. {n} patients whose cancer preceded the DM diagnosis are not at risk and "
            "left out. A cancer diagnosed on the day of the DM diagnosis counts at time 0.",
            n_prior,
        )
    else:
        note = _(
            "Cumulative incidence of a first cancer after the DM diagnosis, with death as a "
            "competing risk (Aalen-Johansen estimator), from the diagnosis date, censored at "
            "the last follow-up. A cancer diagnosed on the day of the DM diagnosis counts at time 0."
        )
    return CumulativeIncidenceResult(curves=curves_df, summary=summary, unit=unit,
                                     excluded=ev.excluded, note=note)


_PRIOR_CANCER = "cancer before diagnosis (not at risk)"
_SUMMARY_KEYS = ("group", "n", "cancers", "deaths", "censored", "excluded_prior_cancer",
                 "cif_1y", "cif_3y", "cif_5y")


def _summary_row(summ: dict[str, Any]) -> dict[str, Any]:
    """The summary keys in their documented order."""
    return {k: summ[k] for k in _SUMMARY_KEYS}


@dataclass(frozen=True, eq=False)
class _Events:
    """Per patient: first event after diagnosis (1 cancer, 2 death, 0 censored), its time
    in days, and why a patient is left out ("" = kept)."""

    event: np.ndarray
    days: np.ndarray
    reason: np.ndarray
    keep: np.ndarray
    excluded: pd.DataFrame


def _competing_events(df: pd.DataFrame) -> _Events:
    """Cancer (on or after diagnosis), death without cancer before it, or censoring at the
    last follow-up; exclusions (missing dates, cancer before diagnosis) with reasons."""
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
    reason[(reason == "") & has_cancer & (t_c < 0)] = _PRIOR_CANCER
    reason[(reason == "") & ~has_cancer & np.isnan(t_exit)] = "follow-up dates missing"
    reason[(reason == "") & ~has_cancer & (t_exit < 0)] = "follow-up ends before diagnosis"
    reason[(reason == "") & np.isnan(cflag) & ~has_cancer & np.isnan(t_c)] = (
        "cancer status missing")
    keep = reason == ""
    excluded = pd.DataFrame({"patient_id": pid[~keep], "reason": [_(str(r)) for r in reason[~keep]]})

    event = np.where(has_cancer & (~died | (t_c <= np.nan_to_num(t_d, nan=np.inf))), 1,
                     np.where(died, 2, 0))
    days = np.where(event == 1, t_c, t_exit)
    return _Events(event=event, days=days, reason=reason, keep=keep, excluded=excluded)


def _group_labels(idx: pd.Index, labels: pd.Series | None,
                  order: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """Label per patient (None = in no group) and the group order."""
    if labels is None:
        lab = pd.Series(_("All patients"), index=idx, dtype=object)
        return lab.to_numpy(dtype=object), [_("All patients")]
    if not isinstance(labels, pd.Series) or not labels.index.equals(idx):
        raise CancerRiskError(_("labels must be a Series aligned with the cohort index"))
    lab = labels.astype(object).where(labels.notna(), None).map(
        lambda v: None if v is None else str(v))
    if order is not None:
        groups = [str(g) for g in order]
    elif isinstance(labels.dtype, pd.CategoricalDtype):
        groups = [str(c) for c in labels.cat.categories]
    else:
        groups = sorted({v for v in lab.dropna().unique()})
    return lab.to_numpy(dtype=object), groups


def _group_incidence(g: str, t: np.ndarray, ev: np.ndarray,
                     unit: str) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Counts, curve and 1/3/5-year cumulative incidence of one group (no curve when
    the group is empty; a flat curve at 0 without cancer)."""
    summ: dict[str, Any] = {"group": g, "n": len(t), "cancers": int(np.sum(ev == 1)),
                            "deaths": int(np.sum(ev == 2)), "censored": int(np.sum(ev == 0))}
    if len(t) == 0:
        summ.update(cif_1y=math.nan, cif_3y=math.nan, cif_5y=math.nan)
        return summ, None
    if np.sum(ev == 1) == 0:
        tt = np.array([0.0, float(t.max())])
        curve = pd.DataFrame({"time": tt, "cif": 0.0, "ci_low": 0.0, "ci_high": 0.0})
    else:
        curve = _aalen_johansen(t, ev)
    tmax = float(np.max(t))
    for yrs in (1, 3, 5):
        tq = yrs * DAYS_PER_YEAR / DAYS_PER_UNIT[unit]
        if tq > tmax:
            val = math.nan
        else:
            val = float(curve.loc[curve["time"] <= tq, "cif"].iloc[-1])
        summ[f"cif_{yrs}y"] = val
    return summ, curve
