"""Number formatting shared by tables, figures and exports (journal style)."""

from __future__ import annotations

import math


def format_p(p: float | None, digits: int = 2) -> str:
    """Format a P value as journals print it.

    ``<.001`` below 0.001, ``>.99`` above 0.99, otherwise ``digits`` significant
    figures without the leading zero, three decimals below 0.01 (".008", ".03", ".35").

    Parameters
    ----------
    p : float or None
        The P value; ``None`` or NaN gives an em dash.
    digits : int
        Significant figures for P >= 0.01.

    Returns
    -------
    str
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    if p < 0.001:
        return "<.001"
    if p > 0.99:
        return ">.99"
    if p < 0.01:
        text = f"{p:.3f}"
    else:
        text = f"{p:.{digits}f}"
        if text == "1.00":
            return ">.99"
    return text.removeprefix("0")


def format_ratio(x: float | None, decimals: int = 2) -> str:
    """Format a ratio (odds / hazard / incidence), with ``∞`` for infinite values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞"
    return f"{x:.{decimals}f}"


def format_ci(low: float | None, high: float | None, decimals: int = 2) -> str:
    """Format a confidence interval as ``low–high``."""
    return f"{format_ratio(low, decimals)}–{format_ratio(high, decimals)}"


def format_n_of_N(n: int, N: int) -> str:
    """``n/N (pct%)`` with the percentage rounded to one decimal; ``—`` when N is 0."""
    if N == 0:
        return "—"
    return f"{n}/{N} ({100 * n / N:.1f}%)"
