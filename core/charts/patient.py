"""Plotly figures of the patient view: course timeline and interferon fold changes.

Pure functions of :class:`core.events.PatientCourse` and
:class:`core.interferon.InterferonResult`; no statistics are computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts.common import num_g, text_width
from core.constants import (
    BLUE,
    BLUISH_GREEN,
    DAYS_PER_MONTH,
    GREY,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SKY_BLUE,
    TABLEAU_EXTRA,
    VERMILLION,
    YELLOW,
)
from core.events import INTERFERON_SCORE_NAME, LAB_NORMAL_RANGES, PatientCourse
from core.i18n import _, fmt_number, language
from core.interferon import DEFAULT_THRESHOLD, InterferonResult

#: Qualitative palette of the timeline (colour-blind friendly: Okabe–Ito in this order,
#: then Tableau).
PALETTE: tuple[str, ...] = (
    BLUE, ORANGE, BLUISH_GREEN, PURPLE, SKY_BLUE, VERMILLION, YELLOW, *TABLEAU_EXTRA,
)
POSITIVE_COLOR = VERMILLION
NEGATIVE_COLOR = BLUE
#: Marker symbol of point events (lower-cased name); others use "circle".
EVENT_SYMBOLS: dict[str, str] = {
    "diagnosis": "circle",
    "relapse": "triangle-up",
    "flare": "triangle-up",
    "remission": "triangle-down",
    "cancer": "star",
    "pulmonary_embolism": "diamond",
    "death": "x",
}
#: Events also drawn as a vertical line across the whole timeline.
KEY_EVENTS: frozenset[str] = frozenset({"diagnosis", "relapse", "cancer", "death"})
#: Labs drawn on a logarithmic axis by default (lower-cased names).
LOG_LABS: frozenset[str] = frozenset({"ck", "crp", "ferritin"})
FONT = "Arial, Helvetica, sans-serif"


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values 1-3-10 (…, 0.3, 1, 3, 10, 30, …) covering [lo, hi] (both > 0)."""
    ticks: list[float] = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 3):
            v = m * 10.0**e
            if lo <= v <= hi:
                ticks.append(float(f"{v:.6g}"))
    return ticks


def _hline(fig: go.Figure, y: float, text: str, color: str, dash: str, log: bool) -> None:
    """Horizontal line labelled in the right margin (label y in log10 units on a log axis)."""
    fig.add_hline(y=y, line={"color": color, "dash": dash, "width": 1.5})
    fig.add_annotation(
        x=1.005, xref="paper", y=math.log10(y) if log else y, yref="y", text=text,
        showarrow=False, xanchor="left", align="left", font={"color": color, "size": 11},
    )


def _label(name: str) -> str:
    """An event or score name as shown (the known events in the current language)."""
    known = {"diagnosis": _("diagnosis"), "relapse": _("relapse"), "flare": _("flare"),
             "remission": _("remission"), "cancer": _("cancer"),
             "pulmonary_embolism": _("pulmonary embolism"), "death": _("death"),
             INTERFERON_SCORE_NAME: _("interferon score")}
    return known.get(str(name).lower(), str(name).replace("_", " "))


def _dates(values: pd.Series) -> pd.Series:
    """Dates as text: yyyy-mm-dd in English, dd/mm/yyyy in French."""
    return values.dt.strftime("%d/%m/%Y" if language() == "fr" else "%Y-%m-%d")


def _date(value: object) -> str:
    return value.strftime("%d/%m/%Y" if language() == "fr" else "%Y-%m-%d")  # type: ignore[attr-defined]


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if abs(x) < 1000:
        return num_g(x, ".3g")
    text = f"{x:,.0f}"
    return text.replace(",", "\u202f") if language() == "fr" else text


def _timeline_margins(course: PatientCourse, font_size: int) -> dict[str, int]:
    """Room for the treatment names left of their panel and for the legend below the time
    axis, so plotly.js draws the figure once (:func:`core.charts.common.text_width`)."""
    names = [str(n) for n in course.treatments["name"].unique()] if not course.treatments.empty else []
    left = 40 + int(max((text_width(n, font_size) for n in names), default=0))
    return {"l": max(140, left), "r": 30, "t": 60, "b": 110}


def patient_timeline_figure(
    course: PatientCourse,
    threshold: float = DEFAULT_THRESHOLD,
    normal_ranges: Mapping[str, tuple[float, float, str]] = LAB_NORMAL_RANGES,
    log_labs: Iterable[str] = LOG_LABS,
    title: str | None = None,
    font_size: int = 13,
) -> go.Figure:
    """Timeline of one patient's course, months since diagnosis on a shared x-axis.

    Panels from top to bottom: point events (markers, key events also as vertical
    lines across every panel), treatments (bars from start to stop, one-day
    administrations as diamonds, open-ended bars hatched; dose in the hover), one panel
    per lab (normal range as a shaded band; CK on a log axis), and scores (interferon
    score with its positivity threshold as a dashed line; points above it in red).

    Parameters
    ----------
    course : PatientCourse
    threshold : float
        Interferon score positivity threshold drawn on the score panel.
    normal_ranges : mapping lower-case lab name -> (low, high, unit)
    log_labs : iterable of str
        Lower-case lab names drawn on a log axis.
    title : str, optional
    font_size : int

    Returns
    -------
    plotly.graph_objects.Figure
    """
    log_set = {s.lower() for s in log_labs}
    panels: list[tuple[str, str]] = [("events", _("Events"))]
    if not course.treatments.empty:
        panels.append(("treatments", _("Treatments")))
    for lab, df in course.labs.items():
        unit = next((u for u in df["unit"] if u), "")
        panels.append((f"lab:{lab}", f"{lab} ({unit})" if unit else lab))
    if not course.scores.empty:
        panels.append(("scores", _("Scores")))
    n_tr = course.treatments["name"].nunique() if not course.treatments.empty else 0
    heights = []
    for key, _title in panels:
        if key == "events":
            heights.append(0.6 + 0.2 * max(0, min(len(course.events), 4) - 2))
        elif key == "treatments":
            heights.append(max(1.0, 0.35 * n_tr))
        else:
            heights.append(1.0)
    fig = make_subplots(
        rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
        row_heights=heights,
    )
    months: list[float] = [0.0]
    for frame in (course.treatments.get("stop_month"), course.scores.get("month"),
                  course.events.get("month")):
        if frame is not None:
            months.extend(float(m) for m in frame.dropna())
    for df in course.labs.values():
        months.extend(float(m) for m in df["month"].dropna())
    x0, x1 = min(months) - 0.5, max(months) + 0.5

    for row, (key, label) in enumerate(panels, start=1):
        if key == "events":
            _events_panel(fig, course, row)
        elif key == "treatments":
            _treatments_panel(fig, course, row)
        elif key.startswith("lab:"):
            lab = key[4:]
            _lab_panel(fig, lab, course.labs[lab], row, normal_ranges, lab.lower() in log_set,
                       x0, x1)
        else:
            _scores_panel(fig, course, row, threshold, x0, x1)
        fig.update_yaxes(title_text=label, row=row, col=1, title_font_size=font_size - 1)

    # vertical lines of key events across all panels
    for r in course.events.itertuples(index=False):
        if str(r.name).lower() in KEY_EVENTS and not pd.isna(r.month):
            fig.add_shape(
                type="line", x0=r.month, x1=r.month, y0=0, y1=1, xref="x", yref="paper",
                line={"color": "#888", "width": 1, "dash": "dot"}, layer="below",
            )
    fig.update_xaxes(range=[x0, x1], showgrid=True, gridcolor="#eee", zeroline=False, showline=False)
    fig.update_xaxes(title_text=_("Months since diagnosis"), row=len(panels), col=1)
    fig.update_layout(
        template="plotly_white",
        height=int(160 + 150 * sum(heights)),
        barmode="overlay",
        uniformtext={"minsize": 9, "mode": "hide"},
        hovermode="closest",
        font={"family": FONT, "size": font_size},
        title={"text": title or _("Patient {patient}", patient=course.patient_id), "x": 0.01},
        legend={"orientation": "h", "y": -0.08, "x": 0},
        margin=_timeline_margins(course, font_size),
    )
    _french_numbers(fig)
    return fig


def _french_numbers(fig: go.Figure) -> None:
    """Plotly's number formatting with a decimal comma in French."""
    if language() == "fr":
        fig.update_layout(separators=", ")


def _events_panel(fig: go.Figure, course: PatientCourse, row: int) -> None:
    ev = course.events
    if ev.empty:
        fig.update_yaxes(visible=False, row=row, col=1)
        return
    # stack labels of close events on successive levels so that they do not overlap
    months = [float(m) for m in ev["month"]]
    span = (max(months) - min(min(months), 0.0)) or 1.0
    last_end: list[float] = []
    ys: list[int] = []
    for m, n in zip(months, ev["name"], strict=True):
        half = span * (len(_label(str(n))) * 7 + 12) / 2 / 900  # label half-width, months
        level = next((k for k, end in enumerate(last_end) if end < m - half), len(last_end))
        if level == len(last_end):
            last_end.append(m + half)
        else:
            last_end[level] = m + half
        ys.append(level + 1)
    fig.add_trace(
        go.Scatter(
            x=ev["month"], y=ys, mode="markers+text",
            text=[_label(n) for n in ev["name"]], textposition="top center",
            marker={
                "symbol": [EVENT_SYMBOLS.get(str(n).lower(), "circle") for n in ev["name"]],
                "size": 12,
                "color": ["#000" if str(n).lower() in ("death", "cancer") else "#555"
                          for n in ev["name"]],
            },
            customdata=np.stack([_dates(ev["date"]), ev["detail"]], axis=-1),
            hovertemplate=_("<b>%{text}</b><br>month %{x:.1f} (%{customdata[0]})"
                            "<br>%{customdata[1]}<extra></extra>"),
            name="events", showlegend=False,
        ),
        row=row, col=1,
    )
    fig.update_yaxes(visible=True, showticklabels=False, range=[0.3, max(ys) + 1.3],
                     showgrid=False, showline=False, zeroline=True, row=row, col=1)


def _treatments_panel(fig: go.Figure, course: PatientCourse, row: int) -> None:
    tr = course.treatments
    names = list(pd.unique(tr["name"]))
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        g = tr[tr["name"] == name]
        dur = (g["stop_month"] - g["start_month"]).astype(float)
        bars = g[dur * DAYS_PER_MONTH >= 1.0]
        points = g[dur * DAYS_PER_MONTH < 1.0]

        def hover(df: pd.DataFrame) -> list[str]:
            out = []
            for r in df.itertuples(index=False):
                stop = _date(r.stop) if not pd.isna(r.stop) else "?"
                extra = _(" (no stop date: drawn to the last event)") if r.open_ended else ""
                out.append(_(
                    "<b>{name}</b><br>{dose}<br>{start} → {stop}{extra}<br>months {start_month}–{stop_month}",
                    name=r.name, dose=r.dose, start=_date(r.start), stop=stop, extra=extra,
                    start_month=fmt_number(r.start_month, 1), stop_month=fmt_number(r.stop_month, 1),
                ))
            return out

        if not bars.empty:
            fig.add_trace(
                go.Bar(
                    y=[name] * len(bars), x=(bars["stop_month"] - bars["start_month"]),
                    base=bars["start_month"], orientation="h",
                    text=[_short_dose(r) for r in bars.itertuples(index=False)],
                    textposition="inside", insidetextanchor="middle",
                    textfont={"color": "white", "size": 11},
                    marker={
                        "color": color, "line": {"color": "white", "width": 1.5},
                        "pattern": {"shape": ["/" if o else "" for o in bars["open_ended"]],
                                    "fgcolor": "white"},
                    },
                    opacity=0.85, width=0.6, hovertext=hover(bars), hoverinfo="text",
                    name=name, legendgroup=name, showlegend=False,
                ),
                row=row, col=1,
            )
        if not points.empty:
            fig.add_trace(
                go.Scatter(
                    y=[name] * len(points), x=points["start_month"], mode="markers",
                    marker={"symbol": "diamond", "size": 11, "color": color,
                            "line": {"color": "white", "width": 1}},
                    hovertext=hover(points), hoverinfo="text",
                    name=name, legendgroup=name, showlegend=False,
                ),
                row=row, col=1,
            )
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names[::-1],
                     row=row, col=1, showgrid=False, showline=False, zeroline=False)


def _short_dose(r: object) -> str:
    """Dose shown inside a bar: ``value unit`` when numeric, else nothing."""
    value = getattr(r, "value", float("nan"))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{num_g(value)} {getattr(r, 'unit', '')}".strip()


def _lab_panel(
    fig: go.Figure, lab: str, df: pd.DataFrame, row: int,
    normal_ranges: Mapping[str, tuple[float, float, str]], log: bool, x0: float, x1: float,
) -> None:
    rng = normal_ranges.get(lab.lower())
    values = df["value"].astype(float)
    if rng is not None:
        low, high, _unit = rng
        fig.add_trace(
            go.Scatter(x=[x0, x1], y=[low, low], mode="lines", line={"width": 0},
                       hoverinfo="skip", showlegend=False, name=_("{lab} normal low", lab=lab)),
            row=row, col=1,
        )
        fig.add_trace(
            go.Scatter(x=[x0, x1], y=[high, high], mode="lines", line={"width": 0},
                       fill="tonexty", fillcolor="rgba(0,158,115,0.15)",
                       hovertemplate=_("normal range {low}–{high}<extra></extra>", low=num_g(low), high=num_g(high)),
                       showlegend=False, name=_("{lab} normal range", lab=lab)),
            row=row, col=1,
        )
    unit = next((u for u in df["unit"] if u), "")
    fig.add_trace(
        go.Scatter(
            x=df["month"], y=values, mode="lines+markers", name=lab,
            line={"color": "#333"}, marker={"size": 8},
            customdata=_dates(df["date"]),
            hovertemplate=_("<b>{lab}</b> %{{y:,.4g}} {unit}<br>month %{{x:.1f}} (%{{customdata}})<extra></extra>",
                            lab=lab, unit=unit),
            showlegend=False,
        ),
        row=row, col=1,
    )
    if log and (values > 0).all():
        lo = min(values.min(), rng[0] if rng else values.min())
        hi = max(values.max(), rng[1] if rng else values.max())
        lo, hi = lo / 1.6, hi * 1.6
        fig.update_yaxes(type="log", range=[math.log10(lo), math.log10(hi)],
                         tickvals=log_ticks(lo, hi), row=row, col=1)
    fig.update_yaxes(showgrid=True, showline=False, zeroline=True, row=row, col=1)


def _scores_panel(
    fig: go.Figure, course: PatientCourse, row: int, threshold: float, x0: float, x1: float
) -> None:
    sc = course.scores
    for i, (name, g) in enumerate(sc.groupby("name", sort=False)):
        is_ifn = str(name).lower() == INTERFERON_SCORE_NAME
        colors = ([POSITIVE_COLOR if v > threshold else NEGATIVE_COLOR for v in g["value"]]
                  if is_ifn else PALETTE[(i + 3) % len(PALETTE)])
        fig.add_trace(
            go.Scatter(
                x=g["month"], y=g["value"], mode="lines+markers+text", name=_label(name),
                text=[_fmt(v) for v in g["value"]], textposition="top right",
                line={"color": "#999", "dash": "solid"},
                marker={"size": 11, "color": colors},
                customdata=np.stack([_dates(g["date"]), g["detail"]], axis=-1),
                hovertemplate=_("<b>{name}</b> %{{y:.3g}}<br>month %{{x:.1f}} (%{{customdata[0]}})"
                                "<br>%{{customdata[1]}}<extra></extra>", name=_label(name)),
                showlegend=sc["name"].nunique() > 1,
            ),
            row=row, col=1,
        )
        if is_ifn:
            fig.add_trace(
                go.Scatter(
                    x=[x0, x1], y=[threshold, threshold], mode="lines",
                    line={"color": POSITIVE_COLOR, "dash": "dash", "width": 1.5},
                    name=_("positivity threshold {threshold}", threshold=num_g(threshold)),
                    hovertemplate=_("positive above {threshold}<extra></extra>", threshold=num_g(threshold)),
                    showlegend=True,
                ),
                row=row, col=1,
            )
    top = max(float(sc["value"].max()), threshold) * 1.25
    fig.update_yaxes(range=[0, top], showgrid=True, showline=False, zeroline=True, row=row, col=1)


# --------------------------------------------------------------------------------------
# Interferon calculator figures
# --------------------------------------------------------------------------------------
def fold_change_figure(
    result: InterferonResult,
    sample_ids: Sequence[str] | None = None,
    show_threshold: bool = True,
    font_size: int = 13,
) -> go.Figure:
    """Per-gene fold changes (grouped bars, log axis), one colour per sample.

    The line at 1 is the healthy-control median; the dashed line is the score threshold
    (the score is the median of the bars of a sample, given in the legend).

    Parameters
    ----------
    result : InterferonResult
    sample_ids : sequence of str, optional
        Samples to draw (default: the patient samples, else all).
    show_threshold : bool
    font_size : int

    Returns
    -------
    plotly.graph_objects.Figure
    """
    scores = result.scores.set_index("sample_id")
    if sample_ids is None:
        pats = result.scores.loc[result.scores["sample_type"] == "patient", "sample_id"]
        sample_ids = list(pats) if len(pats) else list(result.scores["sample_id"])
    fc = result.fold_changes
    fig = go.Figure()
    for i, sid in enumerate(sample_ids):
        g = fc[fc["sample_id"] == sid].set_index("gene").reindex(list(result.genes))
        score = float(scores.at[sid, "score"])
        pos = bool(scores.at[sid, "positive"])
        fig.add_trace(
            go.Bar(
                x=list(result.genes), y=g["fold_change"],
                name=(_("{sample} (score {score}, positive)", sample=sid, score=num_g(score, ".3g")) if pos
                      else _("{sample} (score {score}, negative)", sample=sid, score=num_g(score, ".3g"))),
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate=_("<b>{sample}</b> %{{x}}: fold change %{{y:.3g}}<extra></extra>", sample=sid),
            )
        )
    _hline(fig, 1.0, _("control<br>median"), GREY, "solid", log=True)
    if show_threshold:
        _hline(fig, result.threshold, _("score<br>threshold<br>{threshold}", threshold=num_g(result.threshold)),
               POSITIVE_COLOR, "dash", log=True)
    vals = fc.loc[fc["sample_id"].isin(list(sample_ids)), "fold_change"].astype(float)
    lo = min(float(vals.min()) if len(vals) else 1.0, 1.0) / 1.6
    hi = max(float(vals.max()) if len(vals) else 1.0, result.threshold) * 1.6
    fig.update_yaxes(type="log", range=[math.log10(lo), math.log10(hi)],
                     tickvals=log_ticks(lo, hi), showgrid=True, showline=False, zeroline=True,
                     title_text=_("Fold change vs healthy controls (log scale)"))
    fig.update_xaxes(title_text=_("Gene"), showgrid=False, showline=False, zeroline=False)
    fig.update_layout(
        template="plotly_white", barmode="group", font={"family": FONT, "size": font_size},
        title={"text": _("Interferon-stimulated genes: fold change per gene"), "x": 0.01},
        legend={"orientation": "h", "y": -0.25, "x": 0}, height=480,
        margin={"l": 70, "r": 90, "t": 60, "b": 140},  # the legend below the gene names
    )
    _french_numbers(fig)
    return fig


def score_figure(result: InterferonResult, font_size: int = 13) -> go.Figure:
    """Interferon score of every sample (bars, log axis) with the threshold line."""
    sc = result.scores
    colors = [
        LIGHT_GREY if t == "healthy_control" else (POSITIVE_COLOR if p else NEGATIVE_COLOR)
        for t, p in zip(sc["sample_type"], sc["positive"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=sc["sample_id"], y=sc["score"], marker_color=colors,
            text=[num_g(v, ".3g") for v in sc["score"]], textposition="outside",
            customdata=[_sample_type(t) for t in sc["sample_type"]],
            hovertemplate=_("<b>%{x}</b> (%{customdata})<br>score %{y:.3g}<extra></extra>"),
            showlegend=False,
        )
    )
    _hline(fig, result.threshold, _("threshold<br>{threshold}", threshold=num_g(result.threshold)), POSITIVE_COLOR,
           "dash", log=True)
    lo = min(float(sc["score"].min()), 1.0) / 1.6
    hi = max(float(sc["score"].max()), result.threshold) * 1.8
    fig.update_yaxes(type="log", range=[math.log10(lo), math.log10(hi)], showgrid=True, showline=False,
                     zeroline=True, tickvals=log_ticks(lo, hi), title_text=_("Interferon score (log scale)"))
    fig.update_xaxes(showgrid=False, showline=False, zeroline=False)
    fig.update_layout(
        template="plotly_white", font={"family": FONT, "size": font_size},
        title={"text": _("Interferon scores (grey: healthy controls)"), "x": 0.01},
        height=420, margin={"l": 70, "r": 90, "t": 60, "b": 80},
    )
    _french_numbers(fig)
    return fig


def _sample_type(kind: object) -> str:
    """A sample type as shown (patient, healthy control) in the current language."""
    return {"patient": _("patient"), "healthy_control": _("healthy control")}.get(str(kind), str(kind))
