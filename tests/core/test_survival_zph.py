"""The proportional-hazards test (core.survival.ph_test) against R's
``cox.zph(fit, transform = "rank", terms = FALSE)`` (survival 3.5-3).

Fixtures: ``tests/reference/survival_zph/make_fixtures.R`` fits the Cox models of
``tests/reference/realdata`` (lung, pbc, veteran, colon) and two synthetic models with
heavy ties (``ties.csv``), and prints each term's χ² and P and the global test with
``sprintf('%.15g')``. R is not needed here. Relative tolerance 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.survival import _cox_design, _fit_cox, ph_test
from tests.core.test_realdata_survival import _covariates, cohort

REF = Path(__file__).resolve().parents[1] / "reference" / "survival_zph"
REL = 1e-6
MODELS = [
    ("lung", "sex", ["M", "F"], []),
    ("lung", "ph_ecog", ["0", "1", "2", "3"], []),
    ("lung", "sex", ["M", "F"], ["age", "ph_ecog"]),
    ("pbc", "edema", ["0", "0.5", "1"], []),
    ("pbc", "trt", ["1", "2"], ["age", "bili"]),
    ("veteran", "celltype", ["squamous", "smallcell", "adeno", "large"], ["karno", "age"]),
    ("veteran", "trt", ["1", "2"], []),
    ("colon", "rx", ["Obs", "Lev", "Lev+5FU"], ["age", "sex", "nodes"]),
    ("ties", "grp", ["A", "B", "C"], []),
    ("ties", "grp", ["A", "B", "C"], ["x"]),
]


def _data(dataset: str, grouping: str) -> pd.DataFrame:
    if dataset == "ties":
        d = pd.read_csv(REF / "ties.csv", dtype={"grp": str})
        return d.rename(columns={"death": "event"})
    return cohort(dataset)


def _design(dataset: str, grouping: str, levels: list[str], covs: list[str]) -> tuple[np.ndarray, ...]:
    d = _data(dataset, grouping)
    cov = _covariates(d, covs) if dataset != "ties" else (d[covs].astype(float) if covs else None)
    data, names, _, _ = _cox_design(d["time"].to_numpy(float), d["event"].to_numpy(), d[grouping].astype(object).to_numpy(),
                                    levels, levels[0], cov)
    return data, names


@pytest.mark.parametrize(("dataset", "grouping", "levels", "covs"), MODELS,
                         ids=[" + ".join([f"{m[0]}-{m[1]}", *m[3]]) for m in MODELS])
def test_ph_test_matches_cox_zph(dataset: str, grouping: str, levels: list[str], covs: list[str]) -> None:
    ref = pd.read_csv(REF / "zph.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["model"] == " + ".join([grouping, *covs]))].reset_index(drop=True)
    data, names = _design(dataset, grouping, levels, covs)
    terms = _fit_cox(data, names, 0.95, [])
    per_term = ref[ref["term"] != "GLOBAL"]
    np.testing.assert_allclose(terms["ph_p_value"], per_term["p"], rtol=REL)
    # chi2 and the global test, from the same fitted coefficients
    data = data.sort_values("T", kind="stable").reset_index(drop=True)
    cols = [c for c in data.columns if c not in ("T", "E")]
    chisq, glob = ph_test(data[cols].to_numpy(float), data["T"].to_numpy(float), data["E"].to_numpy(float),
                          terms["coef"].to_numpy())
    np.testing.assert_allclose(chisq, per_term["chisq"], rtol=REL)
    g = ref[ref["term"] == "GLOBAL"].iloc[0]
    np.testing.assert_allclose(glob, g["chisq"], rtol=REL)
    np.testing.assert_allclose(stats.chi2.sf(glob, len(cols)), g["p"], rtol=REL)


def test_ph_test_is_not_quadratic() -> None:
    """200,000 patients, one covariate: one sort and a few vectorised passes (the
    timing itself is in bench/bench_survival.py); the result is finite."""
    rng = np.random.default_rng(0)
    n = 200_000
    x = rng.integers(0, 2, n).astype(float)[:, None]
    t = np.sort(np.ceil(rng.exponential(50, n)))
    e = (rng.random(n) < 0.6).astype(float)
    chisq, glob = ph_test(x, t, e, np.array([0.2]))
    assert np.isfinite(chisq).all() and np.isclose(chisq[0], glob)
