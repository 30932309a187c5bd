"""Helpers shared by the figure modules (colours and fonts are in :mod:`core.constants`)."""

from __future__ import annotations

from functools import cache
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["figure_from_spec", "legend_rows", "new_figure", "num_g", "p_equals", "rgba", "template_spec", "text_width", "unit_name", "unvalidated"]

#: The parts of a plotly template that 2-D cartesian charts read (the 3-D, polar, map and
#: colour-scale defaults are left out of :func:`template_spec`).
_CARTESIAN_LAYOUT = ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor", "plot_bgcolor",
                     "xaxis", "yaxis", "title", "shapedefaults", "annotationdefaults")


def unvalidated(fig: Any) -> Any:
    """``fig`` with plotly's per-property validation off (figure and layout).

    The figure builders set only properties they know are valid, and validation costs
    about a quarter of building a figure (plotly checks and copies every property of
    every trace and axis); the JSON sent to the browser is identical
    (``tests/core/test_survival_chart.py``). Uses plotly's ``_validate`` switch, the one
    ``go.Figure(_validate=False)`` sets.
    """
    fig._validate = False
    fig.layout._validate = False
    return fig


def new_figure() -> go.Figure:
    """An empty figure without per-property validation (see :func:`unvalidated`)."""
    return unvalidated(go.Figure())


@cache
def _template_json(name: str, traces: tuple[str, ...]) -> dict[str, Any]:
    full = pio.templates[name].to_plotly_json()
    return {"layout": {k: v for k, v in full.get("layout", {}).items() if k in _CARTESIAN_LAYOUT},
            "data": {k: v for k, v in full.get("data", {}).items() if k in traces}}


def template_spec(name: str, traces: tuple[str, ...]) -> dict[str, Any]:
    """plotly's template ``name`` as the dict plotly.js applies, cut to 2-D cartesian
    layout defaults and the trace types ``traces`` (``("bar",)``): about 1 kB instead of
    9 kB per figure. (plotly.js knows no template by name: a figure built without
    validation must carry the template itself.) A fresh copy each call."""
    import copy

    return copy.deepcopy(_template_json(name, traces))


def figure_from_spec(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A figure from plain trace and layout dicts, without plotly's per-property validation.

    ``update_layout`` and ``add_trace`` walk plotly's property tree even with validation
    off (3–4 ms per small chart); a figure made in one step from dicts takes about 0.1 ms
    and serialises to the same JSON. The caller sets only valid plotly properties, with
    each trace's ``type`` (``tests/core/test_cohort_chart_figures.py`` checks the JSON
    against the validated figure).
    """
    return unvalidated(go.Figure({"data": data, "layout": layout}, _validate=False))


def rgba(hex_color: str, alpha: float) -> str:
    """``"#RRGGBB"`` as a plotly ``rgba(r,g,b,alpha)`` string (translucent fills)."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i: i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def p_equals(p: float | None) -> str:
    """``P = .008`` / ``P <.001`` in English (the figures' historic form); in French
    :func:`core.i18n.fmt_p_equals` (``P = 0,008``, ``P < 0,001``)."""
    from core.i18n import fmt_p, fmt_p_equals, language

    if language() != "en":
        return fmt_p_equals(p)
    text = fmt_p(p)
    return f"P {'' if text.startswith(('<', '>')) else '= '}{text}"


def unit_name(unit: str) -> str:
    """A time unit ("days", "months", "years") in the current language."""
    from core.i18n import _

    return {"days": _("days"), "months": _("months"), "years": _("years")}.get(unit, unit)


def num_g(x: float, spec: str = "g") -> str:
    """``format(x, spec)`` with a decimal comma in French (tick labels, short numbers)."""
    from core.i18n import language

    text = format(x, spec)
    return text.replace(".", ",") if language() == "fr" else text


def text_width(text: str, font_size: float) -> float:
    """Approximate width in pixels of ``text`` in the figures' sans-serif font (0.6 em a
    character: a little wide for most letters, so a margin built on it fits).

    Margins are sized from it instead of plotly's ``automargin``: when a label does not fit
    its margin, plotly.js widens the margin and draws the whole figure a second time, on
    every change (``tests/e2e/support.py::charts_drawn_twice``). ``automargin`` stays on as
    the fallback for a label longer than estimated.
    """
    return 0.6 * font_size * len(text)


def legend_rows(names: list[str], font_size: float, width: float) -> int:
    """How many rows a horizontal plotly legend of ``names`` takes in ``width`` pixels
    (each item: a 40 px symbol and gap, then its text)."""
    rows, used = 1, 0.0
    for name in names:
        item = 40 + text_width(name, font_size)
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows
