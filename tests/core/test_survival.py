"""core.survival: data preparation, synthetic cohorts, lifelines cross-checks, payload."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.survival import (
    DAYS_PER_UNIT,
    SurvivalInputError,
    analyze_survival,
    cox_regression,
    default_tick_times,
    endpoint_options,
    kaplan_meier,
    km_quantile,
    logrank_test,
    methods_text,
    survival_data,
    survival_payload,
)


def _cohort() -> pd.DataFrame:
    d = pd.to_datetime
    return pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"],
            "diagnosis_date": d(["2015-01-01", "2015-01-01", None, "2016-06-01", "2016-06-01", "2017-01-01", "2014-01-01", "2014-01-01"]),
            "death": [1.0, 0.0, 1.0, 1.0, 0.0, np.nan, 0.0, 1.0],
            "death_date": d(["2016-01-01", None, "2018-01-01", None, "2017-01-01", None, None, "2013-12-01"]),
            "last_followup_date": d(["2016-01-01", "2020-01-01", "2018-01-01", "2019-01-01", None, "2018-01-01", "2015-01-01", "2013-12-01"]),
            "cancer": [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
            "cancer_date": d(["2015-07-01", None, None, "2016-01-01", None, None, "2014-07-02", None]),
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_survival_data_times_units_and_exclusions() -> None:
    df = _cohort()
    sd = survival_data(df, unit="days")
    assert list(sd.index) == [10, 11, 16]
    np.testing.assert_allclose(sd.time, [365, 1826, 365])
    np.testing.assert_array_equal(sd.event, [1, 0, 0])
    reasons = dict(zip(sd.excluded.patient_id, sd.excluded.reason))
    assert reasons == {
        "p3": "diagnosis_date missing",
        "p4": "death = 1 without death_date",
        "p5": "censored (death = 0) without last_followup_date",
        "p6": "death status missing",
        "p8": "negative time: end date before diagnosis_date",
    }
    assert sd.n + len(sd.excluded) == len(df)
    assert any("p5" not in n and "death_date" in n for n in sd.notes)  # p5: death_date but death = 0
    months = survival_data(df, unit="months")
    np.testing.assert_allclose(months.time, sd.time / (365.25 / 12))
    years = survival_data(df, unit="years")
    np.testing.assert_allclose(years.time, sd.time / 365.25)
    assert DAYS_PER_UNIT["months"] == 365.25 / 12


def test_survival_data_other_endpoint_and_align() -> None:
    df = _cohort()
    sd = survival_data(df, event="cancer", event_date="cancer_date", unit="days")
    # p1 cancer 181 days; p2 censored; p4 cancer before diagnosis -> excluded; p7 cancer 182 days
    assert dict(zip(sd.excluded.patient_id, sd.excluded.reason))["p4"].startswith("negative time")
    kept = dict(zip(df.loc[sd.index, "patient_id"], sd.time))
    assert kept["p1"] == 181 and kept["p7"] == 182
    lab = pd.Series(list("ABABABAB"), index=df.index)
    assert list(sd.align(lab)) == list(lab.loc[sd.index])
    assert list(sd.align(list("ABABABAB"))) == list(lab.loc[sd.index])


def test_survival_data_bad_input() -> None:
    df = _cohort()
    with pytest.raises(SurvivalInputError, match="nope"):
        survival_data(df, origin="nope")
    bad = df.assign(death=[1, 0, 2, 1, 0, 0, 0, 1])
    with pytest.raises(SurvivalInputError, match="event column 'death'.*row 12"):
        survival_data(bad)
    with pytest.raises(SurvivalInputError, match="dates"):
        survival_data(df.assign(diagnosis_date="not a date"))
    with pytest.raises(SurvivalInputError, match="time unit"):
        survival_data(df, unit="weeks")  # type: ignore[arg-type]
    # text dates are converted
    sd = survival_data(df.assign(diagnosis_date=df.diagnosis_date.dt.strftime("%Y-%m-%d")), unit="days")
    assert sd.n == 3


def test_endpoint_options() -> None:
    df = _cohort()
    assert endpoint_options(df) == [("death", "death_date"), ("cancer", "cancer_date")]


def test_default_ticks() -> None:
    assert default_tick_times(70, "months") == [0, 12, 24, 36, 48, 60]
    assert default_tick_times(5.5, "years") == [0, 1, 2, 3, 4, 5]
    assert default_tick_times(0, "days") == [0.0]
    assert len(default_tick_times(1e6, "days")) <= 8


def _random(n: int, k: int, seed: int, integer: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, k, n)
    t = rng.exponential(20 * (1 + groups), n)
    c = rng.uniform(0, 80, n)
    time = np.minimum(t, c)
    if integer:
        time = np.ceil(time)
    event = (t <= c).astype(int)
    return time, event, np.array([f"g{g}" for g in groups], dtype=object)


@pytest.mark.parametrize("seed,integer", [(1, False), (2, True), (3, True)])
def test_km_matches_lifelines(seed: int, integer: bool) -> None:
    from lifelines import KaplanMeierFitter

    time, event, _ = _random(400, 1, seed, integer)
    curve = kaplan_meier(time, event, conf_type="log-log")
    kmf = KaplanMeierFitter().fit(time, event)
    sf = kmf.survival_function_.iloc[:, 0]
    sf = sf[sf.index > 0] if 0 not in set(time) else sf
    np.testing.assert_allclose(curve.survival, sf.reindex(curve.time).to_numpy(), rtol=1e-10)
    # lifelines' default CI is log-log ("exponential Greenwood"): same as ours with conf_type="log-log"
    ci = kmf.confidence_interval_.reindex(curve.time)
    ok = np.isfinite(curve.ci_low)
    np.testing.assert_allclose(curve.ci_low[ok], ci.iloc[:, 0].to_numpy()[ok], rtol=1e-7)
    np.testing.assert_allclose(curve.ci_high[ok], ci.iloc[:, 1].to_numpy()[ok], rtol=1e-7)
    # medians agree when the curve crosses 0.5 strictly
    med = km_quantile(curve)[0]
    if math.isfinite(med):
        assert med == pytest.approx(kmf.median_survival_time_)


@pytest.mark.parametrize("k,integer", [(2, False), (3, True), (4, True)])
def test_logrank_matches_lifelines(k: int, integer: bool) -> None:
    from lifelines.statistics import multivariate_logrank_test

    time, event, lab = _random(600, k, 10 + k, integer)
    r = logrank_test(time, event, lab, [f"g{i}" for i in range(k)])
    ll = multivariate_logrank_test(time, lab, event)
    assert r.df == k - 1
    assert r.chi2 == pytest.approx(ll.test_statistic, rel=1e-8)
    assert r.p_value == pytest.approx(ll.p_value, rel=1e-6)
    assert sum(r.observed) == pytest.approx(sum(r.expected))


def test_analyze_synthetic_many_groups_and_payload_json() -> None:
    time, event, lab = _random(500, 3, 7, True)
    lab[:5] = None  # unassigned
    age = pd.Series(np.random.default_rng(0).normal(60, 10, 500))
    sex = pd.Series(np.where(np.arange(500) % 3 == 0, "M", "F"), dtype=object)
    sex[7] = None
    res = analyze_survival(
        time, event, lab, ["g0", "g1", "g2"], landmarks=(12, 36, 60),
        covariates=pd.DataFrame({"age_at_diagnosis": age, "sex": sex}), unit="months",
    )
    assert res.n_unassigned == 5
    assert [g.group for g in res.groups] == ["g0", "g1", "g2"]
    assert sum(g.n for g in res.groups) == 495
    assert res.pairwise is not None and len(res.pairwise) == 3
    assert res.cox is not None and res.cox.reference == "g0"
    assert list(res.cox.terms.term) == ["g1 vs g0", "g2 vs g0", "age_at_diagnosis", "sex: M vs F"]
    assert res.cox.n == 494 and res.cox.adjusted_for == ("age_at_diagnosis", "sex")
    p = res.payload()
    text = json.dumps(p, allow_nan=False)
    back = json.loads(text)
    assert back["logrank"]["df"] == 2
    assert back["cox"]["hr"] is None and len(back["cox"]["terms"]) == 4
    g0 = back["groups"][0]
    for key in ("group", "n", "events", "median", "median_ci_low", "median_ci_high", "times", "survival", "ci_low", "ci_high", "n_at_risk"):
        assert key in g0
    assert len(g0["times"]) == len(g0["survival"]) == len(g0["n_at_risk"]) == len(g0["ci_low"])
    # curve lists are at distinct event times only
    curve = res.groups[0].curve
    assert g0["times"] == curve.time[curve.n_event > 0].tolist()
    tab = res.group_table()
    assert list(tab.columns[:6]) == ["group", "n", "events", "median", "median 95% CI low", "median 95% CI high"]
    assert "S(12 months)" in tab.columns
    text = methods_text(res, "anti-Mi2 positive")
    assert "log-rank" in text and "Benjamini-Hochberg" in text and "anti-Mi2 positive" in text


def test_reference_group_and_two_group_payload() -> None:
    time, event, lab = _random(300, 2, 3)
    res = analyze_survival(time, event, lab, ["g1", "g0"], reference="g0")
    cox = res.payload()["cox"]
    assert cox["reference"] == "g0" and cox["hr"] is not None
    # g1 has lower hazard (longer times) -> HR < 1 versus g0
    assert cox["hr"] < 1
    assert res.pairwise is None
    both = analyze_survival(time, event, lab, ["g1", "g0"])
    assert both.cox is not None and both.cox.reference == "g1"
    assert both.cox.group_terms()["hr"].iloc[0] == pytest.approx(1 / cox["hr"], rel=1e-5)


def test_guardrails_empty_groups_and_no_events() -> None:
    time = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2, 3, 4], dtype=float)
    event = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0])
    lab = np.array(["A"] * 12 + ["B"] * 3, dtype=object)
    res = analyze_survival(time, event, lab, ["A", "B", "C"], landmarks=(5,))
    assert [g.group for g in res.groups] == ["A", "B"]
    assert any("'C'" in n for n in res.notes)
    assert res.guardrails == (
        (
            "Group 'B' has only 3 patients (< 10) and only 0 event(s) (< 3): its estimates are imprecise; "
            "median, tests and hazard ratio are unreliable."
        ),
    )
    assert not any("'A'" in g for g in res.guardrails)
    assert res.cox is None and any("no events" in n for n in res.notes)
    assert "group 'B' has no events" in res.cox_error
    assert res.payload()["cox_error"] == res.cox_error
    assert "No hazard ratio was estimated: group 'B' has no events" in methods_text(res)
    assert res.logrank is not None and res.logrank.df == 1
    b = res.groups[1]
    assert math.isnan(b.median) and b.landmarks["survival"].isna().all()
    json.dumps(res.payload(), allow_nan=False)
    single = analyze_survival(time[:12], event[:12], lab[:12], ["A"])
    assert single.logrank is None and single.cox is None
    assert single.cox_error == "fewer than two groups with data"
    assert analyze_survival(time[:12], event[:12], lab[:12], ["A"], cox=False).cox_error == ""


def test_cox_monotone_likelihood_is_reported() -> None:
    """Infinite coefficients (R: "Loglik converged before variable 1; coefficient may be
    infinite") raise with the term named instead of giving a huge HR."""
    # perfect separation: every B patient dies before any A patient
    t = np.r_[np.arange(1, 21), np.arange(30, 50)].astype(float)
    e = np.ones(40, dtype=int)
    g = np.array(["B"] * 20 + ["A"] * 20, dtype=object)
    with pytest.raises(SurvivalInputError, match="'B vs A' is infinite"):
        cox_regression(t, e, g, ["A", "B"])
    # a covariate level without events
    rng = np.random.default_rng(1)
    t = rng.exponential(10, 60)
    e = (rng.random(60) < 0.7).astype(int)
    x = np.where(np.arange(60) < 5, "yes", "no")
    e[:5] = 0
    cov = pd.DataFrame({"flag": x})
    g = np.where(np.arange(60) % 2, "A", "B")
    with pytest.raises(SurvivalInputError, match="'flag: yes vs no' is infinite"):
        cox_regression(t, e, g, ["A", "B"], covariates=cov)
    res = analyze_survival(t, e, g, ["A", "B"], covariates=cov)
    assert res.cox is None and "monotone likelihood" in res.cox_error
    assert json.loads(json.dumps(res.payload(), allow_nan=False))["cox_error"] == res.cox_error


def test_cox_collinear_terms_are_reported() -> None:
    """Two identical covariates: singular information matrix, reported as collinear."""
    rng = np.random.default_rng(2)
    t = rng.exponential(10, 80)
    e = (rng.random(80) < 0.8).astype(int)
    g = np.where(np.arange(80) % 2, "A", "B")
    age = rng.normal(50, 10, 80)
    with pytest.raises(SurvivalInputError, match="collinear|did not converge"):
        cox_regression(t, e, g, ["A", "B"], covariates=pd.DataFrame({"age": age, "age2": age}))


@pytest.mark.parametrize(("unit", "expected"), [
    ("days", (365.25, 1095.75, 1826.25)), ("months", (12.0, 36.0, 60.0)), ("years", (1.0, 3.0, 5.0)), ("", (12.0, 36.0, 60.0)),
])
def test_default_landmarks_follow_the_unit(unit: str, expected: tuple[float, ...]) -> None:
    rng = np.random.default_rng(3)
    res = analyze_survival(rng.exponential(10, 30), np.ones(30, dtype=int), ["A"] * 15 + ["B"] * 15, ["A", "B"], unit=unit, cox=False)
    assert res.landmark_times == expected
    assert list(res.groups[0].landmarks["time"]) == list(expected)
    assert analyze_survival([1.0, 2.0], [1, 1], ["A", "B"], ["A", "B"], landmarks=(7,), cox=False).landmark_times == (7.0,)


def test_input_errors() -> None:
    with pytest.raises(SurvivalInputError, match="event must be 0 or 1"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(SurvivalInputError, match="finite"):
        kaplan_meier([1, np.nan], [1, 0])
    with pytest.raises(SurvivalInputError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type="arcsin")  # type: ignore[arg-type]
    with pytest.raises(SurvivalInputError, match="two non-empty groups"):
        logrank_test([1, 2], [1, 0], ["A", "A"], ["A", "B"])
    with pytest.raises(SurvivalInputError, match="labels"):
        analyze_survival([1, 2], [1, 0], ["A"], ["A"])
    with pytest.raises(SurvivalInputError, match="reference"):
        cox_regression([1, 2, 3, 4], [1, 1, 1, 1], ["A", "A", "B", "B"], ["A", "B"], reference="Z")
    empty = kaplan_meier([], [])
    assert empty.n == 0 and all(math.isnan(v) for v in km_quantile(empty))


def test_ph_violation_note() -> None:
    rng = np.random.default_rng(5)
    n = 400
    # crossing hazards: group B dies early or survives long
    a = rng.exponential(30, n)
    b = np.where(rng.random(n) < 0.4, rng.exponential(3, n), rng.exponential(200, n))
    time = np.concatenate([a, b])
    event = np.ones(2 * n, dtype=int)
    lab = np.array(["A"] * n + ["B"] * n, dtype=object)
    res = analyze_survival(time, event, lab, ["A", "B"])
    assert res.cox is not None and res.cox.ph_p_global < 0.05
    assert any("proportional-hazards assumption may not hold" in x for x in res.cox.notes)


def test_survival_payload_with_data() -> None:
    df = _cohort()
    sd = survival_data(df, unit="days")
    res = analyze_survival(sd.time, sd.event, np.array(["all"] * sd.n, dtype=object), ["all"], landmarks=(365,))
    p = survival_payload(res, sd)
    assert p["endpoint"]["event"] == "death"
    assert {e["patient_id"] for e in p["excluded"]} == {"p3", "p4", "p5", "p6", "p8"}
    json.dumps(p, allow_nan=False)
    assert "excluded" in methods_text(res, "", data=sd)


def test_large_cohort_runs_without_cox() -> None:
    time, event, lab = _random(200_000, 2, 99, True)
    res = analyze_survival(time, event, lab, ["g0", "g1"], cox=False)
    assert res.cox is None and res.logrank is not None and res.logrank.p_value < 1e-10


def test_sample_cohort_anti_mi2_cancer_logrank() -> None:
    """Monseau 2020 Fig 1: anti-Mi2+ with vs without cancer, log-rank P = .008."""
    from core.formatting import format_p

    try:
        from core.io import load_sample_cohort

        cohort = load_sample_cohort()
    except (ImportError, FileNotFoundError, OSError) as exc:  # pragma: no cover - before the sample exists
        pytest.skip(f"sample cohort not available: {exc}")
    df = cohort.data
    mi2 = df[df["anti_mi2"] == 1]
    sd = survival_data(mi2, unit="months")
    cancer = mi2["cancer"].map({1.0: "cancer", 0.0: "no cancer"})
    res = analyze_survival(sd.time, sd.event, sd.align(cancer), ["cancer", "no cancer"])
    assert res.logrank is not None
    assert format_p(res.logrank.p_value) == ".008", f"log-rank P = {res.logrank.p_value:.5f}"
