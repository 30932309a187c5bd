"""Helpers shared by the figure modules (colours and fonts are in :mod:`core.constants`)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

__all__ = ["new_figure", "rgba", "unvalidated"]


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
