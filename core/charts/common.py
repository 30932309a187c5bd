"""Helpers shared by the figure modules (colours and fonts are in :mod:`core.constants`)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

__all__ = ["new_figure", "num_g", "p_equals", "rgba", "unit_name", "unvalidated"]


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
