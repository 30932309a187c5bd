"""core.stats (Table I tests) against R: fisher.test, wilcox.test, quantile(type = 7), p.adjust("BH").

Fixtures are written by tests/reference/compare/make_fixtures.R (R 4.2); tests never run R.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.stats import bh_qvalues, fisher_2x2, fisher_p, mann_whitney, quantiles_type7

REF = Path(__file__).resolve().parents[1] / "reference" / "compare"
REL = 1e-6
#: R's fisher.test solves with uniroot's default tol = .Machine$double.eps^0.25 (~1.22e-4),
#: absolute on t = OR when OR < 1 and on t = 1 / OR when OR > 1.
R_UNIROOT_TOL = 2.5e-4


def _num(x: str) -> float:
    return float(x) if x not in ("NA", "") else math.nan


def _fisher_rows() -> list[dict]:
    df = pd.read_csv(REF / "fisher.csv", dtype=str, keep_default_na=False)
    out = []
    for rec in df.to_dict("records"):
        rec = {k: (v if k == "name" else (int(v) if k in "abcd" else _num(v))) for k, v in rec.items()}
        out.append(rec)
    return out


FISHER = _fisher_rows()
DEGENERATE = {"degenerate_col", "degenerate_col2", "degenerate_row", "single"}


def _same(x: float, ref: float, rel: float = REL) -> bool:
    if math.isnan(ref):
        return math.isnan(x)
    if math.isinf(ref) or ref == 0.0:
        return x == ref
    return math.isclose(x, ref, rel_tol=rel, abs_tol=0.0)


def _r_scale(v: float) -> float:
    """t = OR below 1, 1 / OR above 1 (the scale on which R's uniroot works)."""
    return v if v <= 1 else 1.0 / v


def test_fixture_count() -> None:
    assert len(FISHER) > 180
    assert any(r["name"].startswith("table1_") for r in FISHER)
    assert any(r["name"].startswith("large_1m") for r in FISHER)


@pytest.mark.parametrize("row", FISHER, ids=[r["name"] for r in FISHER])
def test_fisher_p_value(row: dict) -> None:
    a, b, c, d = row["a"], row["b"], row["c"], row["d"]
    res = fisher_2x2(a, b, c, d)
    if row["name"] in ("degenerate_row", "single"):
        # a group with no data: R returns 1, we report "not tested" (NaN)
        assert math.isnan(res.p_value) and math.isnan(fisher_p(a, b, c, d))
        return
    assert _same(res.p_value, row["p_value"]), (res.p_value, row["p_value"])
    assert _same(fisher_p(a, b, c, d), row["p_value"])


@pytest.mark.parametrize("row", [r for r in FISHER if r["name"] not in DEGENERATE],
                         ids=[r["name"] for r in FISHER if r["name"] not in DEGENERATE])
def test_fisher_odds_ratio_and_ci(row: dict) -> None:
    res = fisher_2x2(row["a"], row["b"], row["c"], row["d"])
    got = (res.odds_ratio, res.ci_low, res.ci_high)
    tight = (row["odds_ratio_tight"], row["ci_low_tight"], row["ci_high_tight"])
    r_default = (row["odds_ratio"], row["ci_low"], row["ci_high"])
    for g, t, r in zip(got, tight, r_default):
        # same equations solved tightly in R: 1e-6 relative
        assert _same(g, t), (g, t)
        if math.isnan(t):
            # only one table fits the margins (a column is empty): fisher.test prints
            # OR 0 with CI 0-Inf; we report "not estimable" (NaN) instead.
            assert (r_default[0], r_default[1], r_default[2]) == (0.0, 0.0, math.inf)
            continue
        # fisher.test itself: to R's own precision (uniroot tolerance on its scale)
        if math.isinf(r) or r == 0:
            assert g == r
        else:
            assert abs(_r_scale(g) - _r_scale(r)) <= R_UNIROOT_TOL, (g, r)


def test_degenerate_tables() -> None:
    res = fisher_2x2(0, 10, 0, 12)  # nobody has the feature
    assert res.p_value == 1.0 and math.isnan(res.odds_ratio) and math.isnan(res.ci_low)
    res = fisher_2x2(0, 0, 3, 4)  # group A empty
    assert math.isnan(res.p_value) and math.isnan(res.odds_ratio)


def _wilcox_rows() -> list[dict]:
    df = pd.read_csv(REF / "wilcox.csv", dtype=str, keep_default_na=False)
    out = []
    for rec in df.to_dict("records"):
        r = {"name": rec["name"],
             "x": np.array([float(v) for v in rec["x"].split(";")]),
             "y": np.array([float(v) for v in rec["y"].split(";")])}
        for k in ("statistic", "p_value", "q1_x", "median_x", "q3_x", "q1_y", "median_y", "q3_y"):
            r[k] = _num(rec[k])
        out.append(r)
    return out


WILCOX = _wilcox_rows()


@pytest.mark.parametrize("row", WILCOX, ids=[r["name"] for r in WILCOX])
def test_wilcox(row: dict) -> None:
    res = mann_whitney(row["x"], row["y"])
    assert _same(res.statistic, row["statistic"])
    assert _same(res.p_value, row["p_value"]), (res.p_value, row["p_value"])
    if not math.isnan(row["p_value"]):  # SciPy agrees too
        sp = stats.mannwhitneyu(row["x"], row["y"], alternative="two-sided", method="asymptotic",
                                use_continuity=True)
        assert math.isclose(res.p_value, sp.pvalue, rel_tol=1e-9)


@pytest.mark.parametrize("row", WILCOX, ids=[r["name"] for r in WILCOX])
def test_quantiles_type7(row: dict) -> None:
    for key, arr in (("x", row["x"]), ("y", row["y"])):
        q1, med, q3 = quantiles_type7(arr)
        assert _same(q1, row[f"q1_{key}"]) and _same(med, row[f"median_{key}"]) and _same(q3, row[f"q3_{key}"])


def test_p_adjust_bh() -> None:
    df = pd.read_csv(REF / "p_adjust.csv", dtype=str, keep_default_na=False)
    assert df["name"].nunique() >= 5
    for name, grp in df.groupby("name", sort=False):
        p = np.array([_num(v) for v in grp["p"]])
        q_ref = np.array([_num(v) for v in grp["q"]])
        q = bh_qvalues(p)
        assert np.array_equal(np.isnan(q), np.isnan(q_ref)), name
        ok = ~np.isnan(q_ref)
        np.testing.assert_allclose(q[ok], q_ref[ok], rtol=REL, err_msg=name)
