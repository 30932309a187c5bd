"""Kaplan-Meier figure with confidence bands, censor marks, medians and a risk table.

A pure function of :class:`core.survival.SurvivalResult`: every number drawn (curves,
CIs, medians, numbers at risk, log-rank statistic) comes from the result; nothing is
estimated here. The look follows journal figures (survminer-like): white background,
Okabe-Ito colour-blind-safe palette, step curves, "number at risk" table aligned under
the time axis (numbers at risk just before each tick, as R's ``summary(fit, times=)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from core.charts.common import legend_rows, p_equals, rgba, unit_name, unvalidated
from core.constants import FONT_FAMILY, PALETTE, TEXT_COLOR
from core.i18n import _, fmt_number, language
from core.survival import GroupSurvival, SurvivalResult, default_tick_times

#: At most this many points per curve (and per band, per set of censor marks): beyond it,
#: the last point of each of ``MAX_CURVE_POINTS`` equal slices of the time axis is kept,
#: so a drop is drawn at most 1/2000 of the axis late (invisible) and the payload is
#: bounded whatever the cohort size.
MAX_CURVE_POINTS = 2000


def _thin(time: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of the points drawn: all when there are at most ``max_points``, else the
    last point of each of ``max_points`` equal slices of ``[0, time.max()]``."""
    if time.size <= max_points:
        return np.arange(time.size)
    top = float(time[-1]) or 1.0
    slot = np.minimum((time / top * max_points).astype(np.int64), max_points - 1)
    return np.flatnonzero(np.concatenate((slot[1:] != slot[:-1], [True])))


def _finite_band(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[list[float], list[float], list[float]]:
    """Band points from (0, 1, 1) over the times where both limits are defined."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    return [0.0, *x[ok].tolist()], [1.0, *lo[ok].tolist()], [1.0, *hi[ok].tolist()]


def _g3(x: float) -> str:
    """``x`` with 3 significant digits (``:.3g``), decimal comma in French."""
    text = f"{x:.3g}"
    return text.replace(".", ",") if language() == "fr" else text


def logrank_label(result: SurvivalResult) -> str:
    """``Log-rank χ²(1) = 7.05, P = .008`` (empty without a test)."""
    lr = result.logrank
    if lr is None:
        return ""
    return _("Log-rank χ²({df}) = {chi2}, {p}", df=lr.df, chi2=fmt_number(lr.chi2, 2), p=p_equals(lr.p_value))


def _legend_name(g: GroupSurvival) -> str:
    return _("{group} (n = {n})", group=g.group, n=g.n)


def _margins(groups: Sequence[Any], title: str, with_table: bool, font_size: int, width: int | None) -> dict[str, int]:
    """Room for the legend above the plot (its rows at this width), the title and, without
    the risk table, the time axis's title (see :func:`core.charts.common.text_width`)."""
    rows = legend_rows([_legend_name(g) for g in groups], font_size, (width or 960) - 120)
    top = 28 + rows * (font_size + 11) + (30 if title else 0)
    return {"l": 90, "r": 30, "t": top, "b": 40 if with_table else 64}


def km_figure(
    result: SurvivalResult,
    show_ci: bool = True,
    show_censors: bool = True,
    show_median: bool = True,
    risk_table_times: Sequence[float] | None = None,
    show_cumulative_events: bool = False,
    unit_label: str = "months",
    title: str = "",
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    show_risk_table: bool = True,
    font_size: int = 14,
    width: int = 960,
    height: int | None = None,
) -> go.Figure:
    """Kaplan-Meier curves of every group of ``result``.

    Parameters
    ----------
    result : SurvivalResult
    show_ci : bool
        Shaded pointwise confidence bands (the result's ``conf_type``).
    show_censors : bool
        Vertical tick at each censoring time.
    show_median : bool
        Dashed lines at S = 0.5 down to each reached median.
    risk_table_times : sequence of float, optional
        Tick times of the axis and of the number-at-risk table; default: round
        steps of the unit (:func:`core.survival.default_tick_times`).
    show_cumulative_events : bool
        Show "at risk (cumulative events)" in the table.
    unit_label : str
        Time unit for the axis title.
    title : str
    x_title, y_title : str
        Axis titles (default x: ``Time (unit)``, y: ``Survival probability``, in the
        current language).
    show_risk_table : bool
    font_size, width, height : int
        Base font size and figure size in pixels (slide-sized by default).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    groups = result.groups
    max_time = max((float(g.curve.time[-1]) for g in groups if g.curve.time.size), default=0.0)
    ticks = list(risk_table_times) if risk_table_times is not None else default_tick_times(max_time, unit_label)
    ticks = sorted(float(t) for t in ticks if t >= 0)
    x_max = max([max_time, *(ticks or [0.0])]) or 1.0
    with_table = bool(show_risk_table and groups)
    fig, height = _subplots(len(groups), with_table, height)
    unvalidated(fig)
    colours = {g.group: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    for g in groups:
        _add_group(fig, g, colours[g.group], show_ci, show_censors, show_median, unit_label)
    label = logrank_label(result)
    if label:
        fig.add_annotation(
            text=label, x=0.02, y=0.04, xref="x domain", yref="y domain", xanchor="left",
            yanchor="bottom", showarrow=False, font={"size": font_size, "family": FONT_FAMILY},
            bgcolor="rgba(255,255,255,0.8)",
        )
    axis_font = {"size": font_size, "family": FONT_FAMILY, "color": TEXT_COLOR}
    unit = unit_name(unit_label)
    _style_axes(fig, ticks, x_max, x_title or _("Time ({unit})", unit=unit),
                y_title if y_title is not None else _("Survival probability"), axis_font)
    if with_table:
        _add_risk_table(fig, result, ticks, colours, show_cumulative_events, font_size, axis_font)
    fig.update_layout(
        template=pio.templates["simple_white"],
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": FONT_FAMILY, "size": font_size, "color": TEXT_COLOR},
        title={"text": title, "x": 0.5, "xanchor": "center"} if title else {},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "right", "x": 1, "font": axis_font},
        margin=_margins(groups, title, with_table, font_size, width),
        width=width,
        height=height,
        hovermode="closest",
    )
    if language() == "fr":
        fig.update_layout(separators=", ")
    return fig


def _subplots(n_groups: int, with_table: bool, height: int | None) -> tuple[go.Figure, int]:
    """The curve panel (440 px), and below it the number-at-risk panel (30 px per group),
    and the figure height (default: both panels plus margins)."""
    n_rows = 2 if with_table else 1
    plot_px = 440
    table_px = 30 * (n_groups + 1) if n_rows == 2 else 0
    gap_px = 85 if n_rows == 2 else 0
    if height is None:
        height = plot_px + table_px + gap_px + 110
    inner = max(height - 110, 1)
    fig = make_subplots(
        rows=n_rows,
        cols=1,
        shared_xaxes=True,
        row_heights=[plot_px, table_px] if n_rows == 2 else [1.0],
        vertical_spacing=gap_px / inner if n_rows == 2 else 0.02,
    )
    return fig, height


def _add_group(fig: go.Figure, g: GroupSurvival, col: str, show_ci: bool, show_censors: bool,
               show_median: bool, unit_label: str) -> None:
    """Traces of one group: confidence band, step curve, censor ticks, median lines."""
    c = g.curve
    keep = _thin(c.time)
    x = np.concatenate(([0.0], c.time[keep]))
    y = np.concatenate(([1.0], c.survival[keep]))
    name = _legend_name(g)
    unit = unit_name(unit_label)
    if show_ci and c.time.size:
        bx, blo, bhi = _finite_band(c.time[keep], c.ci_low[keep], c.ci_high[keep])
        fig.add_trace(
            go.Scatter(
                x=bx, y=bhi, mode="lines", line={"width": 0, "shape": "hv"}, hoverinfo="skip",
                showlegend=False, legendgroup=g.group, name=_("{group} CI", group=g.group),
            ),
            row=1, col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=bx, y=blo, mode="lines", line={"width": 0, "shape": "hv"}, fill="tonexty",
                fillcolor=rgba(col, 0.16), hoverinfo="skip", showlegend=False,
                legendgroup=g.group, name=_("{group} CI", group=g.group),
            ),
            row=1, col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=x, y=y, mode="lines", name=name, legendgroup=g.group,
            line={"color": col, "width": 2.5, "shape": "hv"},
            customdata=np.concatenate(([c.n], c.n_risk[keep])),
            hovertemplate=_("<b>{group}</b><br>t = %{{x:.3g}} {unit}<br>S(t) = %{{y:.3f}}"
                            "<br>at risk: %{{customdata}}<extra></extra>", group=g.group, unit=unit),
        ),
        row=1, col=1,
    )
    if show_censors and c.time.size:
        cm = np.flatnonzero(c.n_censor > 0)
        cm = cm[_thin(c.time[cm])]
        if cm.size:
            fig.add_trace(
                go.Scatter(
                    x=c.time[cm], y=c.survival[cm], mode="markers", legendgroup=g.group,
                    showlegend=False, name=_("{group} censored", group=g.group),
                    marker={"symbol": "line-ns-open", "size": 9, "color": col, "line": {"width": 1.6, "color": col}},
                    hovertemplate=_("{group}: censored at %{{x:.3g}} {unit}<extra></extra>", group=g.group, unit=unit),
                ),
                row=1, col=1,
            )
    if show_median and math.isfinite(g.median):
        fig.add_trace(
            go.Scatter(
                x=[0, g.median, g.median], y=[0.5, 0.5, 0], mode="lines", legendgroup=g.group,
                showlegend=False, name=_("{group} median", group=g.group),
                line={"color": col, "width": 1.2, "dash": "dash"},
                hovertemplate=_("{group}: median {median} {unit}<extra></extra>", group=g.group,
                                median=_g3(g.median), unit=unit),
            ),
            row=1, col=1,
        )


def _style_axes(fig: go.Figure, ticks: list[float], x_max: float, x_title: str, y_title: str,
                axis_font: dict[str, Any]) -> None:
    """Journal-style axes of the curve panel: survival 0-1, ticks at the table times."""
    fig.update_yaxes(
        title={"text": y_title, "font": axis_font}, range=[-0.02, 1.03], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0],
        tickformat=".1f", showline=True, linecolor=TEXT_COLOR, ticks="outside", zeroline=False,
        showgrid=False, row=1, col=1,
    )
    pad = 0.02 * x_max
    fig.update_xaxes(
        range=[-pad, x_max + pad], tickvals=ticks, ticks="outside", showline=True, linecolor=TEXT_COLOR,
        zeroline=False, showgrid=False, showticklabels=True, tickformat="~g",
        title={"text": x_title, "font": axis_font}, row=1, col=1,
    )


def _add_risk_table(fig: go.Figure, result: SurvivalResult, ticks: list[float], colours: dict[str, str],
                    show_cumulative_events: bool, font_size: int, axis_font: dict[str, Any]) -> None:
    """Number at risk (and cumulative events) just before each tick, one row per group,
    group names coloured as their curves."""
    groups = result.groups
    table = result.at_risk_table(ticks)
    names = [g.group for g in groups]
    for g in groups:
        rows = table[table["group"] == g.group]
        text = [
            f"{int(r.n_risk)} ({int(r.cum_events)})" if show_cumulative_events else f"{int(r.n_risk)}"
            for r in rows.itertuples()
        ]
        fig.add_trace(
            go.Scatter(
                x=rows["time"], y=[g.group] * len(rows), mode="text", text=text, showlegend=False,
                textfont={"size": font_size - 1, "color": colours[g.group], "family": FONT_FAMILY},
                hoverinfo="skip", name=_("{group} at risk", group=g.group), cliponaxis=False,
            ),
            row=2, col=1,
        )
    fig.update_yaxes(
        categoryorder="array", categoryarray=names[::-1], showline=False, ticks="",
        tickvals=names, ticktext=[f"<span style='color:{colours[n]}'>{n}</span>" for n in names],
        tickfont=axis_font, showgrid=False, zeroline=False, row=2, col=1,
        range=[-0.6, len(names) - 0.4],
    )
    fig.update_xaxes(showticklabels=False, showline=False, ticks="", showgrid=False, zeroline=False, row=2, col=1)
    fig.add_annotation(
        text=_("Number at risk (cumulative events)") if show_cumulative_events else _("Number at risk"),
        x=0, y=1.0, xref="paper", yref="y2 domain", xanchor="left", yanchor="bottom",
        showarrow=False, font={**axis_font, "size": font_size}, yshift=6,
    )
