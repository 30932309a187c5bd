"""Exports: full-precision CSV, XLSX and DOCX tables, PNG/SVG figures rendered locally."""

from __future__ import annotations

import io
import math
import shutil

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.export import (
    ExportError,
    figure_to_image,
    plotly_config,
    table_to_csv,
    table_to_docx,
    table_to_xlsx,
)

DF = pd.DataFrame({
    "feature": ["Gottron papules", "CK"],
    "p_value": [0.000423156789012345, 0.2345678901234567],
    "odds_ratio": [4.04, math.inf],
    "n": pd.array([53, None], dtype="Int64"),
    "date": pd.to_datetime(["2020-01-01", None]),
})


def test_csv_keeps_full_precision():
    back = pd.read_csv(io.BytesIO(table_to_csv(DF)), float_precision="round_trip")
    assert back["p_value"].tolist() == DF["p_value"].tolist()  # exact float round trip
    assert back["odds_ratio"].iloc[1] == math.inf


def test_xlsx_numbers_stay_numbers():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(table_to_xlsx(DF, title="Table I", footnote="Fisher's exact test")))
    ws = wb.active
    assert ws["A1"].value == "Table I"
    assert [c.value for c in ws[3]] == list(DF.columns)
    assert ws["B4"].value == DF["p_value"].iloc[0]
    assert ws["C5"].value == "Inf" and ws["D5"].value is None
    assert ws.cell(row=7, column=1).value == "Fisher's exact test"


def test_docx_has_the_table():
    from docx import Document

    doc = Document(io.BytesIO(table_to_docx(DF.astype(str), title="Table I", footnote="note")))
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == list(DF.columns)
    assert t.rows[1].cells[0].text == "Gottron papules"
    assert doc.paragraphs[0].text == "Table I" and doc.paragraphs[-1].text == "note"


def test_plotly_config_has_no_outside_link():
    cfg = plotly_config("km")
    assert cfg["displaylogo"] is False and cfg["showLink"] is False
    assert cfg["toImageButtonOptions"]["filename"] == "km"


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="needs Chromium for kaleido")
def test_figure_png_and_svg_render_locally():
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 0.8, 0.6], line_shape="hv"))
    try:
        png = figure_to_image(fig, "png", width=400, height=300, scale=1)
    except ExportError as exc:  # pragma: no cover - reported, not hidden
        pytest.fail(str(exc))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = figure_to_image(fig, "svg", width=400, height=300)
    assert b"<svg" in svg[:500]
    with pytest.raises(ValueError):
        figure_to_image(fig, "gif")


# ------------------------------------------------------------------ issue 10: exports cannot execute
HOSTILE = pd.DataFrame({"=HYPERLINK(\"http://x\",\"h\")": ["=HYPERLINK(\"http://evil\",\"v\")", "@SUM(1)", "ok"],
                        "n": [-1.5, 2.0, 3.0], "text_number": ["-2", "+1", "x"]})


def test_csv_export_neutralises_formulas_keeps_numbers():
    back = pd.read_csv(io.BytesIO(table_to_csv(HOSTILE)), dtype=str, keep_default_na=False)
    assert next(iter(back.columns)).startswith("'=")
    assert back.iloc[:, 0].tolist() == ["'=HYPERLINK(\"http://evil\",\"v\")", "'@SUM(1)", "ok"]
    assert back["n"].tolist() == ["-1.5", "2.0", "3.0"] and back["text_number"].tolist() == ["-2", "+1", "x"]


def test_xlsx_export_writes_no_formula():
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(table_to_xlsx(HOSTILE, title="=cmd", footnote="+x"))).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert "'=cmd" in values and "'+x" in values and -1.5 in values
    from core.safe_text import is_formula

    assert not any(is_formula(v) for v in values)


def test_docx_export_neutralises_formulas():
    from docx import Document

    doc = Document(io.BytesIO(table_to_docx(HOSTILE, title="=t")))
    texts = [c.text for c in doc.tables[0]._cells]
    assert "'@SUM(1)" in texts and not any(t.startswith(("=", "@")) for t in texts)
    assert doc.paragraphs[0].text == "'=t"


def test_renderer_page_loads_nothing_from_outside():
    """MathJax off and plotly.js from the installed package: the renderer's page names no URL."""
    from kaleido._page_generator import PageGenerator

    from core.export import RENDERER_OPTIONS

    page = PageGenerator(mathjax=RENDERER_OPTIONS["mathjax"]).generate_index()
    assert "http://" not in page and "https://" not in page and "mathjax" not in page.lower()


def _borders(el, tag: str) -> dict[str, tuple[str, str | None]]:
    from docx.oxml.ns import qn

    found = el.find(qn(tag))
    if found is None:
        return {}
    return {child.tag.split("}")[1]: (child.get(qn("w:val")), child.get(qn("w:sz"))) for child in found}


def test_docx_journal_style_is_a_three_line_table():
    """Top rule, rule under the header, bottom rule; no vertical lines, no rule between
    body rows; cells still neutralised."""
    from docx import Document

    df = pd.DataFrame({"Characteristic": ["Patients, n", "=HYPERLINK(1)", "Age"], "Overall": ["119", "3", "55"]})
    doc = Document(io.BytesIO(table_to_docx(df, title="Table 1", footnote="n/N (%)", style="journal")))
    t = doc.tables[0]
    assert t.style.name != "Table Grid"
    table_b = _borders(t._tbl.tblPr, "w:tblBorders")
    assert table_b["top"] == ("single", "12") and table_b["bottom"] == ("single", "12")
    for side in ("left", "right", "insideH", "insideV"):
        assert table_b[side][0] == "nil"
    for c in t.rows[0].cells:  # rule under the header
        assert _borders(c._tc.tcPr, "w:tcBorders")["bottom"] == ("single", "6")
    for row in t.rows[1:]:  # body rows carry no cell borders of their own
        assert all(c._tc.tcPr is None or not _borders(c._tc.tcPr, "w:tcBorders") for c in row.cells)
    assert [c.text for c in t.rows[0].cells] == ["Characteristic", "Overall"]
    assert t.rows[2].cells[0].text == "'=HYPERLINK(1)"
    assert doc.paragraphs[0].text == "Table 1" and doc.paragraphs[-1].text == "n/N (%)"


def test_docx_grid_style_is_the_default_and_unknown_styles_are_refused():
    from docx import Document

    doc = Document(io.BytesIO(table_to_docx(DF.astype(str))))
    assert doc.tables[0].style.name == "Table Grid"
    with pytest.raises(ValueError, match="unknown table style"):
        table_to_docx(DF.astype(str), style="fancy")


def test_xlsx_keeps_every_bit_of_a_float():
    """openpyxl writes 16 significant digits; the export writes 17 (repr) where needed."""
    from openpyxl import load_workbook

    x = 0.1 + 0.2  # 0.30000000000000004 needs 17 digits
    ws = load_workbook(io.BytesIO(table_to_xlsx(pd.DataFrame({"p": [x, 1 / 3]})))).active
    assert [ws.cell(row=r, column=1).value for r in (2, 3)] == [x, 1 / 3]
