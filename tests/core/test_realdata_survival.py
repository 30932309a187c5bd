"""core.survival against R's survival package on four real data sets.

The cohorts ``tests/data/realdata/{lung,pbc,veteran,colon}.csv`` are R's
``survival::lung``, ``pbc``, ``veteran`` and ``colon`` (death) exported by
``tests/reference/realdata/make_cohorts.R``; the reference values
``tests/reference/realdata/survival_*.csv`` were printed by
``tests/reference/realdata/make_survival_fixtures.R`` (``sprintf('%.15g')``). R is not
needed here. The cohorts are read with pandas directly (all columns as text, as R's
``read.csv(colClasses = "character")``), time = last follow-up − diagnosis in days.
Relative tolerance 1e-6 everywhere, Cox included.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.survival import (
    DEFAULT_LANDMARKS,
    analyze_survival,
    cox_regression,
    kaplan_meier,
    km_quantile,
    logrank_test,
    pairwise_logrank,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "realdata"
REF = ROOT / "tests" / "reference" / "realdata"
REL = 1e-6

#: (data set, grouping column, levels; the first is the Cox reference) as in the R script.
GROUPINGS = [
    ("lung", "sex", ["M", "F"]),
    ("lung", "ph_ecog", ["0", "1", "2", "3"]),
    ("pbc", "edema", ["0", "0.5", "1"]),
    ("pbc", "trt", ["1", "2"]),
    ("pbc", "stage", ["1", "2", "3", "4"]),
    ("veteran", "celltype", ["squamous", "smallcell", "adeno", "large"]),
    ("veteran", "trt", ["1", "2"]),
    ("colon", "rx", ["Obs", "Lev", "Lev+5FU"]),
    ("colon", "obstruct", ["0", "1"]),
]
IDS = [f"{d}-{g}" for d, g, _ in GROUPINGS]
#: Cox models: (data set, grouping, levels, covariates), R's model label is
#: "<grouping> + <covariates>".
MODELS = [
    ("lung", "sex", ["M", "F"], []),
    ("lung", "ph_ecog", ["0", "1", "2", "3"], []),
    ("lung", "sex", ["M", "F"], ["age", "ph_ecog"]),
    ("pbc", "edema", ["0", "0.5", "1"], []),
    ("pbc", "trt", ["1", "2"], []),
    ("pbc", "trt", ["1", "2"], ["age", "bili"]),
    ("pbc", "stage", ["1", "2", "3", "4"], []),
    ("veteran", "celltype", ["squamous", "smallcell", "adeno", "large"], []),
    ("veteran", "celltype", ["squamous", "smallcell", "adeno", "large"], ["karno", "age"]),
    ("veteran", "trt", ["1", "2"], []),
    ("colon", "rx", ["Obs", "Lev", "Lev+5FU"], []),
    ("colon", "rx", ["Obs", "Lev", "Lev+5FU"], ["age", "sex", "nodes"]),
    ("colon", "obstruct", ["0", "1"], []),
]


@cache
def cohort(name: str) -> pd.DataFrame:
    """The cohort as text, plus ``time`` (days), ``event`` (0/1) and numeric ``age``.

    R: ``d <- read.csv(f, colClasses = "character", na.strings = "")``,
    ``d$time <- as.numeric(as.Date(d$last_followup_date) - as.Date(d$diagnosis_date))``.
    """
    d = pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
    days = pd.to_datetime(d["last_followup_date"]) - pd.to_datetime(d["diagnosis_date"])
    d["time"] = days.dt.days.astype(float)
    d["event"] = d["death"].astype(int)
    d["age"] = d["age_at_diagnosis"].astype(float)
    return d


@cache
def fixture(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"survival_{name}.csv", dtype={"group": str, "group1": str, "group2": str})


def ref_rows(name: str, dataset: str, grouping: str, group: str | None = None) -> pd.DataFrame:
    f = fixture(name)
    m = (f["dataset"] == dataset) & (f["grouping"] == grouping)
    if group is not None:
        m &= f["group"] == group
    return f[m].reset_index(drop=True)


def close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=REL, atol=0, equal_nan=True
    )


def test_cohorts_round_trip_r_times() -> None:
    """Dates are exact: e.g. lung has 228 patients, 165 deaths, times 5..1022 days."""
    lung = cohort("lung")
    assert len(lung) == 228 and lung["event"].sum() == 165
    assert lung["time"].min() == 5 and lung["time"].max() == 1022
    pbc = cohort("pbc")
    assert len(pbc) == 418 and pbc["event"].sum() == 161 and pbc["trt"].isna().sum() == 106
    assert set(pbc["edema"]) == {"0", "0.5", "1"}
    assert len(cohort("veteran")) == 137 and len(cohort("colon")) == 929


def _group_cases() -> list[tuple[str, str, str]]:
    cases = [(d, g, lv) for d, g, levels in GROUPINGS for lv in levels]
    return cases + [(d, "none", "(all)") for d in ("lung", "pbc", "veteran", "colon")]


def _subset(dataset: str, grouping: str, group: str) -> pd.DataFrame:
    d = cohort(dataset)
    return d if grouping == "none" else d[d[grouping] == group]


@pytest.mark.parametrize(("dataset", "grouping", "group"), _group_cases())
def test_kaplan_meier_matches_survfit(dataset: str, grouping: str, group: str) -> None:
    """R: ``survfit(Surv(time, death) ~ 1, conf.type = "log")`` at every event time,
    ``quantile(fit, 0.5)`` and ``summary(fit, times = c(365.25, 1095.75, 1826.25),
    extend = TRUE)``."""
    d = _subset(dataset, grouping, group)
    curve = kaplan_meier(d["time"], d["event"])
    ref = ref_rows("km", dataset, grouping, group)
    ev = curve.n_event > 0
    np.testing.assert_array_equal(curve.time[ev], ref["time"])
    np.testing.assert_array_equal(curve.n_risk[ev], ref["n_risk"])
    np.testing.assert_array_equal(curve.n_event[ev], ref["n_event"])
    close(curve.survival[ev], ref["surv"])
    close(curve.ci_low[ev], ref["lower"])
    close(curve.ci_high[ev], ref["upper"])
    med = ref_rows("medians", dataset, grouping, group).iloc[0]
    assert curve.n == med["n"] and curve.events == med["events"]
    close(km_quantile(curve, 0.5), med[["median", "lower", "upper"]])
    at = curve.at(DEFAULT_LANDMARKS["days"])
    s = ref_rows("summary_times", dataset, grouping, group)
    np.testing.assert_array_equal(at["n_risk"], s["n_risk"])
    np.testing.assert_array_equal(at["cum_events"], s["cum_events"])
    close(at["survival"], s["surv"])
    close(at["ci_low"], s["lower"])
    close(at["ci_high"], s["upper"])


@pytest.mark.parametrize(("dataset", "grouping", "levels"), GROUPINGS, ids=IDS)
def test_logrank_matches_survdiff(dataset: str, grouping: str, levels: list[str]) -> None:
    """R: ``survdiff(Surv(time, death) ~ factor(g, levels))`` (NA groups dropped)."""
    d = cohort(dataset)
    r = logrank_test(d["time"], d["event"], d[grouping], levels)
    ref = ref_rows("survdiff", dataset, grouping)
    assert list(r.groups) == levels and r.df == ref["df"].iloc[0]
    close(r.chi2, ref["chi2"].iloc[0])
    close(r.p_value, ref["p"].iloc[0])
    close(r.observed, ref["observed"])
    close(r.expected, ref["expected"])


@pytest.mark.parametrize(("dataset", "grouping", "levels"), GROUPINGS, ids=IDS)
def test_pairwise_logrank_matches_survdiff_bh(dataset: str, grouping: str, levels: list[str]) -> None:
    """R: ``survdiff`` on each pair, ``p.adjust(p, method = "BH")``."""
    d = cohort(dataset)
    pw = pairwise_logrank(d["time"], d["event"], d[grouping].to_numpy(dtype=object), levels)
    ref = ref_rows("pairwise", dataset, grouping)
    assert list(zip(pw["group1"], pw["group2"])) == list(zip(ref["group1"], ref["group2"]))
    close(pw["chi2"], ref["chi2"])
    close(pw["p_value"], ref["p"])
    close(pw["p_adjusted"], ref["p_adjusted"])


def _covariates(d: pd.DataFrame, covs: list[str]) -> pd.DataFrame | None:
    """Numeric covariates as numbers, ``sex`` as text (dummy "sex: M vs F" = R's sexM)."""
    if not covs:
        return None
    return pd.DataFrame({c: d[c] if c == "sex" else d[c].astype(float) for c in covs})


def _cox_ref(dataset: str, grouping: str, covs: list[str]) -> pd.DataFrame:
    f = fixture("coxph")
    model = " + ".join([grouping, *covs])
    return f[(f["dataset"] == dataset) & (f["model"] == model)].reset_index(drop=True)


@pytest.mark.parametrize(
    ("dataset", "grouping", "levels", "covs"), MODELS, ids=[" + ".join([f"{m[0]}-{m[1]}", *m[3]]) for m in MODELS]
)
def test_cox_matches_coxph_efron(dataset: str, grouping: str, levels: list[str], covs: list[str]) -> None:
    """R: ``coxph(Surv(time, death) ~ factor(g, levels) + covs, ties = "efron")``;
    ``summary(fit)$coefficients`` and ``exp(confint(fit))``. Terms in R's order: the
    groups against the first level, then the covariates."""
    d = cohort(dataset)
    res = cox_regression(d["time"], d["event"], d[grouping], levels, covariates=_covariates(d, covs))
    ref = _cox_ref(dataset, grouping, covs)
    expected_terms = [f"{g} vs {levels[0]}" for g in levels[1:]] + [
        "sex: M vs F" if c == "sex" else c for c in covs
    ]
    assert list(res.terms["term"]) == expected_terms
    assert res.n == ref["n"].iloc[0] and res.n_events == ref["nevent"].iloc[0]
    for ours, theirs in [("coef", "coef"), ("se", "se"), ("hr", "hr"), ("ci_low", "lower"),
                         ("ci_high", "upper"), ("p_value", "p")]:
        close(res.terms[ours], ref[theirs])


@pytest.mark.parametrize(("dataset", "grouping", "levels"), GROUPINGS, ids=IDS)
def test_analyze_survival_in_days(dataset: str, grouping: str, levels: list[str]) -> None:
    """The whole analysis (unit days: landmarks default to 365.25 / 1095.75 / 1826.25)
    agrees with R's medians, summary at those times, survdiff, pairwise and coxph."""
    d = cohort(dataset)
    res = analyze_survival(d["time"], d["event"], d[grouping].to_numpy(dtype=object), levels, unit="days")
    assert res.landmark_times == DEFAULT_LANDMARKS["days"]
    assert res.order == levels and res.cox is not None and res.cox_error == ""
    for g in res.groups:
        med = ref_rows("medians", dataset, grouping, g.group).iloc[0]
        close([g.median, g.median_ci_low, g.median_ci_high], med[["median", "lower", "upper"]])
        s = ref_rows("summary_times", dataset, grouping, g.group)
        inside = ~(g.landmarks["time"] > g.curve.time[-1]) | (g.landmarks["survival"] == 0)
        close(g.landmarks["survival"][inside], s["surv"][inside])
        close(g.landmarks["ci_low"][inside], s["lower"][inside])
        assert g.landmarks["survival"][~inside].isna().all()
    close(res.logrank.chi2, ref_rows("survdiff", dataset, grouping)["chi2"].iloc[0])
    if len(levels) > 2:
        close(res.pairwise["p_adjusted"], ref_rows("pairwise", dataset, grouping)["p_adjusted"])
    close(res.cox.terms["hr"], _cox_ref(dataset, grouping, [])["hr"])
    payload = res.payload()
    assert payload["cox_error"] is None and payload["cox"]["reference"] == levels[0]


def test_landmarks_follow_the_unit() -> None:
    """Default landmarks are 1, 3 and 5 years in the unit chosen."""
    d = cohort("lung")
    for unit, per_day in (("days", 1.0), ("months", 12 / 365.25), ("years", 1 / 365.25)):
        res = analyze_survival(d["time"] * per_day, d["event"], d["sex"], ["M", "F"], unit=unit, cox=False)
        assert res.landmark_times == DEFAULT_LANDMARKS[unit]
        f = res.groups[1].landmarks
        s = ref_rows("summary_times", "lung", "sex", "F")
        close(f["survival"].iloc[:1], s["surv"].iloc[:1])


def test_cox_failure_reason_in_result_and_payload() -> None:
    """A covariate level without deaths makes the likelihood monotone (R: "Loglik
    converged before variable ...; coefficient may be infinite"): no HR, and the reason
    is carried by ``cox_error`` (result, payload) and the notes."""
    d = cohort("veteran")
    no_death = pd.Series(np.where(d["event"].to_numpy() == 0, "yes", "no"))
    cov = pd.DataFrame({"censored_flag": no_death})
    res = analyze_survival(d["time"], d["event"], d["trt"].to_numpy(dtype=object), ["1", "2"], covariates=cov)
    assert res.cox is None
    assert "infinite" in res.cox_error and "censored_flag: yes vs no" in res.cox_error
    assert res.payload()["cox_error"] == res.cox_error
    assert any(n.startswith("Cox model not fitted") for n in res.notes)


def _model_arrays(dataset: str, grouping: str, levels: list[str], covs: list[str]) -> tuple[np.ndarray, ...]:
    """Design matrix (group dummies, then covariates), time and event, complete cases,
    sorted by time (as ``core.survival._efron_derivatives`` expects)."""
    d = cohort(dataset)
    cols = {f"g{i}": (d[grouping] == g).astype(float).where(d[grouping].notna()) for i, g in enumerate(levels[1:])}
    for c in covs:
        cols[c] = (d[c] == "M").astype(float) if c == "sex" else d[c].astype(float)
    frame = pd.DataFrame({"time": d["time"], "event": d["event"], **cols}).dropna().sort_values("time", kind="stable")
    return frame[list(cols)].to_numpy(), frame["time"].to_numpy(), frame["event"].to_numpy(dtype=float)


@pytest.mark.parametrize(
    ("dataset", "grouping", "levels", "covs"), MODELS, ids=[" + ".join([f"{m[0]}-{m[1]}", *m[3]]) for m in MODELS]
)
def test_efron_log_likelihood_matches_coxph(dataset: str, grouping: str, levels: list[str], covs: list[str]) -> None:
    """The independent Efron partial likelihood used to check convergence gives R's
    ``fit$loglik[2]`` at R's coefficients, and a negligible Newton step there."""
    from core.survival import _efron_derivatives, _newton_step

    ref = _cox_ref(dataset, grouping, covs)
    x, t, e = _model_arrays(dataset, grouping, levels, covs)
    assert len(t) == ref["n"].iloc[0]
    ll, grad, hess = _efron_derivatives(x, t, e, ref["coef"].to_numpy())
    close(ll, ref["loglik"].iloc[0])
    step = _newton_step(grad, hess)
    assert step is not None and np.all(np.abs(step) <= 1e-6 * np.maximum(np.abs(ref["coef"]), 1e-3))


def test_r_style_start_matches_coxph(monkeypatch: pytest.MonkeyPatch) -> None:
    """The R-style Newton-Raphson with step-halving (``survival:::coxfit6``) alone
    (no lifelines restart allowed) reaches R's estimate, and lifelines converges from
    it: pbc by edema, where lifelines' own first full Newton step overshoots. R:
    ``coxph(Surv(time, death) ~ factor(edema), ties = "efron")``: HR 2.54 and 10.30."""
    import core.survival as cs

    monkeypatch.setattr(cs, "COX_STEP_SIZES", ())
    d = cohort("pbc")
    res = cox_regression(d["time"], d["event"], d["edema"], ["0", "0.5", "1"])
    ref = _cox_ref("pbc", "edema", [])
    for ours, theirs in [("coef", "coef"), ("se", "se"), ("hr", "hr"), ("p_value", "p")]:
        close(res.terms[ours], ref[theirs])
    beta = cs._newton_halving(*_model_arrays("pbc", "edema", ["0", "0.5", "1"], []), ["0.5", "1"])
    close(beta, ref["coef"])


def test_lifelines_step_ladder_matches_coxph(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the R-style start (lifelines from β = 0), the smaller starting steps
    of ``COX_STEP_SIZES`` still converge to R's estimate on pbc by edema (step 0.95
    overshoots, 0.5 converges)."""
    import core.survival as cs

    monkeypatch.setattr(cs, "_newton_halving", lambda x, t, e, names: np.zeros(x.shape[1]))
    d = cohort("pbc")
    res = cox_regression(d["time"], d["event"], d["edema"], ["0", "0.5", "1"])
    ref = _cox_ref("pbc", "edema", [])
    for ours, theirs in [("coef", "coef"), ("se", "se"), ("hr", "hr"), ("p_value", "p")]:
        close(res.terms[ours], ref[theirs])
