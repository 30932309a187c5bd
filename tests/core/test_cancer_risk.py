"""Tests of core.cancer_risk against R (Epi/popEpi, poisson.test, survival) fixtures.

Fixtures: tests/reference/cancer_risk/make_fixtures.R (R never needed to run the tests).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.cancer_risk import (
    TIME_SINCE_DIAGNOSIS,
    CancerRiskError,
    methods_text,
    sir_analysis,
    window_description,
)
from core.cancer_timing import cancer_timing, cumulative_incidence
from core.rates import RateTable, load_bundled_rates, load_rates
from core.stats import StatsError, poisson_test_p, sir_ci

REF = Path(__file__).resolve().parents[1] / "reference" / "cancer_risk"
REL = 1e-6
DATE_COLS = ["birth_date", "diagnosis_date", "cancer_date", "death_date", "last_followup_date"]


def read_cohort(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / f"cohort_{name}.csv", dtype={"patient_id": str, "sex": str, "grp": str})
    for c in DATE_COLS:
        if c in d.columns:
            d[c] = pd.to_datetime(d[c])
    return d


def fx(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def bundled() -> RateTable:
    return load_bundled_rates()


@pytest.fixture(scope="module")
def period_rates() -> RateTable:
    return load_rates(REF / "rates_periods.csv")


TOTALS = fx("sir_totals.csv")


def run_case(row: pd.Series, bundled: RateTable, period_rates: RateTable, **kw):
    d = read_cohort(row["cohort"])
    rates = period_rates if row["periods"] else bundled
    by = None if row["by"] == "" else ("grp" if row["by"] == "grp" else TIME_SINCE_DIAGNOSIS)
    return sir_analysis(d, rates, float(row["window_before"]), float(row["window_after"]),
                        by=by, **kw)


# --------------------------------------------------------------------------------------
# SIR totals, strata, subgroups vs popEpi
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", TOTALS["case"].tolist())
def test_sir_totals_match_r(case, bundled, period_rates):
    row = TOTALS.set_index("case").loc[case].copy()
    row["case"] = case
    res = run_case(row, bundled, period_rates)
    assert res.observed == int(row["observed"])
    assert res.person_years == pytest.approx(float(row["person_years"]), rel=REL)
    assert res.expected == pytest.approx(float(row["expected"]), rel=REL)
    assert res.sir == pytest.approx(int(row["observed"]) / float(row["expected"]), rel=REL)
    assert res.ci_method == "exact"
    assert res.ci_low == pytest.approx(float(row["ci_low"]), rel=REL)
    assert res.ci_high == pytest.approx(float(row["ci_high"]), rel=REL)
    assert res.p_value == pytest.approx(float(row["p_value"]), rel=REL)
    exp_excess = 1000 * (res.observed - res.expected) / res.person_years
    assert res.excess_per_1000py == pytest.approx(exp_excess, rel=1e-12)


@pytest.mark.parametrize("case", TOTALS["case"].tolist())
def test_sir_strata_match_r(case, bundled, period_rates):
    row = TOTALS.set_index("case").loc[case].copy()
    row["case"] = case
    res = run_case(row, bundled, period_rates)
    ref = fx("sir_strata.csv")
    ref = ref[ref["case"] == case]
    rates = period_rates if row["periods"] else bundled
    band = dict(zip(rates.data["age_from"], rates.data["age_band"]))
    ref = ref.assign(age_band=ref["age_from"].map(lambda a: band[float(a)]))
    keys = ["sex", "age_band"] + (["period"] if row["periods"] else [])
    got = res.strata.set_index(keys)
    exp = ref.set_index(keys)
    assert len(got) == len(exp)
    assert set(got.index) == set(exp.index)
    for k in exp.index:
        assert got.loc[k, "observed"] == int(exp.loc[k, "observed"]), k
        assert got.loc[k, "person_years"] == pytest.approx(float(exp.loc[k, "person_years"]),
                                                           rel=REL), k
        assert got.loc[k, "expected"] == pytest.approx(float(exp.loc[k, "expected"]), rel=REL), k
    assert got["expected"].sum() == pytest.approx(res.expected, rel=1e-12)
    assert (got["expected"] == got["person_years"] * got["rate"] / 1e5).all()


SUB_CASES = TOTALS.loc[TOTALS["by"] != "", "case"].tolist()


@pytest.mark.parametrize("case", SUB_CASES)
def test_sir_subgroups_match_r(case, bundled, period_rates):
    row = TOTALS.set_index("case").loc[case].copy()
    row["case"] = case
    res = run_case(row, bundled, period_rates)
    ref = fx("sir_subgroups.csv")
    ref = ref[ref["case"] == case].set_index("group")
    got = {h.group: h for h in res.subgroups}
    for g, r in ref.iterrows():
        h = got[g]
        assert h.observed == int(r["observed"]), g
        assert h.person_years == pytest.approx(float(r["person_years"]), rel=REL), g
        assert h.expected == pytest.approx(float(r["expected"]), rel=REL), g
        assert h.ci_low == pytest.approx(float(r["ci_low"]), rel=REL), g
        assert h.ci_high == pytest.approx(float(r["ci_high"]), rel=REL), g
        assert h.p_value == pytest.approx(float(r["p_value"]), rel=REL), g
    # groups R does not list have no person-time and no case
    for g, h in got.items():
        if g not in ref.index:
            assert h.observed == 0 and h.person_years == 0
    if row["by"] == "tsd":
        # the time-since-diagnosis split partitions O, PY and E
        assert sum(h.observed for h in res.subgroups) == res.observed
        assert sum(h.person_years for h in res.subgroups) == pytest.approx(res.person_years)
        assert sum(h.expected for h in res.subgroups) == pytest.approx(res.expected)


def test_excluded_patients_match_r(bundled):
    res = sir_analysis(read_cohort("a"), bundled)
    ref = fx("sir_excluded.csv")
    assert sorted(res.excluded["patient_id"]) == sorted(ref["patient_id"])
    reasons = dict(zip(res.excluded["patient_id"], res.excluded["reason"]))
    assert "sex" in reasons["X01"]
    assert "age at diagnosis" in reasons["X02"]
    assert "diagnosis date missing" in reasons["X03"]
    assert reasons["X04"] == "cancer date missing"
    assert "follow-up and death dates missing" in reasons["X05"]
    assert "before diagnosis" in reasons["X06"]
    assert "after last follow-up" in reasons["X07"]
    assert reasons["X08"] == "cancer status missing"
    assert any("left out" in g for g in res.guardrails)
    assert res.n_patients == len(read_cohort("a")) - 8


# --------------------------------------------------------------------------------------
# poisson.test and CI formulas
# --------------------------------------------------------------------------------------
PT = fx("poisson_test.csv")


@pytest.mark.parametrize("i", range(len(PT)))
def test_exact_ci_and_p_match_poisson_test(i):
    r = PT.iloc[i]
    o, e, level = int(r["observed"]), float(r["expected"]), float(r["conf_level"])
    lo, hi = sir_ci(o, e, "exact", level)
    assert lo == pytest.approx(float(r["ci_low"]), rel=REL, abs=1e-300)
    assert hi == pytest.approx(float(r["ci_high"]), rel=REL)
    assert poisson_test_p(o, e) == pytest.approx(float(r["p_value"]), rel=REL)


def _bisect(fun, lo: float, hi: float) -> float:
    """Plain bisection (independent of scipy.optimize) for a monotone function."""
    flo = fun(lo)
    for _ in range(300):
        mid = (lo + hi) / 2
        fm = fun(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


@pytest.mark.parametrize("o", [0, 1, 2, 5, 14, 40])
@pytest.mark.parametrize("e", [0.7, 2.75, 12.0])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_midp_byar_wald_formulas(o, e, level):
    a = 1 - level
    z = stats.norm.ppf(1 - a / 2)
    # mid-p: solve the tail equations by bisection on the Poisson mean
    up = _bisect(lambda m: stats.poisson.cdf(o - 1, m) + 0.5 * stats.poisson.pmf(o, m) - a / 2,
                 1e-9, 500.0)
    lo = 0.0 if o == 0 else _bisect(
        lambda m: stats.poisson.sf(o, m) + 0.5 * stats.poisson.pmf(o, m) - a / 2, 1e-9, 500.0)
    got = sir_ci(o, e, "midp", level)
    assert got[0] == pytest.approx(lo / e, rel=REL, abs=1e-12)
    assert got[1] == pytest.approx(up / e, rel=REL)
    # Byar
    blo = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3 / e
    bhi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3 / e
    got = sir_ci(o, e, "byar", level)
    assert got[0] == pytest.approx(blo, rel=REL, abs=1e-12)
    assert got[1] == pytest.approx(bhi, rel=REL)
    # log-Wald
    got = sir_ci(o, e, "wald", level)
    if o == 0:
        assert all(math.isnan(x) for x in got)
    else:
        assert got[0] == pytest.approx(math.exp(math.log(o / e) - z / math.sqrt(o)), rel=REL)
        assert got[1] == pytest.approx(math.exp(math.log(o / e) + z / math.sqrt(o)), rel=REL)


def test_midp_zero_closed_form():
    # O = 0: P(X = 0)/2 = alpha/2  ->  mu_U = -ln(alpha)
    assert sir_ci(0, 1.0, "midp")[1] == pytest.approx(-math.log(0.05), rel=1e-9)


def test_published_wald_example():
    # O = 14, E = 2.75: log-Wald 5.1 (3.0-8.6) as in Monseau 2020; exact 2.79-8.56
    lo, hi = sir_ci(14, 2.75, "wald")
    assert (round(14 / 2.75, 1), round(lo, 1), round(hi, 1)) == (5.1, 3.0, 8.6)
    lo, hi = sir_ci(14, 2.75, "exact")
    assert (round(lo, 2), round(hi, 2)) == (2.78, 8.54) or (round(lo, 1), round(hi, 1)) == (2.8, 8.5)


def test_ci_bad_input():
    with pytest.raises(StatsError):
        sir_ci(3, 1.0, "bogus")  # type: ignore[arg-type]
    with pytest.raises(StatsError):
        sir_ci(-1, 1.0)
    with pytest.raises(StatsError):
        sir_ci(3, 1.0, conf_level=1.5)
    assert all(math.isnan(x) for x in sir_ci(3, 0.0))
    assert math.isnan(poisson_test_p(3, 0.0))


@pytest.mark.parametrize("method", ["exact", "midp", "byar", "wald"])
def test_ci_method_is_applied_to_cohort_and_subgroups(method, bundled):
    d = read_cohort("b")
    res = sir_analysis(d, bundled, ci_method=method, by="sex")
    assert res.ci_method == method
    assert (res.ci_low, res.ci_high) == pytest.approx(sir_ci(res.observed, res.expected, method))
    for h in res.subgroups:
        assert (h.ci_low, h.ci_high) == pytest.approx(sir_ci(h.observed, h.expected, method))
        assert h.ci_method == method


# --------------------------------------------------------------------------------------
# Method edge cases (hand-computed)
# --------------------------------------------------------------------------------------
def _one(**kw) -> pd.DataFrame:
    base = {"patient_id": "p1", "sex": "F", "age_at_diagnosis": 52.0,
            "diagnosis_date": pd.Timestamp("2015-06-01"), "cancer": 0.0, "cancer_date": pd.NaT,
            "death": 0.0, "death_date": pd.NaT, "last_followup_date": pd.Timestamp("2030-01-01")}
    base.update(kw)
    d = pd.DataFrame([base])
    for c in ("cancer_date", "death_date", "last_followup_date", "diagnosis_date"):
        d[c] = pd.to_datetime(d[c])
    return d


def flat_rates(rate: float = 1000.0) -> RateTable:
    return load_rates(pd.DataFrame({"sex": ["F", "M"], "age_from": [0, 0], "age_to": ["", ""],
                                    "rate_per_100000": [rate, rate]}))


def test_full_window_person_time(bundled):
    res = sir_analysis(_one(), bundled)
    assert res.person_years == pytest.approx(6.0)
    # ages 49-55: 1 y in 45-49, 5 in 50-54
    s = res.strata.set_index("age_band")
    assert s.loc["45-49", "person_years"] == pytest.approx(1.0)
    assert s.loc["50-54", "person_years"] == pytest.approx(5.0)
    assert res.expected == pytest.approx((480.3 + 5 * 634.7) / 1e5)
    assert res.observed == 0
    assert any("O < 5" in g for g in res.guardrails)


def test_cancer_before_window_gives_nothing():
    d = _one(cancer=1.0, cancer_date=pd.Timestamp("2011-01-01"))
    res = sir_analysis(d, flat_rates())
    assert res.observed == 0 and res.person_years == 0 and res.expected == 0
    assert math.isnan(res.sir)


def test_cancer_inside_window_counts_and_stops_time():
    d = _one(cancer=1.0, cancer_date=pd.Timestamp("2016-06-01"))
    res = sir_analysis(d, flat_rates())
    assert res.observed == 1
    assert res.person_years == pytest.approx(3 + 366 / 365.25)


def test_cancer_after_window_not_counted():
    d = _one(cancer=1.0, cancer_date=pd.Timestamp("2019-06-01"))
    res = sir_analysis(d, flat_rates())
    assert res.observed == 0 and res.person_years == pytest.approx(6.0)


def test_death_and_follow_up_end_person_time():
    d = _one(death=1.0, death_date=pd.Timestamp("2016-06-01"),
             last_followup_date=pd.Timestamp("2016-06-01"))
    res = sir_analysis(d, flat_rates())
    assert res.person_years == pytest.approx(3 + 366 / 365.25)
    d = _one(last_followup_date=pd.Timestamp("2015-06-01"))
    assert sir_analysis(d, flat_rates()).person_years == pytest.approx(3.0)


def test_child_starts_at_birth():
    d = _one(age_at_diagnosis=1.5)
    res = sir_analysis(d, flat_rates())
    assert res.person_years == pytest.approx(4.5)
    d = _one(age_at_diagnosis=pd.NA, birth_date=pd.Timestamp("2014-06-01"))
    d["age_at_diagnosis"] = np.nan
    res = sir_analysis(d, flat_rates())
    assert res.person_years == pytest.approx(3 + 365 / 365.25)


def test_birth_date_preferred_over_age():
    d = _one(birth_date=pd.Timestamp("1960-06-01"), age_at_diagnosis=20.0)
    res = sir_analysis(d, load_bundled_rates())
    assert set(res.strata["age_band"]) == {"50-54", "55-59"}


def test_from_diagnosis_on_and_zero_length_case():
    d = pd.concat([_one(), _one(patient_id="p2", cancer=1.0,
                                cancer_date=pd.Timestamp("2015-06-01"))], ignore_index=True)
    res = sir_analysis(d, flat_rates(), 0.0, math.inf)
    # p2: cancer on the diagnosis day -> counted, no person-time
    assert res.observed == 1
    assert res.person_years == pytest.approx((pd.Timestamp("2030-01-01")
                                              - pd.Timestamp("2015-06-01")).days / 365.25)
    assert window_description(0, math.inf) == "from diagnosis on"
    # same cancer with the +/-3 window: counted, 3 years of person-time
    res = sir_analysis(d.iloc[[1]], flat_rates())
    assert res.observed == 1 and res.person_years == pytest.approx(3.0)


def test_case_attributed_to_band_of_age_at_cancer():
    # age exactly 50 at cancer on the diagnosis day: band 50-54 ([from, to))
    d = _one(age_at_diagnosis=50.0, cancer=1.0, cancer_date=pd.Timestamp("2015-06-01"))
    res = sir_analysis(d, load_bundled_rates())
    s = res.strata.set_index("age_band")
    assert s.loc["50-54", "observed"] == 1
    assert s.loc["45-49", "observed"] == 0


def test_uncovered_ages_reported():
    rt = load_rates(pd.DataFrame({"sex": ["F", "F"], "age_band": ["50-54", "55-59"],
                                  "rate": [100, 200]}))
    d = _one()  # ages 49-55
    res = sir_analysis(d, rt)
    assert res.person_years == pytest.approx(5.0)
    assert res.uncovered_person_years == pytest.approx(1.0)
    assert any("not cover" in g for g in res.guardrails)
    d = _one(sex="M")
    res = sir_analysis(d, rt)
    assert res.person_years == 0 and res.uncovered_person_years == pytest.approx(6.0)


def test_missing_columns_and_bad_options(bundled):
    d = _one().drop(columns=["sex"])
    with pytest.raises(CancerRiskError, match="'sex'"):
        sir_analysis(d, bundled)
    d = _one().drop(columns=["last_followup_date", "death_date"])
    with pytest.raises(CancerRiskError, match="last_followup_date"):
        sir_analysis(d, bundled)
    with pytest.raises(CancerRiskError):
        sir_analysis(_one(), bundled, window_before_years=-1)
    with pytest.raises(CancerRiskError):
        sir_analysis(_one(), bundled, 0, 0)
    with pytest.raises(CancerRiskError):
        sir_analysis(_one(), bundled, ci_method="nope")  # type: ignore[arg-type]
    with pytest.raises(CancerRiskError):
        sir_analysis(_one(), bundled, by="no_such_column")


def test_untyped_columns_are_refused_not_reparsed(bundled):
    """Analyses trust the typed cohort (core.io): a text flag or date is a clear error."""
    with pytest.raises(CancerRiskError, match="'cancer' is not a typed yes/no column"):
        sir_analysis(_one(cancer="yes", cancer_date="2016-06-01"), bundled)
    d = _one(cancer=1.0, cancer_date="2016-06-01").astype({"cancer_date": str})
    with pytest.raises(CancerRiskError, match="'cancer_date' is not a typed date column"):
        sir_analysis(d, bundled)


def test_payload_keys(bundled):
    res = sir_analysis(read_cohort("b"), bundled)
    p = res.payload()
    assert list(p) == ["observed", "expected", "person_years", "sir", "ci_low", "ci_high",
                       "p_value", "ci_method", "strata"]
    assert list(p["strata"][0]) == ["sex", "age_band", "person_years", "rate", "expected"]
    json.dumps(p, allow_nan=False)
    res = sir_analysis(read_cohort("b"), bundled, by="sex")
    p = res.payload()
    assert [s["group"] for s in p["subgroups"]] == ["F", "M"]
    assert list(p["subgroups"][0]) == ["group", "observed", "expected", "person_years", "sir",
                                       "ci_low", "ci_high", "p_value", "ci_method"]
    json.dumps(p, allow_nan=False)


def test_subgroups_partition_and_order(bundled):
    d = read_cohort("b")
    by = pd.Series(np.where(d["sex"] == "F", "women", "men"), index=d.index)
    res = sir_analysis(d, bundled, by=by, by_order=["women", "men"])
    assert [h.group for h in res.subgroups] == ["women", "men"]
    assert sum(h.observed for h in res.subgroups) == res.observed
    assert sum(h.expected for h in res.subgroups) == pytest.approx(res.expected)
    assert res.subgroup_strata is not None
    assert set(res.subgroup_strata["group"]) == {"women", "men"}
    t = res.subgroup_table()
    assert list(t["group"]) == ["women", "men"]


def test_patients_table_sums(bundled):
    res = sir_analysis(read_cohort("b"), bundled)
    assert res.patients["person_years"].sum() == pytest.approx(res.person_years)
    assert res.patients["expected"].sum() == pytest.approx(res.expected)
    assert res.patients["observed"].sum() == res.observed


def test_random_cohorts_invariants(bundled):
    """Any cohort: O <= cancers, E = sum strata, scaling rates scales E and SIR inversely."""
    rng = np.random.default_rng(7)
    for n in (1, 5, 300):
        diag = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), "D")
        fu = rng.integers(0, 5000, n)
        cancer = rng.random(n) < 0.3
        cd = rng.integers(-3000, 3000, n)
        cd = np.minimum(cd, fu)
        d = pd.DataFrame({
            "patient_id": [f"r{i}" for i in range(n)],
            "sex": rng.choice(["F", "M"], n),
            "age_at_diagnosis": rng.uniform(10, 95, n),
            "diagnosis_date": diag,
            "cancer": cancer.astype(float),
            "cancer_date": pd.Series(diag + pd.to_timedelta(cd, "D")).where(cancer),
            "last_followup_date": diag + pd.to_timedelta(fu, "D"),
        })
        res = sir_analysis(d, bundled)
        assert res.observed <= cancer.sum()
        assert res.strata["expected"].sum() == pytest.approx(res.expected)
        assert res.person_years <= 6 * n + 1e-9
        doubled = RateTable(bundled.data.assign(rate=bundled.data["rate"] * 2))
        res2 = sir_analysis(d, doubled)
        assert res2.expected == pytest.approx(2 * res.expected)
        assert res2.observed == res.observed


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
TIMING = fx("timing.csv")


@pytest.mark.parametrize("cohort", ["a", "b", "c"])
def test_timing_matches_r(cohort):
    r = TIMING.set_index("cohort").loc[cohort]
    t = cancer_timing(read_cohort(cohort))
    assert t.n == int(r["n"])
    assert t.median_days == pytest.approx(float(r["median_days"]), rel=REL)
    assert t.ci_low_days == pytest.approx(float(r["ci_low_days"]), rel=REL, abs=1e-9)
    assert t.ci_high_days == pytest.approx(float(r["ci_high_days"]), rel=REL, abs=1e-9)
    assert t.n_within == int(r["n_within"])
    assert t.n_before == int(r["n_before"])
    assert t.share_within == pytest.approx(int(r["n_within"]) / int(r["n"]))
    assert t.ci_coverage >= 0.95


def test_timing_small_sample_has_no_ci():
    d = read_cohort("b")
    d = d[d["cancer"] == 1].iloc[:5]
    t = cancer_timing(d)
    r = TIMING.set_index("cohort").loc["b_first5_with_cancer"]
    assert t.n == 5
    assert t.median_days == pytest.approx(float(r["median_days"]))
    assert math.isnan(t.ci_low_days) and math.isnan(t.ci_high_days)


def test_timing_lists_undated_cancers():
    d = _one(cancer=1.0, cancer_date=pd.NaT)
    t = cancer_timing(d)
    assert t.n == 0 and list(t.excluded["patient_id"]) == ["p1"]
    assert math.isnan(t.median_days)


def test_timing_even_median_and_window():
    base = pd.Timestamp("2015-01-01")
    days = [-400, -10, 50, 73, 2000, 10]
    d = pd.DataFrame({"patient_id": [f"t{i}" for i in range(6)],
                      "diagnosis_date": [base] * 6, "cancer": [1.0] * 6,
                      "cancer_date": [base + pd.Timedelta(days=x) for x in days]})
    t = cancer_timing(d, window_years=1.0)
    assert t.median_days == pytest.approx(30.0)
    assert t.n_within == 4  # -10, 10, 50, 73 (not -400 and 2000)
    assert list(t.table["days"]) == sorted(days)


# --------------------------------------------------------------------------------------
# Cumulative incidence
# --------------------------------------------------------------------------------------
CIF = fx("cif.csv")


@pytest.mark.parametrize("cohort", ["b", "c"])
def test_cumulative_incidence_matches_survfit(cohort):
    d = read_cohort(cohort)
    res_all = cumulative_incidence(d)
    res_sex = cumulative_incidence(d, labels=d["sex"])
    for g, res, label in (("all", res_all, "All patients"), ("F", res_sex, "F"),
                          ("M", res_sex, "M")):
        ref = CIF[(CIF["cohort"] == cohort) & (CIF["group"] == g)]
        curve = res.curves[res.curves["group"] == label]
        summ = res.summary.set_index("group").loc[label]
        assert summ["n"] == int(ref["n"].iloc[0])
        for _, r in ref.iterrows():
            val = curve.loc[curve["time"] <= float(r["months"]) + 1e-9, "cif"].iloc[-1]
            assert val == pytest.approx(float(r["cif"]), rel=REL, abs=1e-12), (g, r["months"])
        assert (curve["ci_low"] <= curve["cif"] + 1e-12).all()
        assert (curve["ci_high"] >= curve["cif"] - 1e-12).all()
    prior = int((d["cancer"] == 1).sum() - (
        (d["cancer"] == 1) & (d["cancer_date"] >= d["diagnosis_date"])).sum())
    assert (res_all.excluded["reason"].str.contains("before diagnosis")).sum() == prior
    assert "not at risk" in res_all.note


def test_cumulative_incidence_ties_deterministic():
    base = pd.Timestamp("2015-01-01")
    n = 12
    d = pd.DataFrame({
        "patient_id": [f"c{i}" for i in range(n)],
        "diagnosis_date": [base] * n,
        "cancer": [1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0],
        "cancer_date": [base + pd.Timedelta(days=x) if c else pd.NaT for x, c in
                        zip([0, 0, 100, 0, 0, 200, 0, 0, 300, 0, 0, 0],
                            [1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0])],
        "death": [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0],
        "last_followup_date": [base + pd.Timedelta(days=x) for x in
                               [0, 100, 100, 100, 200, 200, 250, 300, 300, 400, 500, 600]],
    })
    d["cancer"] = d["cancer"].astype(float)
    d["death"] = d["death"].astype(float)
    r1 = cumulative_incidence(d, unit="days")
    r2 = cumulative_incidence(d, unit="days")
    pd.testing.assert_frame_equal(r1.curves, r2.curves)
    c = r1.curves.set_index("time")["cif"]
    # hand Aalen-Johansen: t=0: 1/12; t=100: S(0)=11/12, n=11 -> +1/11*11/12; then
    # death at 100 (same time): S = 11/12 * (9/11) = 9/12; t=200: n=8 (c2,c3 gone),
    # cancer +1/8*9/12, death -> S = 9/12*6/8; t=300: n=5 -> +1/5 * 9/12*6/8
    exp = [1 / 12, 1 / 12 + 1 / 12, 2 / 12 + 9 / 96, 2 / 12 + 9 / 96 + 1 / 5 * 54 / 96]
    got = [c[c.index <= t].iloc[-1] for t in (0, 100, 200, 300)]
    assert got == pytest.approx(exp, rel=1e-9)


# --------------------------------------------------------------------------------------
# Methods text
# --------------------------------------------------------------------------------------
def test_methods_text(bundled):
    d = read_cohort("a")
    res = sir_analysis(d, bundled, by="grp")
    t = cancer_timing(d)
    txt = methods_text(res, "France CI5-XII", "anti-Mi2+ patients", t)
    for word in ("standardized incidence ratio", "365.25", "France CI5-XII", "anti-Mi2+",
                 "3 years before to 3 years after diagnosis", "poisson.test", "excluded",
                 "order statistics", "grp"):
        assert word in txt, word


@pytest.mark.parametrize("seed", range(6))
def test_aalen_johansen_vectorised_equals_lifelines(seed):
    """The vectorised estimate and delta-method CI equal lifelines' row-by-row
    ``AalenJohansenFitter`` (no ties, so lifelines does not jitter), at 1e-9."""
    from lifelines import AalenJohansenFitter

    from core.cancer_timing import _aalen_johansen

    rng = np.random.default_rng(seed)
    n = 300
    t = rng.exponential(30, n) + 1.0
    ev = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
    ours = _aalen_johansen(t, ev)
    ajf = AalenJohansenFitter(calculate_variance=True).fit(t, ev, event_of_interest=1)
    cif = ajf.cumulative_density_.iloc[:, 0].to_numpy()
    ci = ajf.confidence_interval_.to_numpy()
    np.testing.assert_allclose(ours["time"], ajf.cumulative_density_.index, rtol=1e-12)
    np.testing.assert_allclose(ours["cif"], cif, rtol=1e-9, atol=1e-15)
    pos = (cif > 0) & np.isfinite(ci).all(axis=1)  # lifelines: NaN once all at risk had an event
    np.testing.assert_allclose(ours["ci_low"][pos], np.fmin(ci[:, 0], ci[:, 1])[pos], rtol=1e-9)
    np.testing.assert_allclose(ours["ci_high"][pos], np.fmax(ci[:, 0], ci[:, 1])[pos], rtol=1e-9)
