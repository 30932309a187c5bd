"""Figures of the feature comparison: forest plot of odds ratios and subtype heatmap.

Pure functions of :class:`core.compare.ComparisonResult` and of the long table of
:func:`core.compare.subtype_heatmap`; nothing is estimated here. Plotly only (no CDN,
no external assets); journal look: white background, Okabe-Ito colours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.common import num_g
from core.compare import ComparisonResult, format_or_ci
from core.constants import BLUE, FONT_FAMILY, GREY, GRID_COLOR, VERMILLION
from core.i18n import _, fmt_ci_label, fmt_p, fmt_pct, language

SIGNIFICANT_COLOR = VERMILLION
NEUTRAL_COLOR = BLUE


def _axis_range(values: Sequence[float], min_span: tuple[float, float] = (0.2, 5.0),
                limits: tuple[float, float] = (1e-3, 1e3)) -> tuple[float, float]:
    """Log-axis range (data units) covering the finite positive values, at least
    ``min_span`` and at most ``limits``, padded by 25% on each side (log scale)."""
    finite = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    lo = min([min_span[0], *finite])
    hi = max([min_span[1], *finite])
    lo, hi = max(lo, limits[0]), min(hi, limits[1])
    pad = 0.08 * (math.log10(hi) - math.log10(lo))
    return 10 ** (math.log10(lo) - pad), 10 ** (math.log10(hi) + pad)


def forest_plot(
    result: ComparisonResult,
    title: str = "",
    *,
    font_size: int = 14,
    width: int = 900,
    height: int | None = None,
    alpha: float = 0.05,
) -> go.Figure:
    """Forest plot of the odds ratios (group A vs B) of the binary features.

    One line per binary feature in table order (top to bottom): the conditional MLE odds
    ratio (square) and its exact CI (whisker) on a log axis, with a dashed line at 1.
    Features with P < ``alpha`` are drawn in vermillion. Unbounded or out-of-range limits
    (0, infinity from a zero cell, or beyond 1e-3..1e3) are clipped at the axis edge and
    drawn as an arrowhead; an odds ratio of 0 or infinity is an arrowhead at the edge.
    Features whose odds ratio is not estimable are listed in a note under the plot. The
    odds ratio and its CI are printed beside each line, in a column headed ``OR (95% CI)``
    (:func:`core.compare.format_or_ci`), as in a published forest plot.
    """
    rows = result.rows[result.rows["type"] == "binary"].reset_index(drop=True)
    fig = go.Figure()
    est_rows = rows[rows["odds_ratio"].notna()].reset_index(drop=True)
    skipped = rows.loc[rows["odds_ratio"].isna(), "label"].tolist()
    values = [*est_rows["odds_ratio"], *est_rows["or_ci_low"], *est_rows["or_ci_high"]]
    xmin, xmax = _axis_range(values)
    n = len(est_rows)
    labels = est_rows["label"].tolist()
    # y positions: first feature on top
    ys = list(range(n, 0, -1))
    marks = _forest_marks(result, est_rows, ys, xmin, xmax, alpha)
    _add_forest_traces(fig, marks, alpha)
    _add_forest_notes(fig, result, skipped, font_size)
    _add_or_column(fig, result, est_rows, ys, font_size)
    ticks = [t for t in (0.001, 0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 100, 1000) if xmin <= t <= xmax]
    fig.update_xaxes(
        type="log", range=[math.log10(xmin), math.log10(xmax)],
        tickmode="array", tickvals=ticks, ticktext=[num_g(t) for t in ticks],
        title_text=_("Odds ratio, {a} vs {b} (log scale)", a=result.group_a, b=result.group_b),
        showgrid=True, gridcolor=GRID_COLOR, zeroline=False, showline=True, linecolor="black",
        ticks="outside",
    )
    fig.update_yaxes(
        tickmode="array", tickvals=ys, ticktext=labels, range=[0.3, n + 0.7],
        showgrid=False, zeroline=False, showline=False,  # every line said (core.charts.payload.bake_template)
    )
    fig.update_layout(
        **({"title": {"text": title}} if title else {}),
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": font_size, "color": "black"},
        width=width,
        height=height or max(320, 140 + 28 * max(n, 1)),
        margin={"l": 10, "r": OR_COLUMN_WIDTH, "t": 60 if title else 40, "b": 110},
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1.0, "yanchor": "bottom"} if n else None,
        plot_bgcolor="white",
    )
    if language() == "fr":
        fig.update_layout(separators=", ")
    if n == 0:
        fig.add_annotation(text=_("No binary feature with an estimable odds ratio"), xref="paper",
                           yref="paper", x=0.5, y=0.5, showarrow=False)
    return fig


_MarkLists = dict[str, dict[str, list[Any]]]


def _forest_marks(result: ComparisonResult, est_rows: pd.DataFrame, ys: list[int], xmin: float,
                  xmax: float, alpha: float) -> _MarkLists:
    """Per significance class (``sig`` / ``ns``): whisker segments (``seg``: x, y with
    None between lines), arrowheads of clipped limits (``arrow``) and estimate markers
    with their hover text (``point``)."""
    marks: _MarkLists = {
        k: {"seg_x": [], "seg_y": [], "arrow_x": [], "arrow_y": [], "arrow_symbol": [],
            "x": [], "y": [], "symbol": [], "text": []}
        for k in ("sig", "ns")
    }
    for i, rec in enumerate(est_rows.to_dict("records")):
        m = marks["sig" if (not math.isnan(rec["p_value"]) and rec["p_value"] < alpha) else "ns"]
        y = ys[i]
        o, lo, hi = float(rec["odds_ratio"]), float(rec["or_ci_low"]), float(rec["or_ci_high"])
        x0 = min(max(lo, xmin), xmax) if lo > 0 else xmin
        x1 = max(min(hi, xmax), xmin) if math.isfinite(hi) else xmax
        m["seg_x"] += [x0, x1, None]
        m["seg_y"] += [y, y, None]
        if lo <= xmin:
            m["arrow_x"].append(xmin)
            m["arrow_y"].append(y)
            m["arrow_symbol"].append("triangle-left")
        if hi >= xmax:
            m["arrow_x"].append(xmax)
            m["arrow_y"].append(y)
            m["arrow_symbol"].append("triangle-right")
        if o <= 0 or o < xmin:
            px, sym = xmin, "triangle-left"
        elif not math.isfinite(o) or o > xmax:
            px, sym = xmax, "triangle-right"
        else:
            px, sym = o, "square"
        hover = _(
            "<b>{label}</b><br>{a}: {n_a}/{N_a}<br>{b}: {n_b}/{N_b}<br>OR {or_ci}<br>P {p}",
            label=rec["label"], a=result.group_a, n_a=int(rec["n_a"]), N_a=int(rec["N_a"]),
            b=result.group_b, n_b=int(rec["n_b"]), N_b=int(rec["N_b"]),
            or_ci=format_or_ci(o, lo, hi), p=fmt_p(rec["p_value"]),
        )
        m["x"].append(px)
        m["y"].append(y)
        m["symbol"].append(sym)
        m["text"].append(hover)
    return marks


def _add_forest_traces(fig: go.Figure, marks: _MarkLists, alpha: float) -> None:
    """Whiskers, arrowheads and estimates, non-significant first (drawn below)."""
    names = {"sig": _("P < {alpha}", alpha=fmt_p(alpha)), "ns": _("P ≥ {alpha}", alpha=fmt_p(alpha))}
    colors = {"sig": SIGNIFICANT_COLOR, "ns": NEUTRAL_COLOR}
    for key in ("ns", "sig"):
        m = marks[key]
        if not m["x"]:
            continue
        fig.add_trace(go.Scatter(
            x=m["seg_x"], y=m["seg_y"], mode="lines", line={"color": colors[key], "width": 2},
            hoverinfo="skip", showlegend=False, legendgroup=key,
        ))
        if m["arrow_x"]:
            fig.add_trace(go.Scatter(
                x=m["arrow_x"], y=m["arrow_y"], mode="markers", hoverinfo="skip",
                marker={"symbol": m["arrow_symbol"], "size": 10, "color": colors[key]},
                showlegend=False, legendgroup=key, cliponaxis=False,
            ))
        fig.add_trace(go.Scatter(
            x=m["x"], y=m["y"], mode="markers", name=names[key], legendgroup=key,
            cliponaxis=False,
            marker={"symbol": m["symbol"], "size": 11, "color": colors[key],
                    "line": {"color": "white", "width": 1}},
            hovertext=m["text"], hoverinfo="text",
        ))


#: Right margin (px) holding the "OR (95% CI)" column of the forest plot.
OR_COLUMN_WIDTH = 190


def _add_or_column(fig: go.Figure, result: ComparisonResult, est_rows: pd.DataFrame, ys: list[int],
                   font_size: int) -> None:
    """``OR (low–high)`` beside each line, in the right margin, under an ``OR (95% CI)`` header."""
    if est_rows.empty:
        return
    pct = round(100 * result.conf_level)
    font = {"size": max(10, font_size - 2), "color": "black"}
    # one layout update for every row (add_annotation per row re-validates them all: quadratic)
    rows = [{"text": format_or_ci(rec["odds_ratio"], rec["or_ci_low"], rec["or_ci_high"]), "xref": "paper", "yref": "y",
             "x": 1, "y": y, "xshift": 12, "xanchor": "left", "showarrow": False, "font": font}
            for y, rec in zip(ys, est_rows.to_dict("records"))]
    fig.update_layout(annotations=[*fig.layout.annotations, *rows])
    fig.add_annotation(text=_("<b>OR ({ci})</b>", ci=fmt_ci_label(pct / 100)), xref="paper", yref="y", x=1, y=len(ys) + 0.5,
                       xshift=12, xanchor="left", yanchor="bottom", showarrow=False, font=font)


def _add_forest_notes(fig: go.Figure, result: ComparisonResult, skipped: list[str], font_size: int) -> None:
    """Line at OR = 1, the method note (and features not estimable) under the plot, and
    which side favours which group."""
    fig.add_vline(x=1.0, line={"color": GREY, "width": 1, "dash": "dash"})
    pct = round(100 * result.conf_level)
    note = _("Conditional MLE odds ratio with exact {ci}; arrowheads: limit beyond the axis or unbounded (zero cell).",
             ci=fmt_ci_label(pct / 100))
    if skipped:
        note = _("{note}<br>Not estimable (no variation): {features}", note=note, features=", ".join(skipped))
    fig.add_annotation(
        text=note, xref="paper", yref="paper", x=0, y=0, yshift=-70, showarrow=False,
        xanchor="left", yanchor="top", align="left", font={"size": max(10, font_size - 3), "color": GREY},
    )
    fig.add_annotation(text=_("← higher in {group}", group=result.group_b), xref="paper", yref="paper", x=0, y=1,
                       yshift=8, xanchor="left", yanchor="bottom", showarrow=False,
                       font={"size": max(10, font_size - 2), "color": GREY})
    fig.add_annotation(text=_("higher in {group} →", group=result.group_a), xref="paper", yref="paper", x=1, y=1,
                       yshift=8, xanchor="right", yanchor="bottom", showarrow=False,
                       font={"size": max(10, font_size - 2), "color": GREY})


def heatmap_figure(
    heat: pd.DataFrame,
    title: str = "",
    *,
    font_size: int = 13,
    width: int = 900,
    height: int | None = None,
) -> go.Figure:
    """Feature-by-antibody-subtype heatmap of frequencies (%), significant cells marked.

    ``heat`` is the long table of :func:`core.compare.subtype_heatmap`. Cell colour is
    the percentage of patients of the subtype with the feature; the text is ``n/N`` over
    the percentage (so a 0 % or 100 % of 3 patients reads as such), followed by ``*`` when
    the subtype differs from the rest (column ``significant``); empty cells (no patient of the subtype with the feature recorded)
    are blank. Hover: ``n/N``, frequency in the rest, Fisher P.
    """
    fig = go.Figure()
    if heat.empty:
        fig.add_annotation(text=_("No binary feature to show"), xref="paper", yref="paper",
                           x=0.5, y=0.5, showarrow=False)
        fig.update_layout(template="plotly_white", width=width, height=height or 300)
        return fig
    subtypes = list(dict.fromkeys(heat["subtype"]))
    sub_labels = [heat.loc[heat["subtype"] == s, "subtype_label"].iloc[0] for s in subtypes]
    features = list(dict.fromkeys(heat["feature"]))
    feat_labels = [heat.loc[heat["feature"] == f, "label"].iloc[0] for f in features]
    idx = heat.set_index(["feature", "subtype"])
    z = np.full((len(features), len(subtypes)), np.nan)
    text = [["" for _s in subtypes] for _f in features]
    hover = [["" for _s in subtypes] for _f in features]
    for i, f in enumerate(features):
        for j, s in enumerate(subtypes):
            r = idx.loc[(f, s)]
            pct = float(r["pct"])
            z[i, j] = pct
            if not math.isnan(pct):
                text[i][j] = f"{int(r['n'])}/{int(r['N'])}<br>{fmt_pct(pct, 0)}{'*' if bool(r['significant']) else ''}"
            rest = "—" if math.isnan(float(r["pct_rest"])) else fmt_pct(float(r["pct_rest"]), 0)
            share = "" if math.isnan(pct) else f" ({fmt_pct(pct, 1)})"
            hover[i][j] = _(
                "<b>{feature}</b><br>{subtype}: {n}/{N}{share}<br>rest: {n_rest}/{N_rest} ({rest})<br>P vs rest {p}",
                feature=feat_labels[i], subtype=sub_labels[j], n=int(r["n"]), N=int(r["N"]), share=share,
                n_rest=int(r["n_rest"]), N_rest=int(r["N_rest"]), rest=rest, p=fmt_p(float(r["p_value"])),
            )
    fig.add_trace(go.Heatmap(
        z=z, x=sub_labels, y=feat_labels, text=text, texttemplate="%{text}",
        textfont={"size": max(9, font_size - 2)}, hovertext=hover, hoverinfo="text",
        colorscale="Blues", zmin=0, zmax=100, xgap=2, ygap=2,
        colorbar={"title": {"text": "%"}, "thickness": 14},
    ))
    # every line said, as plotly.js resolves them here (core.charts.payload.bake_template)
    fig.update_yaxes(autorange="reversed", showgrid=False, showline=False, zeroline=True)
    fig.update_xaxes(side="top", showgrid=False, showline=False, zeroline=True)
    fig.add_annotation(
        text=_("Cells: n/N and % of the subtype with the feature (missing excluded). "
               "* P < {alpha} vs all other patients with a known subtype (Fisher exact).", alpha=fmt_p(0.05)),
        xref="paper", yref="paper", x=0, y=0, yshift=-12, xanchor="left", yanchor="top",
        showarrow=False, font={"size": max(9, font_size - 3), "color": GREY},
    )
    fig.update_layout(
        **({"title": {"text": title}} if title else {}),
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": font_size, "color": "black"},
        width=width,
        height=height or max(320, 150 + 36 * len(features)),
        margin={"l": 10, "r": 10, "t": 90 if title else 60, "b": 50},
        plot_bgcolor="white",
    )
    if language() == "fr":
        fig.update_layout(separators=", ")
    return fig
