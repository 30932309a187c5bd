"""Figures of the Cohort page, each one a way to filter (click a bar, brush a histogram).

Pure functions of the (filtered) cohort; :func:`core.filters.filter_from_selection` turns
their selections into a filter:

* :func:`subtype_bars` — patients per antibody subtype (chart ``"subtype"``);
* :func:`sex_bars` — women and men (chart ``"sex"``);
* :func:`yes_no_bars` — a yes/no column such as ``cancer`` (chart ``"cancer"``);
* :func:`group_bars` — the three above side by side in one figure (chart ``"groups"``:
  each bar's trace has the chart's name as ``legendgroup``);
* :func:`age_histogram` — age at diagnosis in whole-year bins (chart ``"age"``);
* :func:`numeric_histogram` — any other numeric column, e.g. CK (chart ``"range:<column>"``);
* :func:`feature_frequencies` — % yes of the yes/no features, with n/N (chart ``"features"``).

Every bar carries in ``customdata`` the value it stands for (a code, ``[column, value]``,
or a bin's ``[low, high]``). Payloads are bounded whatever the cohort size: counts per
bar or per bin (at most :data:`MAX_BINS` bins, :data:`MAX_FEATURES` features), never one
point per patient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.common import figure_from_spec, template_spec, text_width
from core.constants import (
    BLUE,
    FONT_FAMILY,
    GRID_COLOR,
    LIGHT_GREY,
    TEXT_COLOR,
    VERMILLION,
)
from core.i18n import _, core_label, fmt_number, fmt_pct, subtype_label
from core.schema import SUBTYPE_VALUES, DataDictionary
from core.summary import count_known, count_yes

#: At most this many bins in a histogram.
MAX_BINS = 30
#: At most this many features in the frequency chart (the most frequent).
MAX_FEATURES = 30
#: Height of one chart of the grid (px).
HEIGHT = 260

__all__ = [
    "HEIGHT", "MAX_BINS", "MAX_FEATURES", "age_histogram", "feature_frequencies", "group_bars", "histogram_bins",
    "numeric_columns", "numeric_histogram", "sex_bars", "subtype_bars", "yes_no_bars",
]


#: Margins (px) wide enough for the axis labels and titles of the grid's charts.
#: ``simple_white`` turns plotly's ``automargin`` on: when a label does not fit, plotly.js
#: widens the margin and draws the whole chart a second time, which doubled the browser's
#: drawing time of the Cohort page (every chart was drawn twice on every filter change).
#: These margins fit the usual labels, so ``automargin`` stays only as the fallback for a
#: label longer than foreseen.
MARGIN = {"l": 70, "r": 10, "t": 36, "b": 60}


def _layout(title: str, select: bool = False, height: int = HEIGHT, margin: dict[str, int] | None = None) -> dict[str, Any]:
    """Compact journal style (plotly's ``simple_white``); ``select``: dragging brushes a
    range along x; ``margin``: :data:`MARGIN` unless given."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        "template": template_spec("simple_white", ("bar",)), "height": height,
        "margin": dict(margin or MARGIN),
        "font": {"family": FONT_FAMILY, "size": 12, "color": TEXT_COLOR}, "showlegend": False, "bargap": 0.15,
        "clickmode": "event+select", "dragmode": "select" if select else "zoom", "selectdirection": "h" if select else "any",
        "yaxis": {"gridcolor": GRID_COLOR, "showgrid": True, "rangemode": "tozero", "title": {"text": _("Patients")}},
    }


def _bars(labels: list[str], counts: list[int], custom: list[list[Any]], colors: list[str], title: str,
          total: int) -> go.Figure:
    """Vertical bars of counts labelled ``n``, hover ``label: n (pct)``."""
    hover = [f"{lab}: {n} ({fmt_pct(100 * n / total if total else 0)})" for lab, n in zip(labels, counts, strict=True)]
    bar = {"type": "bar", "x": labels, "y": counts, "customdata": custom, "marker": {"color": colors},
           "text": [str(n) for n in counts], "textposition": "outside", "cliponaxis": False, "hovertext": hover,
           "hovertemplate": "%{hovertext}<extra></extra>"}
    return figure_from_spec([bar], _layout(title))


def subtype_bars(df: pd.DataFrame) -> go.Figure:
    """Patients per antibody subtype (subtypes with at least one patient, in the usual order);
    ``customdata`` ``[code]``."""
    col = df["antibody_subtype"] if "antibody_subtype" in df else pd.Series("untested", index=df.index)
    counts = col.value_counts()
    codes = [c for c in SUBTYPE_VALUES if counts.get(c, 0) > 0]
    colors = [LIGHT_GREY if c in ("seronegative", "untested") else BLUE for c in codes]
    return _bars([subtype_label(c) for c in codes], [int(counts[c]) for c in codes], [[c] for c in codes], colors,
                 _("Antibody subtypes"), len(df))


def sex_bars(df: pd.DataFrame) -> go.Figure:
    """Women and men (patients of unknown sex are not a bar); ``customdata`` ``[code]``."""
    sex = df["sex"] if "sex" in df else pd.Series(dtype=object)
    codes = ["F", "M"]
    found = sex.value_counts()
    counts = [int(found.get(c, 0)) for c in codes]
    return _bars([_("Female"), _("Male")], counts, [[c] for c in codes], [VERMILLION, BLUE], _("Sex"), len(df))


def yes_no_bars(df: pd.DataFrame, column: str = "cancer", dictionary: DataDictionary | None = None) -> go.Figure:
    """Yes and no of a yes/no column (missing values are not a bar); ``customdata``
    ``[column, 1.0]`` / ``[column, 0.0]``."""
    dictionary = dictionary or DataDictionary()
    values = df[column] if column in df else pd.Series(dtype=float)
    counts = [int((values == 1.0).sum()), int((values == 0.0).sum())]
    return _bars([_("yes"), _("no")], counts, [[column, 1.0], [column, 0.0]], [VERMILLION, LIGHT_GREY],
                 core_label(column, dictionary.label(column)), len(df))


def group_bars(df: pd.DataFrame, dictionary: DataDictionary | None = None, yes_no: str = "cancer") -> go.Figure:
    """:func:`subtype_bars`, :func:`sex_bars` and (when the cohort has it) :func:`yes_no_bars`
    of ``yes_no``, side by side in one figure.

    One figure instead of three: the browser mounts and draws one chart on each filter
    change, not three (about 20 ms less, ``python -m bench browser``). Each trace keeps its
    chart's ``customdata`` and carries the chart's name (``"subtype"``, ``"sex"``,
    ``"cancer"``) as ``legendgroup``, which a click's selection reports
    (:func:`core.filters.filter_from_selection` with chart ``"groups"``).
    """
    parts = [("subtype", subtype_bars(df)), ("sex", sex_bars(df))]
    if yes_no in df:
        parts.append(("cancer", yes_no_bars(df, yes_no, dictionary)))
    widths = {"subtype": 0.40, "sex": 0.25, "cancer": 0.25}
    gap = (1.0 - sum(widths[name] for name, _fig in parts)) / max(1, len(parts) - 1)
    # room below and to the right for names plotly slants (the subtypes', any long label)
    layout = _layout("", margin={**MARGIN, "r": 60, "b": 85})
    layout.pop("title")
    layout["annotations"] = []
    left = 0.0
    data = []
    for i, (name, fig) in enumerate(parts):
        spec = fig.to_plotly_json()
        suffix = "" if i == 0 else str(i + 1)
        right = min(1.0, left + widths[name])
        for trace in spec["data"]:
            data.append({**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "legendgroup": name})
        yaxis = dict(spec["layout"]["yaxis"])
        if i:
            yaxis["title"] = {"text": ""}
        layout[f"xaxis{suffix}"] = {"domain": [left, right], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**yaxis, "anchor": f"x{suffix}"}
        layout["annotations"].append({"text": spec["layout"]["title"]["text"], "x": left, "xref": "paper", "xanchor": "left",
                                      "y": 1, "yref": "paper", "yanchor": "bottom", "yshift": 8, "showarrow": False,
                                      "font": {"size": 14}})
        left = right + gap
    return figure_from_spec(data, layout)


def histogram_bins(values: pd.Series, max_bins: int = MAX_BINS, step: float | None = None) -> np.ndarray:
    """Bin edges of round width (1, 2, 2.5 or 5 × 10^k; ``step`` when given) covering the
    values, at most ``max_bins`` bins; a single value gets one bin of width 1."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    v = v[np.isfinite(v)]
    if v.empty:
        return np.array([], dtype=float)
    lo, hi = float(v.min()), float(v.max())
    if step is None:
        span = hi - lo
        if span <= 0:
            return np.array([math.floor(lo), math.floor(lo) + 1.0])
        raw = span / max_bins
        power = 10.0 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / step) * step
    n = max(1, math.floor((hi - start) / step) + 1)
    while n > max_bins:  # a given step too fine for the range: widen it
        step *= 2
        start = math.floor(lo / step) * step
        n = max(1, math.floor((hi - start) / step) + 1)
    return start + step * np.arange(n + 1)


def _histogram(values: pd.Series, edges: np.ndarray, title: str, x_title: str, digits: int) -> go.Figure:
    """Counts per bin ``[low, high)`` (the last bin holds its upper edge); ``customdata``
    ``[low, high]``; dragging brushes a range."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    data = []
    if len(edges) >= 2:
        counts, _edges = np.histogram(v[np.isfinite(v)], bins=edges)
        lows, highs = edges[:-1], edges[1:]
        hover = [_("{low}–{high}: {n}", low=fmt_number(a, digits), high=fmt_number(b, digits), n=int(n))
                 for a, b, n in zip(lows, highs, counts, strict=True)]
        data.append({"type": "bar", "x": ((lows + highs) / 2).tolist(), "y": counts.tolist(),
                     "width": float(edges[1] - edges[0]),
                     "customdata": [[float(a), float(b)] for a, b in zip(lows, highs, strict=True)],
                     "marker": {"color": BLUE, "line": {"color": "white", "width": 1}}, "hovertext": hover,
                     "hovertemplate": "%{hovertext}<extra></extra>"})
    layout = _layout(title, select=True)
    layout["bargap"] = 0
    layout["xaxis"] = {"title": {"text": x_title}}
    return figure_from_spec(data, layout)


def age_histogram(df: pd.DataFrame) -> go.Figure:
    """Age at diagnosis in 5-year bins (whole years, as the sidebar's age filter)."""
    age = df["age_at_diagnosis"] if "age_at_diagnosis" in df else pd.Series(dtype=float)
    return _histogram(age, histogram_bins(age, step=5.0), _("Age at diagnosis (years)"), _("Age at diagnosis (years)"), 0)


def numeric_histogram(df: pd.DataFrame, column: str, dictionary: DataDictionary | None = None) -> go.Figure:
    """Any numeric column (``ck_max_ul``...) in at most :data:`MAX_BINS` bins of round width."""
    dictionary = dictionary or DataDictionary()
    values = df[column] if column in df else pd.Series(dtype=float)
    edges = histogram_bins(values)
    width = float(edges[1] - edges[0]) if len(edges) >= 2 else 1.0
    digits = 0 if width >= 1 and float(width).is_integer() else max(1, -math.floor(math.log10(width)) + 1)
    label = core_label(column, dictionary.label(column))
    return _histogram(values, edges, label, label, digits)


def numeric_columns(df: pd.DataFrame, dictionary: DataDictionary) -> list[str]:
    """Continuous and ordinal columns with a value (age left out: it has its own chart)."""
    return [c for c in df.columns if c != "age_at_diagnosis" and dictionary.get(c).type in ("continuous", "ordinal")
            and pd.api.types.is_numeric_dtype(df[c]) and df[c].notna().any()]


def feature_frequencies(df: pd.DataFrame, dictionary: DataDictionary, max_features: int = MAX_FEATURES) -> go.Figure:
    """% yes of each yes/no feature (antibodies left out: they are the subtypes), the most
    frequent first, at most ``max_features``; labelled n/N; ``customdata`` ``[column, 1.0]``."""
    columns = [c for c in df.columns if dictionary.get(c).type == "binary" and not str(c).startswith("anti_")]
    known, yes = count_known(df, columns), count_yes(df, columns)
    rows = [(100 * y / k, y, k, c) for c, k, y in zip(columns, known, yes, strict=True) if k]
    rows = sorted(rows, key=lambda r: (-r[0], str(r[3])))[:max_features]
    rows.reverse()  # horizontal bars are drawn bottom-up: the most frequent on top
    labels = [core_label(c, dictionary.label(c)) for *_r, c in rows]
    bar = {"type": "bar", "x": [round(r[0], 1) for r in rows], "y": labels, "orientation": "h",
           "customdata": [[c, 1.0] for *_r, c in rows], "marker": {"color": BLUE},
           "text": [f"{r[1]}/{r[2]}" for r in rows], "textposition": "outside", "cliponaxis": False,
           "hovertext": [f"{lab}: {fmt_pct(r[0])} ({r[1]}/{r[2]})" for lab, r in zip(labels, rows, strict=True)],
           "hovertemplate": "%{hovertext}<extra></extra>"}
    layout = _layout(_("Features: % yes (n/N)"), height=max(HEIGHT, 60 + 18 * len(rows)))
    # Room for the longest feature name (automargin widens it if the estimate is short).
    longest = max((text_width(lab, 12) for lab in labels), default=0.0)
    layout["margin"] = {"l": min(400, 16 + int(longest)), "r": 50, "t": 36, "b": 60}
    layout["xaxis"] = {"title": {"text": _("% yes")}, "range": [0, 110], "gridcolor": GRID_COLOR, "showgrid": True}
    layout["yaxis"] = {"gridcolor": GRID_COLOR, "showgrid": False, "automargin": True, "rangemode": "normal"}
    return figure_from_spec([bar], layout)
