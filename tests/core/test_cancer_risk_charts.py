"""Figures of the cancer-risk view draw exactly the numbers of the core results."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.cancer_risk import sir_analysis
from core.cancer_timing import cancer_timing, cumulative_incidence
from core.charts.cancer_risk import (
    cumulative_incidence_figure,
    forest_figure,
    sir_label,
    timing_figure,
)
from core.rates import load_bundled_rates
from tests.core.test_cancer_risk import read_cohort


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return read_cohort("b")


def test_forest(cohort):
    res = sir_analysis(cohort, load_bundled_rates(), by="grp")
    fig = forest_figure(res, title="t")
    assert isinstance(fig, go.Figure)
    assert fig.layout.xaxis.type == "log"
    assert any(s.x0 == 1.0 and s.x1 == 1.0 for s in fig.layout.shapes)  # reference line
    markers = [t for t in fig.data if t.mode == "markers"]
    assert [m.x[0] for m in markers] == pytest.approx(
        [h.sir for h in res.subgroups] + [res.sir])
    lines = [t for t in fig.data if t.mode == "lines"]
    assert lines[-1].x == pytest.approx((res.ci_low, res.ci_high))
    texts = [a.text for a in fig.layout.annotations]
    assert any(sir_label(res) in t for t in texts)
    assert "All patients" in texts


def test_forest_zero_and_empty_groups(cohort):
    by = pd.Series("big", index=cohort.index)
    by.iloc[:2] = "tiny"
    res = sir_analysis(cohort, load_bundled_rates(), by=by, by_order=["big", "tiny", "none"])
    fig = forest_figure(res)  # O = 0 and E = 0 rows must not break the log axis
    assert isinstance(fig, go.Figure)
    lo, hi = fig.layout.xaxis.range
    assert math.isfinite(lo) and math.isfinite(hi)


def test_sir_label():
    res = sir_analysis(read_cohort("b"), load_bundled_rates())
    assert sir_label(res) == f"{res.sir:.1f} ({res.ci_low:.1f}–{res.ci_high:.1f})"


def test_timing(cohort):
    t = cancer_timing(cohort)
    fig = timing_figure(t)
    pts = [v for tr in fig.data for v in tr.x]
    assert sorted(pts) == pytest.approx(sorted(t.table["days"]))
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert any(s.x0 == pytest.approx(-3 * 365.25) and s.x1 == pytest.approx(3 * 365.25)
               for s in rects)
    assert any(s.type == "line" and s.x0 == pytest.approx(t.median_days)
               for s in fig.layout.shapes)
    fig = timing_figure(t, unit="months", window_years=1)
    assert any(r.x1 == pytest.approx(12.0) for r in fig.layout.shapes if r.type == "rect")


def test_timing_empty():
    d = read_cohort("b").iloc[:0]
    fig = timing_figure(cancer_timing(d))
    assert isinstance(fig, go.Figure)


def test_cumulative_incidence(cohort):
    c = cumulative_incidence(cohort, labels=cohort["sex"])
    fig = cumulative_incidence_figure(c)
    curves = [t for t in fig.data if t.showlegend is not False]
    assert [t.name.split(" ")[0] for t in curves] == ["F", "M"]
    f = c.curves[c.curves["group"] == "F"]
    assert list(curves[0].y) == pytest.approx(list(100 * f["cif"]))
    fig = cumulative_incidence_figure(c, show_ci=False)
    assert len(fig.data) == 2


def test_timing_points_stack_as_before_and_large_cohorts_are_binned():
    """The vectorised stacking gives the k-th point of a bin the offset ±⌈k/2⌉·0.12;
    beyond MAX_TIMING_POINTS cancers the figure is counts per bin (bounded payload)
    with every cancer counted once."""
    from core.cancer_timing import TimingResult
    from core.charts.cancer_risk import MAX_TIMING_POINTS

    def result(days: np.ndarray) -> TimingResult:
        table = pd.DataFrame({"patient_id": [f"p{i}" for i in range(len(days))], "days": days,
                              "within_window": np.abs(days) <= 3 * 365.25})
        return TimingResult(table=table, n=len(days), median_days=float(np.median(days)),
                            ci_low_days=float("nan"), ci_high_days=float("nan"), ci_coverage=float("nan"),
                            n_within=int(table["within_window"].sum()), share_within=0.5, n_before=0,
                            window_years=3.0, conf_level=0.95, ci_method="", excluded=pd.DataFrame())

    fig = timing_figure(result(np.array([10.0, 10.0, 10.0, 10.0, 2000.0])))
    ys = sorted(v for tr in fig.data for v in tr.y)
    assert ys == pytest.approx([-0.12, 0.0, 0.0, 0.12, 0.24])
    days = np.random.default_rng(0).normal(0, 800, MAX_TIMING_POINTS + 1)
    fig = timing_figure(result(days))
    assert all(tr.type == "bar" for tr in fig.data)
    assert sum(sum(tr.y) for tr in fig.data) == len(days)
    assert sum(len(tr.x) for tr in fig.data) <= 2 * 121


def test_unvalidated_cancer_figures_send_the_same_json(cohort):
    """Timing and cumulative-incidence figures built without validation serialise as
    the validated ones (the template included)."""
    import json

    import plotly.io as pio

    import core.charts.cancer_risk as cr

    t = cancer_timing(cohort)
    c = cumulative_incidence(cohort, labels=cohort["sex"])
    fast = [cr.timing_figure(t), cr.cumulative_incidence_figure(c)]
    original = cr.new_figure
    try:
        cr.new_figure = go.Figure
        slow = [cr.timing_figure(t), cr.cumulative_incidence_figure(c)]
    finally:
        cr.new_figure = original
    for f, s in zip(fast, slow):
        assert f._validate is False and s._validate is True
        assert json.loads(pio.to_json(f)) == json.loads(pio.to_json(s))  # key order aside
