"""User text stays text: one place that makes cohort-supplied strings harmless.

Column names, patient ids, cancer sites and feature labels come from the user's file. They
are shown in Markdown (Streamlit), in plotly titles and hover text (a small HTML subset),
and written to CSV / XLSX / DOCX / PPTX exports that a spreadsheet may open. Three
functions cover every case:

* :func:`md` — for Markdown: backslash-escapes Markdown punctuation (no link, image,
  emphasis or heading can be formed) and HTML-escapes ``<`` ``>`` ``&``.
* :func:`plain` — for plotly text (titles, legends, hover, annotations): HTML-escaped,
  since plotly renders ``<a href>``, ``<b>``, ``<br>`` in those strings.
* :func:`cell` / :func:`neutralise_frame` — for exports: a text cell (or column name)
  starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with a
  single quote so that no spreadsheet evaluates it as a formula, as OWASP recommends
  ("CSV Injection"); numbers, and text that is exactly a number (``-1.5``), stay as
  they are.

Reference: OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection (not fetched at run time).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet cell a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:$])")


def md(text: object) -> str:
    """``text`` safe inside Streamlit Markdown: shown literally, never a link or image.

    >>> md("![n](http://host/x.png)")
    '\\\\!\\\\[n\\\\]\\\\(http\\\\://host/x\\\\.png\\\\)'
    """
    s = html.escape(str(text), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", s).replace("\n", " ")


def plain(text: object) -> str:
    """``text`` safe in plotly titles, legends, hover text and annotations (HTML-escaped)."""
    return html.escape(str(text), quote=True)


_LIVE_TAG = re.compile(r"<(/?)(a|img|script|iframe|object|embed|link|style)\b", re.IGNORECASE)


def figure_safe(fig: Any) -> dict[str, Any]:
    """A plotly figure as a dict in which no text can form a live link or load anything.

    Plotly renders a small HTML subset in titles, legends, hover text and annotations,
    ``<a href>`` included. Myoscope's own figures use only ``<b>``, ``<i>``, ``<br>``,
    ``<sup>`` and ``<span>``; any ``<a>``, ``<img>``, ``<script>``... found in the figure
    can only come from the user's data, and is shown as text (``&lt;a``). The one place
    every figure goes through before display or export.
    """
    d = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    return _defuse(d)


def _defuse(o: Any) -> Any:
    if isinstance(o, str):
        return _LIVE_TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", o)
    if isinstance(o, dict):
        return {k: _defuse(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_defuse(v) for v in o]
    if hasattr(o, "dtype") and getattr(o, "dtype", None) is not None and o.dtype == object:
        return [_defuse(v) for v in o.tolist()]
    return o


def is_formula(value: object) -> bool:
    """A text that a spreadsheet would evaluate (see :data:`FORMULA_PREFIXES`)."""
    if not isinstance(value, str) or not value:
        return False
    return value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(value.strip())


def cell(value: Any) -> Any:
    """One export cell: a formula-like text gets a leading ``'``; anything else is unchanged."""
    return "'" + value if is_formula(value) else value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot run as formulas.

    Used by every exporter (CSV, XLSX, DOCX, PPTX). Numeric columns are untouched;
    ``df.attrs["neutralised"]`` counts the cells changed, so exports can say so.
    """
    out = df.copy()
    changed = 0
    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(is_formula).to_numpy(dtype=bool)
            if mask.any():
                changed += int(mask.sum())
                out[c] = s.where(~mask, s[mask].map(lambda v: "'" + v))
    new_cols = [cell(c) if isinstance(c, str) else c for c in out.columns]
    changed += sum(1 for a, b in zip(out.columns, new_cols, strict=True) if a != b)
    out.columns = new_cols
    out.attrs["neutralised"] = changed
    return out


__all__ = ["FORMULA_PREFIXES", "cell", "figure_safe", "is_formula", "md", "neutralise_frame", "plain"]
