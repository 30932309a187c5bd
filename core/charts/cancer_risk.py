"""Figures of the cancer-risk view: SIR forest plot, cancer timing strip, cumulative incidence.

Pure functions of the results of :mod:`core.cancer_risk` and :mod:`core.cancer_timing` (no statistic is computed here):

* :func:`forest_figure` — SIR with its CI per subgroup (and overall), log axis, line at 1;
* :func:`timing_figure` — each cancer's day relative to the DM diagnosis, the window
  shaded, the median and its CI;
* :func:`cumulative_incidence_figure` — Aalen-Johansen cumulative incidence step curves.

Style: white background, Okabe-Ito colour-blind-safe palette, Arial, sized for slides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from core.cancer_risk import CI_METHOD_LABELS, SIRHeadline, SIRResult
from core.cancer_timing import CumulativeIncidenceResult, TimingResult
from core.charts.common import new_figure, num_g, rgba, unit_name
from core.constants import (
    BLACK,
    DAYS_PER_UNIT,
    DAYS_PER_YEAR,
    FONT_FAMILY,
    MID_GREY,
    ORANGE,
    PALETTE,
    TEXT_COLOR,
)
from core.i18n import _, fmt_ci_label, fmt_number, fmt_p, language, n_

WINDOW_COLOR = rgba(ORANGE, 0.18)
#: Above this many cancers the timing figure shows counts per bin instead of one point
#: per cancer (bounded payload: 823 KB at 100,000 patients, 6.3 MB at 1,000,000 before).
MAX_TIMING_POINTS = 2000

__all__ = [
    "cumulative_incidence_figure",
    "forest_figure",
    "sir_label",
    "timing_figure",
]


def _layout(fig: go.Figure, title: str, font_size: int, width: int, height: int) -> None:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else {},
        template=pio.templates["simple_white"],
        font={"family": FONT_FAMILY, "size": font_size, "color": TEXT_COLOR},
        width=width,
        height=height,
        # room for the x axis's ticks and title (a second draw by plotly's automargin otherwise)
        margin={"l": 20, "r": 20, "t": 60 if title else 30, "b": 16 + 4 * font_size},
        showlegend=False,
    )
    if language() == "fr":
        fig.update_layout(separators=", ")


def _years(x: float) -> str:
    """``3 years`` / ``1 year`` (plural form by the language's rule)."""
    return n_("{x} year", "{x} years", 1 if x == 1 else 2, x=num_g(x))


def sir_label(h: SIRHeadline | SIRResult, decimals: int = 1) -> str:
    """``5.1 (3.0–8.6)``; ``—`` when E = 0."""
    sir, lo, hi = h.sir, h.ci_low, h.ci_high

    def f(x: float) -> str:
        return "—" if x is None or not math.isfinite(x) else fmt_number(x, decimals)

    if not math.isfinite(sir):
        return "—"
    return f"{f(sir)} ({f(lo)}–{f(hi)})"


def forest_figure(
    result: SIRResult,
    include_overall: bool = True,
    title: str = "",
    *,
    decimals: int = 1,
    font_size: int = 14,
    width: int = 960,
    height: int | None = None,
) -> go.Figure:
    """Forest plot of the SIR per subgroup (log x axis, reference line at SIR = 1).

    Parameters
    ----------
    result : SIRResult
        Subgroups are drawn top to bottom in their order, the overall SIR last (diamond).
    include_overall : bool
        Add the whole-cohort row.
    title : str
    decimals : int
        Decimals of the SIR text column.
    font_size, width, height : int
        Figure size (height defaults to 70 px per row + margins).

    Returns
    -------
    plotly.graph_objects.Figure
        A row whose SIR is 0 (O = 0) is drawn at the left edge with its upper limit only;
        a row with E = 0 has no marker.
    """
    rows: list[tuple[SIRHeadline, bool]] = [(h, False) for h in result.subgroups]
    if include_overall or not rows:
        rows.append((result.headline, True))
    labels = [(_("All patients") if overall else str(h.group)) for h, overall in rows]
    vals = [v for h, _o in rows for v in (h.sir, h.ci_low, h.ci_high)
            if v is not None and math.isfinite(v) and v > 0]
    lo_ax = min(vals + [1.0]) / 1.6
    hi_ax = max(vals + [1.0]) * 1.6
    n = len(rows)
    y = list(range(n, 0, -1))
    fig = new_figure()
    fig.add_vline(x=1.0, line={"color": "#555", "dash": "dash", "width": 1.2})
    for (h, overall), yy, lab in zip(rows, y, labels):
        color = BLACK if overall else PALETTE[0]
        sir = h.sir if math.isfinite(h.sir) else math.nan
        lo = h.ci_low if (h.ci_low is not None and math.isfinite(h.ci_low) and h.ci_low > 0) \
            else lo_ax
        hi = h.ci_high if (h.ci_high is not None and math.isfinite(h.ci_high)) else math.nan
        if math.isfinite(hi):
            fig.add_trace(go.Scatter(x=[lo, hi], y=[yy, yy], mode="lines",
                                     line={"color": color, "width": 2.5}, hoverinfo="skip"))
        if math.isfinite(sir):
            xs = sir if sir > 0 else lo_ax
            hover = _("{label}<br>O = {observed}, E = {expected}<br>PY = {py}<br>SIR {sir}<br>P = {p}",
                      label=lab, observed=h.observed, expected=fmt_number(h.expected, 2),
                      py=fmt_number(h.person_years, 1), sir=sir_label(h, 2), p=fmt_p(h.p_value))
            fig.add_trace(go.Scatter(
                x=[xs], y=[yy], mode="markers",
                marker={"symbol": "diamond" if overall else "square", "color": color,
                        "size": 16 if overall else max(8, min(18, 6 + 2 * math.sqrt(h.observed)))},
                hovertext=[hover], hoverinfo="text"))
    text_left = [f"{lab}" for lab in labels]
    text_right = [f"{h.observed} / {fmt_number(h.expected, 1)}   {sir_label(h, decimals)}" for h, _o in rows]
    for yy, tl, tr in zip(y, text_left, text_right):
        fig.add_annotation(x=0, xref="paper", xanchor="right", y=yy, yref="y", text=tl,
                           showarrow=False, xshift=-10, align="right")
        fig.add_annotation(x=1, xref="paper", xanchor="left", y=yy, yref="y", text=tr,
                           showarrow=False, xshift=10, align="left")
    fig.add_annotation(x=1, xref="paper", xanchor="left", y=n + 0.8, yref="y",
                       text=_("<b>O / E   SIR ({ci})</b>", ci=fmt_ci_label(result.conf_level)),
                       showarrow=False, xshift=10)
    _layout(fig, title, font_size, width, height or (110 + 60 * n))
    longest = max(len(t) for t in text_left)
    fig.update_layout(margin={"l": 30 + int(font_size * 0.6 * longest),
                              "r": 30 + int(font_size * 0.6 * 26)})
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if lo_ax <= t <= hi_ax]
    fig.update_xaxes(type="log", range=[math.log10(lo_ax), math.log10(hi_ax)],
                     tickvals=ticks, ticktext=[num_g(t) for t in ticks],
                     title=_("Standardized incidence ratio ({method} CI, log scale)",
                             method=_(CI_METHOD_LABELS[result.ci_method])))
    fig.update_yaxes(visible=False, range=[0.4, n + 1.2])
    return fig


def timing_figure(
    timing: TimingResult,
    window_years: float | None = None,
    title: str = "",
    *,
    unit: str = "days",
    font_size: int = 14,
    width: int = 960,
    height: int = 360,
) -> go.Figure:
    """Each cancer's time from the DM diagnosis (negative = before) as a point (beyond
    ``MAX_TIMING_POINTS`` cancers, as stacked counts per bin of 1/60 of the range).

    The window ``±window_years`` (default the timing's window) is shaded, the diagnosis
    marked at 0, the median drawn as a line with its CI as a band.

    Parameters
    ----------
    timing : TimingResult
    window_years : float, optional
    title : str
    unit : {"days", "months", "years"}
        Unit of the x axis.
    font_size, width, height : int

    Returns
    -------
    plotly.graph_objects.Figure
    """
    div = DAYS_PER_UNIT[unit]
    win = timing.window_years if window_years is None else float(window_years)
    t = timing.table
    x = t["days"].to_numpy(dtype=float) / div
    # deterministic vertical spread: points in the same x-neighbourhood stacked
    span = (np.nanmax(np.abs(x)) if len(x) else 1.0) or 1.0
    bins = np.round(x / (span / 60.0)) if len(x) else np.array([])
    k = pd.Series(bins).groupby(bins, sort=False).cumcount().to_numpy() if len(x) else np.array([], int)
    yv = (k % 2 * 2 - 1) * ((k + 1) // 2) * 0.12
    fig = new_figure()
    w = win * DAYS_PER_YEAR / div
    unit_text = unit_name(unit)
    fig.add_vrect(x0=-w, x1=w, fillcolor=WINDOW_COLOR, line_width=0, layer="below")
    fig.add_annotation(x=0, y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                       text=_("window ±{years}", years=_years(win)),
                       font={"color": "#9a6a00"})
    fig.add_vline(x=0, line={"color": "#444", "width": 1.5})
    if timing.n and math.isfinite(timing.median_days):
        m = timing.median_days / div
        if math.isfinite(timing.ci_low_days) and math.isfinite(timing.ci_high_days):
            fig.add_vrect(x0=timing.ci_low_days / div, x1=timing.ci_high_days / div,
                          fillcolor=rgba(PALETTE[1], 0.15), line_width=0, layer="below")
        fig.add_vline(x=m, line={"color": PALETTE[1], "dash": "dash", "width": 2})
        fig.add_annotation(x=m, y=0.0, yref="paper", yanchor="top", showarrow=False,
                           text=_("median {value} {unit}", value=fmt_number(m, 1), unit=unit_text), font={"color": PALETTE[1]}, yshift=-2)
    inside = t["within_window"].to_numpy(dtype=bool) if len(t) else np.array([], bool)
    if len(x) > MAX_TIMING_POINTS:
        _add_timing_histogram(fig, x, inside, bins, span / 60.0, unit_text)
    else:
        _add_timing_points(fig, x, yv, inside, t)
    _layout(fig, title, font_size, width, height)
    lim = max(w * 1.1, span * 1.05)
    fig.update_xaxes(range=[-lim, lim], zeroline=False,
                     title=_("Time from DM diagnosis to cancer ({unit}; negative = before)", unit=unit_text))
    if len(x) > MAX_TIMING_POINTS:
        fig.update_yaxes(title=_("Cancers per bar"), rangemode="tozero")
        fig.update_layout(margin={"l": 24 + 4 * font_size})  # the y axis's ticks and title
    else:
        ymax = max(0.6, float(np.max(np.abs(yv))) + 0.3) if len(yv) else 0.6
        fig.update_yaxes(visible=False, range=[-ymax, ymax])
    return fig


def _add_timing_points(fig: go.Figure, x: np.ndarray, yv: np.ndarray, inside: np.ndarray,
                       t: pd.DataFrame) -> None:
    """One point per cancer, inside / outside the window in two colours."""
    for mask, color, name in ((inside, PALETTE[0], _("inside window")),
                              (~inside, MID_GREY, _("outside window"))):
        if mask.any():
            fig.add_trace(go.Scatter(
                x=x[mask], y=yv[mask], mode="markers", name=name,
                marker={"color": color, "size": 11, "line": {"color": "white", "width": 1}},
                hovertext=[_("{patient}: {days} days", patient=pid, days=f"{d:.0f}") for pid, d in
                           zip(t["patient_id"][mask], t["days"][mask])],
                hoverinfo="text"))


def _add_timing_histogram(fig: go.Figure, x: np.ndarray, inside: np.ndarray, bins: np.ndarray,
                          width: float, unit: str) -> None:
    """Beyond ``MAX_TIMING_POINTS`` cancers: counts per bin (the same bins that stack the
    points), stacked inside / outside the window, so the payload stays bounded (about
    121 bars whatever the cohort size)."""
    for mask, color, name in ((inside, PALETTE[0], _("inside window")),
                              (~inside, MID_GREY, _("outside window"))):
        if mask.any():
            centre, count = np.unique(bins[mask], return_counts=True)
            fig.add_trace(go.Bar(
                x=centre * width, y=count, width=width, name=name,
                marker={"color": color, "line": {"width": 0}},
                hovertemplate=_("%{{x:.0f}} {unit}: %{{y}} cancers<extra>{name}</extra>", unit=unit, name=name)))
    fig.update_layout(barmode="stack", bargap=0)


def cumulative_incidence_figure(
    result: CumulativeIncidenceResult,
    show_ci: bool = True,
    title: str = "",
    order: Sequence[str] | None = None,
    *,
    font_size: int = 14,
    width: int = 960,
    height: int = 520,
) -> go.Figure:
    """Cumulative incidence of cancer after the DM diagnosis (death competing), per group.

    Parameters
    ----------
    result : CumulativeIncidenceResult
    show_ci : bool
        Draw the pointwise CI as a band.
    title : str
    order : sequence of str, optional
        Group order (default: the result's).
    font_size, width, height : int

    Returns
    -------
    plotly.graph_objects.Figure
        y in percent, step curves (right-continuous).
    """
    c = result.curves
    groups = list(order) if order is not None else list(dict.fromkeys(c["group"]))
    fig = new_figure()
    for i, g in enumerate(groups):
        d = c[c["group"] == g]
        if d.empty:
            continue
        color = PALETTE[i % len(PALETTE)]
        n = result.summary.set_index("group").loc[g, "n"] if g in set(result.summary["group"]) \
            else len(d)
        if show_ci:
            xs = d["time"].to_numpy()
            fig.add_trace(go.Scatter(x=xs, y=100 * d["ci_high"].to_numpy(), mode="lines",
                                     line={"width": 0, "shape": "hv"}, hoverinfo="skip",
                                     showlegend=False))
            fig.add_trace(go.Scatter(x=xs, y=100 * d["ci_low"].to_numpy(), mode="lines",
                                     line={"width": 0, "shape": "hv"}, fill="tonexty",
                                     fillcolor=rgba(color, 0.15), hoverinfo="skip",
                                     showlegend=False))
        fig.add_trace(go.Scatter(
            x=d["time"], y=100 * d["cif"], mode="lines", name=_("{group} (n = {n})", group=g, n=n),
            line={"color": color, "width": 2.5, "shape": "hv"},
            hovertemplate=_("%{{x:.1f}} {unit}: %{{y:.1f}}%<extra>{group}</extra>",
                            unit=unit_name(result.unit), group=g)))
    _layout(fig, title, font_size, width, height)
    fig.update_layout(showlegend=True, legend={"x": 0.02, "y": 0.98, "traceorder": "normal",
                                               "bgcolor": "rgba(255,255,255,0.7)"})
    fig.update_xaxes(title=_("Time since DM diagnosis ({unit})", unit=unit_name(result.unit)), rangemode="tozero")
    fig.update_yaxes(title=_("Cumulative incidence of cancer (%)"), rangemode="tozero")
    fig.update_layout(margin={"l": 24 + 4 * font_size})  # the y axis's ticks and title
    return fig
