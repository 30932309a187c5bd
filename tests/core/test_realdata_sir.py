"""core.cancer_risk.sir_analysis on real(istic) registry data against R Epi/popEpi.

Cohort: 2000 patients of popEpi's ``sire`` (simulated Finnish female rectal cancer
patients), ``tests/data/realdata/sire.csv``; rates: popEpi's ``popmort`` population mortality by
1-year age band and calendar year, ``tests/data/realdata/popmort_rates.csv``. The "event"
counted as ``cancer`` is death (status 1 or 2), so the SIR is a standardized mortality
ratio. Reference values: ``tests/reference/realdata/make_sir_fixtures.R`` (Lexis +
splitMulti + aggre, checked against popEpi::sir; poisson.test; mid-p, Byar and log-Wald
limits by their formulas). R is never needed to run the tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cancer_risk import TIME_SINCE_DIAGNOSIS, sir_analysis
from core.rates import RateTable, load_rates

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "reference" / "realdata"
DATA = ROOT / "data" / "realdata"
REL = 1e-6
DATE_COLS = ["birth_date", "diagnosis_date", "cancer_date", "death_date", "last_followup_date"]


def _fx(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"])


def _cohort() -> pd.DataFrame:
    """The typed cohort built by hand (independent of core.io): datetime64 dates, float
    1/0 flags, sex "F"/"M", float age at diagnosis."""
    d = pd.read_csv(DATA / "sire.csv", dtype={"patient_id": str, "sex": str})
    for c in DATE_COLS:
        d[c] = pd.to_datetime(d[c], format="%Y-%m-%d")
    for c in ("cancer", "death", "age_at_diagnosis"):
        d[c] = d[c].astype(float)
    return d


COHORT = _cohort()
TOTALS = _fx("sir_totals.csv")
CASES = TOTALS["case"].tolist()
SUBS = _fx("sir_subgroups.csv")
CIS = _fx("sir_ci.csv")
STRATA = _fx("sir_strata.csv")
CI_METHODS = ["exact", "midp", "byar", "wald"]


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return load_rates(DATA / "popmort_rates.csv")


def _labels(d: pd.DataFrame, by: str) -> pd.Series | str | None:
    """The subgroup split of a case (made here, as the R script makes it)."""
    if by == "tsd":
        return TIME_SINCE_DIAGNOSIS
    if by == "age_group":
        age = (d["diagnosis_date"] - d["birth_date"]).dt.days / 365.25
        return pd.Series(np.where(age < 65, "<65", "65+"), index=d.index, name="age_group")
    if by == "dx_period":
        early = d["diagnosis_date"] < pd.Timestamp("2003-01-01")
        return pd.Series(np.where(early, "1993-2002", "2003-2012"), index=d.index,
                         name="dx_period")
    assert by == ""
    return None


def _run(case: str, rates: RateTable, method: str = "exact", level: float = 0.95):
    row = TOTALS.set_index("case").loc[case]
    return sir_analysis(COHORT, rates, float(row["window_before"]), float(row["window_after"]),
                        ci_method=method, conf_level=level, by=_labels(COHORT, row["by"]))


def _close(got: float, ref: float, rel: float = REL) -> bool:
    if isinstance(ref, float) and math.isnan(ref):
        return math.isnan(got)
    return math.isclose(got, ref, rel_tol=rel, abs_tol=0.0)


def test_inputs(rates: RateTable) -> None:
    assert len(COHORT) == 2000 and COHORT["patient_id"].is_unique
    assert set(COHORT["sex"]) == {"F"}
    assert rates.has_periods and rates.sexes == ["F"]
    assert math.isinf(rates.data["age_to"].max())
    # the rate table covers every analysed age and calendar year: nothing left out
    res = _run("before2_on_tsd", rates)
    assert res.uncovered_person_years == 0 and res.uncovered_observed == 0
    assert len(res.excluded) == 0


@pytest.mark.parametrize("case", CASES)
def test_totals_match_r(case: str, rates: RateTable) -> None:
    ref = TOTALS.set_index("case").loc[case]
    res = _run(case, rates)
    assert res.n_patients == int(ref["n_patients"])
    assert res.n_with_person_time == int(ref["n_with_person_time"])
    assert res.observed == int(ref["observed"])
    for name in ("person_years", "expected", "sir", "excess_per_1000py", "p_value"):
        got, exp = getattr(res, name), float(ref[name])
        assert _close(got, exp), (name, got, exp)


@pytest.mark.parametrize("case", [c for c in CASES if (SUBS["case"] == c).any()])
def test_subgroups_match_r(case: str, rates: RateTable) -> None:
    ref = SUBS[SUBS["case"] == case].set_index("group")
    res = _run(case, rates)
    got = {h.group: h for h in res.subgroups}
    assert set(got) == set(ref.index)
    for g, r in ref.iterrows():
        h = got[g]
        assert h.n_patients == int(r["n_patients"]), g
        assert h.observed == int(r["observed"]), g
        for name in ("person_years", "expected", "sir", "p_value"):
            assert _close(getattr(h, name), float(r[name])), (g, name, getattr(h, name), r[name])
    assert sum(h.observed for h in res.subgroups) == res.observed


@pytest.mark.parametrize("level", [0.95, 0.9])
@pytest.mark.parametrize("method", CI_METHODS)
@pytest.mark.parametrize("case", CASES)
def test_ci_match_r(case: str, method: str, level: float, rates: RateTable) -> None:
    ref = CIS[(CIS["case"] == case) & (CIS["method"] == method) & np.isclose(CIS["conf_level"], level)]
    res = _run(case, rates, method, level)
    got = {"all": (res.ci_low, res.ci_high)} | {h.group: (h.ci_low, h.ci_high) for h in res.subgroups}
    assert set(got) == set(ref["group"])
    for r in ref.itertuples(index=False):
        lo, hi = got[r.group]
        assert _close(lo, float(r.ci_low)), (r.group, "low", lo, r.ci_low)
        assert _close(hi, float(r.ci_high)), (r.group, "high", hi, r.ci_high)


def _strata(case: str, rates: RateTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(Myoscope, R) strata, both indexed by (sex, age band, calendar year), same order."""
    ref = STRATA[STRATA["case"] == case]
    res = _run(case, rates)
    band = dict(zip(rates.data["age_from"], rates.data["age_band"]))
    ref = ref.assign(age_band=ref["age_from"].map(lambda a: band[float(a)]),
                     period=ref["period"].astype(str))
    keys = ["sex", "age_band", "period"]
    got = res.strata.set_index(keys)
    exp = ref.set_index(keys)
    assert set(got.index) == set(exp.index)
    assert len(got) == len(exp)
    assert got["observed"].sum() == res.observed == exp["observed"].sum()
    return got.loc[exp.index], exp


STRATA_CASES = sorted(set(STRATA["case"]))


@pytest.mark.parametrize("case", STRATA_CASES)
def test_strata_person_years_expected_match_r(case: str, rates: RateTable) -> None:
    """Sex x 1-year age band x calendar year: person-years and expected counts."""
    got, exp = _strata(case, rates)
    for name in ("person_years", "expected"):
        np.testing.assert_allclose(got[name].to_numpy(), exp[name].to_numpy(dtype=float),
                                   rtol=REL, atol=0, err_msg=name)


@pytest.mark.parametrize("case", STRATA_CASES)
def test_strata_observed_match_r(case: str, rates: RateTable) -> None:
    """Observed per stratum: a case on a band boundary belongs to the band starting there.

    Failed before the case's calendar time was taken from its date: patient sire-1345,
    dead (the counted event) on 1996-01-01, was put in 1995 by c0 + s_cancer rounding
    to 1995.9986310746062 < cal.yr(1996-01-01) = 1995.9986310746065.
    """
    got, exp = _strata(case, rates)
    diff = got.index[got["observed"].to_numpy() != exp["observed"].to_numpy().astype(int)]
    assert list(diff) == []
