"""core.compare.compare_groups on real data sets against R.

Cohorts: R's survival::lung, pbc, veteran, colon exported by
``tests/reference/realdata/make_cohorts.R`` to ``tests/data/realdata/*.csv``. Reference
values: ``tests/reference/realdata/make_compare_fixtures.R`` (fisher.test P, conditional
MLE odds ratio and exact CI, also re-solved tightly; quantile(type = 7);
wilcox.test(exact = FALSE, correct = TRUE); p.adjust("BH")). R is never needed to run the
tests. The CSVs are read with pandas directly (not core.io) and the derived features and
group labels are made here exactly as the R script makes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.compare import compare_groups
from core.schema import DataDictionary, FeatureInfo

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "reference" / "realdata"
DATA = ROOT / "data" / "realdata"
REL = 1e-6
#: fisher.test solves with uniroot's default tol = .Machine$double.eps^0.25 (~1.22e-4),
#: absolute on t = OR when OR < 1 and on t = 1 / OR when OR > 1.
R_UNIROOT_TOL = 2.5e-4


def _indicator(cond: pd.Series, source: pd.Series) -> pd.Series:
    """1.0 / 0.0, NaN where the source value is missing (as R's as.integer(x == v))."""
    return cond.astype(float).where(source.notna())


def _lung(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(ecog0=_indicator(d["ph_ecog"] == 0, d["ph_ecog"]))


def _pbc(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(female=_indicator(d["sex"] == "F", d["sex"]),
                    edema_any=_indicator(d["edema"] > 0, d["edema"]))


def _veteran(d: pd.DataFrame) -> pd.DataFrame:
    out = d.assign(prior_therapy=_indicator(d["prior"] == 10, d["prior"]))
    for ct in ("squamous", "smallcell", "adeno", "large"):
        out[ct] = _indicator(d["celltype"] == ct, d["celltype"])
    return out


def _colon(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(female=_indicator(d["sex"] == "F", d["sex"]))


DERIVE: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "lung": _lung, "pbc": _pbc, "veteran": _veteran, "colon": _colon,
}
#: group label of each patient (NaN = in neither group), per table
LABELS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "lung_sex": lambda d: d["sex"],
    "pbc_trt": lambda d: d["trt"].map({1: "D-penicillamine", 2: "placebo"}),
    "pbc_sex": lambda d: d["sex"],
    "veteran_trt": lambda d: d["trt"].map({1: "standard", 2: "test"}),
    "colon_sex": lambda d: d["sex"],
    "colon_rx": lambda d: d["rx"],
}


def _cohort(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv", dtype={"patient_id": str})
    return DERIVE[name](d)


TABLES = pd.read_csv(REF / "compare_tables.csv", keep_default_na=False)
TABLE_NAMES = TABLES["table"].tolist()


def _fixture(table: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"compare_{table}.csv", keep_default_na=False, na_values=["NA"])


def _run(table: str):
    meta = TABLES.set_index("table").loc[table]
    ref = _fixture(table)
    d = _cohort(meta["data"])
    dictionary = DataDictionary(tuple(
        FeatureInfo(f, f, "other", t) for f, t in zip(ref["feature"], ref["type"])
    ))
    res = compare_groups(d, LABELS[table](d), meta["group_a"], meta["group_b"],
                         ref["feature"].tolist(), dictionary, fdr=True)
    return meta, ref, res


def _same(x: float, ref: float, rel: float = REL) -> bool:
    if math.isnan(ref):
        return math.isnan(x)
    if math.isinf(ref) or ref == 0.0:
        return x == ref
    return math.isclose(x, ref, rel_tol=rel, abs_tol=0.0)


def _r_scale(v: float) -> float:
    return v if v <= 1 else 1.0 / v


def test_fixtures_present() -> None:
    assert set(TABLES["data"]) == {"lung", "pbc", "veteran", "colon"}
    for t in TABLE_NAMES:
        ref = _fixture(t)
        assert set(ref["type"]) == {"binary", "continuous"}, t


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_group_sizes(table: str) -> None:
    meta, ref, res = _run(table)
    assert (res.group_a, res.group_b) == (meta["group_a"], meta["group_b"])
    assert (res.n_a, res.n_b, res.n_excluded) == (meta["n_a"], meta["n_b"], meta["n_excluded"])
    assert res.rows["feature"].tolist() == ref["feature"].tolist()


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_binary_features_match_r(table: str) -> None:
    _, ref, res = _run(table)
    got = res.rows.set_index("feature")
    for r in ref[ref["type"] == "binary"].to_dict("records"):
        g = got.loc[r["feature"]]
        f = r["feature"]
        assert (int(g["n_a"]), int(g["N_a"]), int(g["n_b"]), int(g["N_b"])) == (
            int(r["n_a"]), int(r["N_a"]), int(r["n_b"]), int(r["N_b"])), f
        assert _same(g["p_value"], r["p_value"]), (f, g["p_value"], r["p_value"])
        for col in ("odds_ratio", "or_ci_low", "or_ci_high"):
            # same equations as fisher.test solved tightly in R: 1e-6 relative
            assert _same(g[col], r[f"{col}_tight"]), (f, col, g[col], r[f"{col}_tight"])
            # fisher.test itself, to its own precision (uniroot tolerance on its scale)
            if math.isinf(r[col]) or r[col] == 0:
                assert g[col] == r[col], (f, col)
            else:
                assert abs(_r_scale(g[col]) - _r_scale(r[col])) <= R_UNIROOT_TOL, (f, col)


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_continuous_features_match_r(table: str) -> None:
    _, ref, res = _run(table)
    got = res.rows.set_index("feature")
    for r in ref[ref["type"] == "continuous"].to_dict("records"):
        g = got.loc[r["feature"]]
        f = r["feature"]
        assert (int(g["n_a"]), int(g["n_b"])) == (int(r["n_a"]), int(r["n_b"])), f
        for col in ("p_value", "q1_a", "median_a", "q3_a", "q1_b", "median_b", "q3_b"):
            assert _same(g[col], r[col]), (f, col, g[col], r[col])


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_bh_q_values_match_r(table: str) -> None:
    _, ref, res = _run(table)
    got = res.rows.set_index("feature").loc[ref["feature"], "q_value"].to_numpy(dtype=float)
    np.testing.assert_allclose(got, ref["q_value"].to_numpy(dtype=float), rtol=REL, atol=0)
