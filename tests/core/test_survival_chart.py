"""core.charts.survival: the figure draws exactly what the result holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.survival import PALETTE, km_figure, logrank_label
from core.survival import analyze_survival

REF = Path(__file__).resolve().parents[1] / "reference" / "survival"


def _result(three: bool = False, **kw: object):
    lung = pd.read_csv(REF / "lung.csv")
    t = lung["time"].to_numpy(float)
    e = (lung["status"] == 2).astype(int).to_numpy()
    if three:
        lab = np.where(lung.age < 60, "<60", np.where(lung.age < 70, "60-69", ">=70")).astype(object)
        return analyze_survival(t, e, lab, ["<60", "60-69", ">=70"], unit="days", cox=False, **kw)
    lab = np.where(lung.sex == 1, "Male", "Female").astype(object)
    return analyze_survival(t, e, lab, ["Male", "Female"], unit="days", **kw)


def _by_name(fig: go.Figure, name: str) -> list[go.Scatter]:
    return [tr for tr in fig.data if tr.name == name]


def test_curves_bands_censors_medians_and_table() -> None:
    res = _result()
    ticks = [0, 200, 365, 500, 730, 1000]
    fig = km_figure(res, risk_table_times=ticks, unit_label="days")
    male = res.groups[0]
    curve = _by_name(fig, "Male (n = 138)")[0]
    assert curve.line.shape == "hv" and curve.line.color == PALETTE[0]
    np.testing.assert_array_equal(curve.x[1:], male.curve.time)
    np.testing.assert_array_equal(curve.y[1:], male.curve.survival)
    assert curve.x[0] == 0 and curve.y[0] == 1
    assert len(_by_name(fig, "Male CI")) == 2
    cens = _by_name(fig, "Male censored")[0]
    assert len(cens.x) == int((male.curve.n_censor > 0).sum())
    med = _by_name(fig, "Male median")[0]
    assert med.x[1] == male.median == 270
    table = _by_name(fig, "Male at risk")[0]
    assert list(table.text) == ["138", "78", "35", "20", "7", "2"]  # R: summary(fit, times = ticks)
    assert list(fig.layout.xaxis.tickvals) == ticks
    texts = [a.text for a in fig.layout.annotations]
    assert "Log-rank χ²(1) = 10.33, P = .001" in texts
    assert "Number at risk" in texts
    fig.to_json()


def test_toggles_and_cumulative_events() -> None:
    res = _result(three=True)
    fig = km_figure(res, show_ci=False, show_censors=False, show_median=False, show_cumulative_events=True)
    names = {tr.name for tr in fig.data}
    assert not any(n.endswith((" CI", " censored", " median")) for n in names)
    table = _by_name(fig, "<60 at risk")[0]
    assert table.text[0] == "83 (0)"
    assert any("cumulative events" in a.text for a in fig.layout.annotations)
    assert "χ²(2)" in logrank_label(res)
    no_table = km_figure(res, show_risk_table=False)
    assert not any(tr.name.endswith(" at risk") for tr in no_table.data)


def test_single_group_and_log_log_band() -> None:
    lung = pd.read_csv(REF / "lung.csv")
    res = analyze_survival(lung["time"], (lung["status"] == 2).astype(int), ["all"] * len(lung), ["all"], conf_type="log-log")
    fig = km_figure(res, title="All")
    assert logrank_label(res) == ""
    band = _by_name(fig, "all CI")
    assert all(np.isfinite(np.asarray(b.y, dtype=float)).all() for b in band)
    assert fig.layout.title.text == "All"


def test_km_figure_payload_is_bounded() -> None:
    """A 200,000-patient curve with ~20,000 distinct times is drawn with at most
    MAX_CURVE_POINTS (+1) points per trace; each kept point is a true point of the curve."""
    import numpy as np

    from core.charts.survival import MAX_CURVE_POINTS, km_figure
    from core.survival import analyze_survival

    rng = np.random.default_rng(0)
    n = 200_000
    t = np.round(rng.exponential(3000, n))
    e = (rng.random(n) < 0.5).astype(int)
    lab = np.where(rng.random(n) < 0.5, "A", "B")
    res = analyze_survival(t, e, lab, ["A", "B"], cox=False)
    assert res.groups[0].curve.time.size > 5 * MAX_CURVE_POINTS
    fig = km_figure(res)
    for tr in fig.data:
        assert len(tr.x) <= MAX_CURVE_POINTS + 1, tr.name
    curve = res.groups[0].curve
    main = next(tr for tr in fig.data if tr.name.startswith("A (n"))
    idx = np.searchsorted(curve.time, np.asarray(main.x[1:]))
    np.testing.assert_allclose(curve.survival[idx], main.y[1:])
    assert main.x[-1] == curve.time[-1]


def test_unvalidated_figures_send_the_same_json() -> None:
    """Building without plotly's per-property validation changes nothing sent."""
    import json

    import numpy as np
    import plotly.io as pio

    import core.charts.survival as cs
    from core.survival import analyze_survival

    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(60, 150))
    e = (rng.random(150) < 0.6).astype(int)
    lab = np.where(rng.random(150) < 0.5, "A", "B")
    res = analyze_survival(t, e, lab, ["A", "B"])
    fast = cs.km_figure(res)
    assert fast._validate is False
    original = cs.unvalidated
    try:
        cs.unvalidated = lambda fig: fig
        slow = cs.km_figure(res)
    finally:
        cs.unvalidated = original
    assert slow._validate is True
    assert json.loads(pio.to_json(fast)) == json.loads(pio.to_json(slow))  # key order aside
