"""Figures of the comparison: forest plot (log axis, clipped/infinite limits) and heatmap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.compare import forest_plot, heatmap_figure
from core.compare import compare_groups, subtype_heatmap
from core.schema import DataDictionary, FeatureInfo


def _cohort() -> tuple[pd.DataFrame, DataDictionary, pd.Series]:
    rng = np.random.default_rng(0)
    n = 120
    grp = np.where(np.arange(n) < 60, "A", "B").astype(object)
    df = pd.DataFrame({
        "f_norm": (rng.random(n) < 0.5).astype(float),
        "f_inf": np.where(grp == "A", 1.0, (rng.random(n) < 0.5).astype(float)),   # all A positive
        "f_zero": np.where(grp == "A", 0.0, (rng.random(n) < 0.5).astype(float)),  # no A positive
        "f_const": np.ones(n),                                                       # not estimable
        "f_strong": np.where(grp == "A", (rng.random(n) < 0.9), (rng.random(n) < 0.1)).astype(float),
        "c": rng.normal(size=n),
        "antibody_subtype": rng.choice(["Mi2", "MDA5", "TIF1g", "NXP2", "SAE", "seronegative"], size=n),
    })
    dic = DataDictionary(tuple(
        FeatureInfo(c, c.replace("_", " "), "cutaneous", "continuous" if c == "c" else "binary")
        for c in ("f_norm", "f_inf", "f_zero", "f_const", "f_strong", "c")
    ))
    return df, dic, pd.Series(grp, index=df.index)


def test_forest_plot_log_axis_and_clipping() -> None:
    df, dic, labels = _cohort()
    res = compare_groups(df, labels, "A", "B", [e.name for e in dic], dic)
    fig = forest_plot(res, title="t")
    assert isinstance(fig, go.Figure)
    assert fig.layout.xaxis.type == "log"
    lo, hi = fig.layout.xaxis.range
    # every plotted x lies within the axis range (infinite / zero values are clipped)
    xs = [x for tr in fig.data for x in (tr.x or ()) if x is not None]
    assert xs and all(10 ** lo - 1e-12 <= x <= 10 ** hi + 1e-12 for x in xs)
    assert all(math.isfinite(x) and x > 0 for x in xs)
    symbols = [s for tr in fig.data if tr.marker is not None and tr.marker.symbol is not None
               for s in (tr.marker.symbol if isinstance(tr.marker.symbol, tuple) else [tr.marker.symbol])]
    assert "triangle-right" in symbols and "triangle-left" in symbols  # inf and 0 ORs / limits
    # binary features with an estimable OR are labelled on the y axis; f_const is listed in the note
    assert set(fig.layout.yaxis.ticktext) == {"f norm", "f inf", "f zero", "f strong"}
    assert any("f const" in (a.text or "") for a in fig.layout.annotations)
    fig.to_json()  # serialisable (no NaN / inf objects)


def test_forest_plot_without_binary_features() -> None:
    df, dic, labels = _cohort()
    res = compare_groups(df, labels, "A", "B", ["c"], dic)
    fig = forest_plot(res)
    assert any("No binary feature" in (a.text or "") for a in fig.layout.annotations)


def test_heatmap_figure() -> None:
    df, dic, _ = _cohort()
    df["f_strong"] = (df["antibody_subtype"] == "Mi2").astype(float)  # Mi2 differs from the rest
    heat = subtype_heatmap(df, [e.name for e in dic], dic)
    fig = heatmap_figure(heat)
    hm = fig.data[0]
    assert isinstance(hm, go.Heatmap)
    assert len(hm.x) == 6 and len(hm.y) == 5
    z = np.array(hm.z, dtype=float)
    assert np.nanmax(z) <= 100 and np.nanmin(z) >= 0
    sig = heat[heat["significant"]]
    assert len(sig) > 0
    text = np.array(hm.text)
    assert sum(t.endswith("*") for t in text.ravel()) == len(sig)
    fig.to_json()
    empty = heatmap_figure(heat.iloc[0:0])
    assert any("No binary feature" in (a.text or "") for a in empty.layout.annotations)


def test_forest_plot_prints_or_and_ci_beside_each_line() -> None:
    """Before: the OR (CI) numbers were only in the hover text."""
    from core.compare import format_or_ci

    df, dic, labels = _cohort()
    res = compare_groups(df, labels, "A", "B", [e.name for e in dic], dic)
    fig = forest_plot(res)
    texts = {a.y: a.text for a in fig.layout.annotations if a.yref == "y"}
    est = res.rows[(res.rows["type"] == "binary") & res.rows["odds_ratio"].notna()].reset_index(drop=True)
    n = len(est)
    assert texts[n + 0.5] == "<b>OR (95% CI)</b>"
    for i, rec in enumerate(est.to_dict("records")):  # first feature on top (y = n)
        assert texts[n - i] == format_or_ci(rec["odds_ratio"], rec["or_ci_low"], rec["or_ci_high"])
    assert any("∞" in t for t in texts.values())  # the all-positive feature: infinite OR
    assert fig.layout.margin.r >= 150  # room for the column


def test_heatmap_cells_show_n_of_N() -> None:
    """Before: only the %, so a 3-patient subtype read '0' or '100' without its n."""
    df, dic, _ = _cohort()
    heat = subtype_heatmap(df, [e.name for e in dic], dic)
    hm = heatmap_figure(heat).data[0]
    first = heat.iloc[0]
    j = list(hm.x).index(first["subtype_label"])
    i = list(hm.y).index(first["label"])
    cell = np.array(hm.text)[i, j]
    assert cell.startswith(f"{int(first['n'])}/{int(first['N'])}<br>")
    assert f"{first['pct']:.0f}%" in cell
