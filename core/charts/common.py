"""Helpers shared by the figure modules (colours and fonts are in :mod:`core.constants`)."""

from __future__ import annotations

__all__ = ["rgba"]


def rgba(hex_color: str, alpha: float) -> str:
    """``"#RRGGBB"`` as a plotly ``rgba(r,g,b,alpha)`` string (translucent fills)."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i: i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
