"""Number formatting shared by tables, figures and exports (journal style).

Every function follows the current language (:mod:`core.i18n`): ``.008`` / ``54.6%`` in
English, ``0,008`` / ``54,6 %`` (narrow no-break space) in French. Raw numbers in payloads
and full-precision CSV/JSON never go through these functions, so they keep a decimal point.
"""

from __future__ import annotations

import math

from core.i18n import fmt_number, fmt_p, fmt_pct


def format_p(p: float | None, digits: int = 2) -> str:
    """Format a P value as journals print it.

    English: ``<.001`` below 0.001, ``>.99`` above 0.99, otherwise ``digits`` significant
    figures without the leading zero, three decimals below 0.01 (".008", ".03", ".35").
    French: the same with the leading zero and a decimal comma ("0,008", "<0,001", ">0,99").
    The same as :func:`core.i18n.fmt_p` (one implementation).

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
    return fmt_p(p, digits)


def format_ratio(x: float | None, decimals: int = 2) -> str:
    """Format a ratio (odds / hazard / incidence), with ``∞`` for infinite values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞"
    return fmt_number(x, decimals)


def format_ci(low: float | None, high: float | None, decimals: int = 2) -> str:
    """Format a confidence interval as ``low–high``."""
    return f"{format_ratio(low, decimals)}–{format_ratio(high, decimals)}"


def format_n_of_N(n: int, N: int) -> str:
    """``n/N (pct%)`` with the percentage rounded to one decimal; ``—`` when N is 0."""
    if N == 0:
        return "—"
    return f"{n}/{N} ({fmt_pct(100 * n / N, 1)})"
