"""User text is text (issue 10): Markdown/HTML escaping and export neutralisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.safe_text import cell, is_formula, md, neutralise_frame, plain

HOSTILE = [
    "![n](http://host/x.png)",
    "[click](http://evil.example)",
    "<a href='http://evil.example'>x</a>",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ # title",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_leaves_no_markdown_or_html_construct(text):
    out = md(text)
    assert "<" not in out and ">" not in out or "&lt;" in out
    assert "](" not in out and "![" not in out  # no link or image can form
    assert "**" not in out.replace("\\*", "")


def test_plain_escapes_plotly_html():
    assert plain("<a href='x'>P1</a>") == "&lt;a href=&#x27;x&#x27;&gt;P1&lt;/a&gt;"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","v")', "'=HYPERLINK(\"http://x\",\"v\")"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),  # a number written as text stays a number
        ("+3", "+3"),
        ("Gottron", "Gottron"),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_cell(value, expected):
    assert cell(value) == expected


def test_neutralise_frame_cells_and_headers_numbers_untouched():
    df = pd.DataFrame({"=evil": ["=1+1", "ok", None], "n": [-1, 2, 3], "x": [np.nan, -2.5, 1.0]})
    out = neutralise_frame(df)
    assert list(out.columns) == ["'=evil", "n", "x"]
    assert out["'=evil"].tolist()[:2] == ["'=1+1", "ok"] and out["'=evil"].iloc[2] is None
    assert out["n"].tolist() == [-1, 2, 3] and out["n"].dtype == df["n"].dtype
    assert out.attrs["neutralised"] == 2
    assert not is_formula("P1")


def test_figure_safe_defuses_user_anchors_keeps_own_markup():
    import plotly.graph_objects as go

    from core.safe_text import figure_safe

    fig = go.Figure(go.Scatter(x=[1], y=[1], name="<b>group</b>", hovertext=["P0 <a href='http://e'>x</a>"]))
    fig.update_layout(title="<b>Survival</b><br><img src=x>")
    d = figure_safe(fig)
    text = str(d)
    assert "<a " not in text and "<img" not in text and "&lt;a href" in text
    assert "<b>Survival</b><br>" in d["layout"]["title"]["text"] and d["data"][0]["name"] == "<b>group</b>"
