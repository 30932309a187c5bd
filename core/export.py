"""Exports: tables as CSV / XLSX / DOCX, figures as PNG / SVG.

CSV keeps full precision (``repr`` of floats); XLSX is written with openpyxl and DOCX
with python-docx in a journal style (title, header row in bold, footnote). Every text
cell, header, title and footnote goes through :func:`core.safe_text.neutralise_frame` /
:func:`core.safe_text.cell` first, so a cell such as ``=HYPERLINK(...)`` is written as
text, never as a formula (OWASP); numbers stay numbers.

Figures are rendered by kaleido with the machine's Chromium, locally, by one browser
kept warm for the whole session (``kaleido.start_sync_server``), with MathJax off and
plotly.js taken from the installed plotly package: nothing is fetched from a CDN.
"""

from __future__ import annotations

import io
import math
import re
import zipfile

import pandas as pd

from core.i18n import _
from core.safe_text import cell, figure_safe, neutralise_frame

#: Slide-sized figure export (16:9), in CSS pixels; ``scale`` multiplies for PNG.
SLIDE_WIDTH = 1600
SLIDE_HEIGHT = 900


class ExportError(RuntimeError):
    """An export that could not be produced (message says why)."""


#: Options of the local renderer: no MathJax (it would come from a CDN); plotly.js is
#: kaleido's default, the copy inside the installed plotly package.
RENDERER_OPTIONS: dict[str, object] = {"mathjax": False}


def table_to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with full-precision numbers (17 significant digits round-trip); text
    cells and headers neutralised (:func:`core.safe_text.neutralise_frame`)."""
    return neutralise_frame(df).to_csv(index=False, float_format=None).encode("utf-8")


def _cell(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()  # numpy scalar
    return v


def table_to_xlsx(df: pd.DataFrame, sheet: str = "Table", title: str = "", footnote: str = "") -> bytes:
    """An Excel workbook with the table (numbers as numbers, full precision).

    The title (if any) is on row 1, the header below it, the footnote after the data.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    df = neutralise_frame(df)
    title, footnote = cell(title), cell(footnote)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31] or _("Table")
    r = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=12)
        r = 3
    for j, c in enumerate(df.columns, start=1):
        ws.cell(row=r, column=j, value=str(c)).font = Font(bold=True)
    exact: dict[str, float] = {}
    for i, row in enumerate(df.itertuples(index=False), start=r + 1):
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=_cell(v))
            if isinstance(c.value, float) and f"{c.value:.16g}" != repr(c.value):
                exact[c.coordinate] = c.value
    if footnote:
        ws.cell(row=r + len(df) + 2, column=1, value=footnote).font = Font(italic=True, size=9)
    for j, c in enumerate(df.columns, start=1):
        width = max([len(str(c))] + [len(str(v)) for v in df.iloc[:200, j - 1].tolist()])
        ws.column_dimensions[ws.cell(row=r, column=j).column_letter].width = min(60, max(8, width + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return exact_floats(buf.getvalue(), {1: exact})


#: Word table styles of :func:`table_to_docx`.
DOCX_STYLES: tuple[str, ...] = ("grid", "journal")
#: Rule widths of the journal (three-line) table, in eighths of a point (Word's unit).
_RULE_OUTER, _RULE_HEADER = 12, 6


def exact_floats(xlsx: bytes, exact: dict[int, dict[str, float]]) -> bytes:
    """An .xlsx whose listed float cells hold their 17 significant digits (``repr``).

    openpyxl writes 16 (``%.16g``), which can change the last bit; Excel reads 17 digits
    back exactly. ``exact`` maps a sheet's position (1-based) to ``{cell ref: value}``.
    """
    if not any(exact.values()):
        return xlsx
    src, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if m and exact.get(int(m.group(1))):
                data = _patch_values(data, exact[int(m.group(1))])
            dst.writestr(item, data)
    return out.getvalue()


def _patch_values(sheet_xml: bytes, cells: dict[str, float]) -> bytes:
    def sub(m: re.Match[bytes]) -> bytes:
        ref = m.group(2).decode()
        return m.group(1) + b"<v>" + repr(cells[ref]).encode() + b"</v>" if ref in cells else m.group(0)

    return re.sub(rb'(<c r="([A-Z]+\d+)"[^>]*>)<v>[^<]*</v>', sub, sheet_xml)


def table_to_docx(df: pd.DataFrame, title: str = "", footnote: str = "", style: str = "grid") -> bytes:
    """A Word document with the table (bold header, small font).

    Parameters
    ----------
    df : pandas.DataFrame
        The table; every cell and header is neutralised (:func:`core.safe_text.neutralise_frame`).
    title, footnote : str
        Paragraphs above and below the table (neutralised too).
    style : {"grid", "journal"}
        ``grid``: Word's "Table Grid" (every cell ruled). ``journal``: the three-line table of
        journals (APA / Vancouver style): a rule above the header (1.5 pt), a rule under it
        (0.75 pt) and a rule under the last row (1.5 pt); no vertical line and no rule
        between body rows; first column left-aligned, the others centred.
    """
    from docx import Document
    from docx.shared import Pt

    if style not in DOCX_STYLES:
        raise ValueError(_("unknown table style {style}; use one of {styles}", style=repr(style), styles=", ".join(DOCX_STYLES)))
    df = neutralise_frame(df)
    title, footnote = cell(title), cell(footnote)
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(9)
    if title:
        p = doc.add_paragraph()
        run = p.add_run(title)
        run.bold = True
        run.font.size = Pt(11)
    table = doc.add_table(rows=1, cols=len(df.columns))
    for j, c in enumerate(df.columns):
        head = table.rows[0].cells[j]
        head.text = ""
        head.paragraphs[0].add_run(str(c)).bold = True
    for row in df.itertuples(index=False):
        cells = table.add_row().cells
        for j, v in enumerate(row):
            cv = _cell(v)
            cells[j].text = "" if cv is None else str(cv)
    if style == "journal":
        _three_line_rules(table)
    else:
        table.style = "Table Grid"
    if footnote:
        p = doc.add_paragraph()
        run = p.add_run(footnote)
        run.italic = True
        run.font.size = Pt(8)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _border_element(tag: str, borders: dict[str, int]) -> object:
    """A ``<w:tblBorders>`` / ``<w:tcBorders>`` element: ``side -> width`` (0 = none)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for side, size in borders.items():
        b = OxmlElement(f"w:{side}")
        b.set(qn("w:val"), "single" if size else "nil")
        if size:
            b.set(qn("w:sz"), str(size))
            b.set(qn("w:space"), "0")
            b.set(qn("w:color"), "000000")
        el.append(b)
    return el


def _three_line_rules(table: object) -> None:
    """Journal rules on a python-docx table: top and bottom of the table, under the header."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    tbl_pr.append(_border_element("w:tblBorders", {"top": _RULE_OUTER, "left": 0, "bottom": _RULE_OUTER,
                                                   "right": 0, "insideH": 0, "insideV": 0}))
    for c in table.rows[0].cells:
        c._tc.get_or_add_tcPr().append(_border_element("w:tcBorders", {"bottom": _RULE_HEADER}))
    for row in table.rows:
        for j, c in enumerate(row.cells):
            for par in c.paragraphs:
                par.alignment = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER


def figure_to_image(fig: object, fmt: str = "png", width: int = SLIDE_WIDTH, height: int = SLIDE_HEIGHT, scale: float = 2.0) -> bytes:
    """Render a plotly figure to PNG or SVG with kaleido (local Chromium).

    Raises
    ------
    ExportError
        When kaleido cannot start a local browser; the message suggests the plot's own
        camera button, which saves the image in the browser.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(_("unknown image format {format}", format=repr(fmt)))
    try:
        import kaleido

        kaleido.start_sync_server(n=1, silence_warnings=True, **RENDERER_OPTIONS)  # once; then kept warm
        opts = {"format": fmt, "width": width, "height": height, "scale": scale if fmt == "png" else 1}
        return bytes(kaleido.calc_fig_sync(figure_safe(fig), opts=opts))
    except Exception as exc:  # kaleido raises various errors when no browser is usable
        raise ExportError(_(
            "The {format} file could not be rendered on this machine ({error}). "
            "Use the camera icon above the figure, which saves it from the browser.",
            format=fmt.upper(), error=type(exc).__name__,
        )) from exc


def plotly_config(basename: str = "myoscope_figure", fmt: str = "png",
                  buttons: tuple[str, ...] | None = None) -> dict[str, object]:
    """Plotly config for ``st.plotly_chart``: the camera button saves a slide-sized image
    in the browser, and no link points outside the machine. ``buttons``: only these
    plotly mode-bar buttons (e.g. ``("toImage", "resetScale2d")``), for small charts drawn
    many at a time (plotly.js builds every button of every chart on each redraw)."""
    config: dict[str, object] = {
        "displaylogo": False,
        "showLink": False,
        "toImageButtonOptions": {"format": fmt, "filename": basename, "width": SLIDE_WIDTH, "height": SLIDE_HEIGHT, "scale": 2},
    }
    if buttons is not None:
        config["modeBarButtons"] = [list(buttons)]
    return config
