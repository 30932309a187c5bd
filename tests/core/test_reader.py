"""The one input layer (core.reader): every kind of file, the same reading (issues 9, 10).

Each test reproduces a file that failed before: a traceback, a silent change, or a
reader that accepted for one kind of file what another refused.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from core.events import EventsError, load_events
from core.interferon import read_qpcr
from core.io import read_cohort
from core.rates import RatesError, load_rates
from core.reader import InputFileError, ReadLimits, read_table


# ------------------------------------------------------------------ long cells, ragged rows
def test_cell_over_csv_field_limit_is_a_clear_error():
    """A 200,000-character cell ended in ``_csv.Error: field larger than field limit``."""
    data = b"patient_id,note\nP1," + b"x" * 200_000 + b"\nP2,ok\n"
    with pytest.raises(InputFileError, match=r"row 2, column 'note'.*200,000 characters.*MYOSCOPE_MAX_CELL_CHARS"):
        read_table(data, "long.csv")
    c = read_cohort(data, "long.csv")
    assert c.errors and "200,000 characters" in c.errors[0].message


def test_long_cell_within_a_raised_limit_is_read():
    data = b"patient_id,note\nP1," + b"x" * 150_000 + b"\n"
    raw = read_table(data, "long.csv", limits=ReadLimits(max_cell_chars=200_000))
    assert len(raw.data.loc[2, "note"]) == 150_000


def test_short_row_is_a_warning_naming_row_and_field_count():
    raw = read_table(b"patient_id,sex,age_at_diagnosis\nP1,F,50\nP2,M\nP3,F,60\n", "r.csv")
    (w,) = [p for p in raw.problems if p.row == 3]
    assert w.severity == "warning" and "2 field(s) while the header has 3" in w.message


def test_long_row_is_an_error_naming_row():
    raw = read_table(b"patient_id,sex\nP1,F\nP2,M,oops\n", "r.csv")
    (e,) = [p for p in raw.problems if p.severity == "error"]
    assert e.row == 3 and "3 fields while the header has 2" in e.message


def test_trailing_empty_fields_are_not_ragged():
    raw = read_table(b"patient_id,sex\nP1,F,,\nP2,M\n", "r.csv")
    assert not [p for p in raw.problems if p.severity == "error"]


# ------------------------------------------------------------------ encodings, NUL
def test_nul_byte_is_refused_with_its_line():
    with pytest.raises(InputFileError, match="NUL byte.*line 3"):
        read_table(b"patient_id,sex\nP1,F\nP\x00 2,M\n", "nul.csv")


def test_utf8_file_with_one_latin1_line_keeps_utf8_and_reports_the_line():
    data = "patient_id,ville\nP1,Besançon\nP2,Nîmes\n".encode() + "P3,Orléans\n".encode("cp1252")
    raw = read_table(data, "mixed.csv")
    assert list(raw.data["ville"]) == ["Besançon", "Nîmes", "Orléans"]
    (w,) = raw.problems
    assert w.row == 4 and "Windows-1252" in w.message


def test_bom_then_latin1_line_is_reported_not_a_traceback():
    data = b"\xef\xbb\xbf" + "patient_id,ville\nP1,Besançon\n".encode() + "P2,Orléans\n".encode("cp1252")
    raw = read_table(data, "bom.csv")
    assert list(raw.data["ville"]) == ["Besançon", "Orléans"]
    assert raw.problems[0].row == 3


def test_utf16_with_odd_trailing_byte_is_a_clear_error():
    data = "patient_id,sex\nP1,F\n".encode("utf-16") + b"\x00"
    with pytest.raises(InputFileError, match="UTF-16"):
        read_table(data, "u16.csv")


def test_cp1252_file_is_read_whole():
    raw = read_table("patient_id;ville\nP1;Orléans\n".encode("cp1252"), "fr.csv")
    assert raw.encoding == "cp1252" and raw.data.loc[2, "ville"] == "Orléans" and not raw.problems


# ------------------------------------------------------------------ size limits
def test_file_over_the_byte_limit_is_refused_before_reading(tmp_path):
    f = tmp_path / "big.csv"
    f.write_bytes(b"patient_id\n" + b"P\n" * 1000)
    with pytest.raises(InputFileError, match="file-size limit.*MYOSCOPE_MAX_FILE_MB"):
        read_table(f, limits=ReadLimits(max_bytes=1000))


def test_row_limit_is_named():
    with pytest.raises(InputFileError, match="MYOSCOPE_MAX_ROWS"):
        read_table(b"patient_id\n" + b"P\n" * 50, "rows.csv", limits=ReadLimits(max_rows=10))


def test_limits_from_environment():
    lim = ReadLimits.from_env({"MYOSCOPE_MAX_FILE_MB": "1", "MYOSCOPE_MAX_ROWS": "7"})
    assert lim.max_bytes == 2**20 and lim.max_rows == 7
    with pytest.raises(InputFileError, match="MYOSCOPE_MAX_ROWS"):
        ReadLimits.from_env({"MYOSCOPE_MAX_ROWS": "lots"})


def _xlsx_bytes(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_with_one_cell_at_the_last_cell_is_refused_quickly():
    """A 1.9 KB sheet whose only cell is XFD1048576 drove the server past 14 GB."""
    data = _xlsx_bytes(lambda ws: ws.cell(row=1_048_576, column=16_384, value="x"))
    assert len(data) < 10_000
    with pytest.raises(InputFileError, match="(rows|columns|cells), more than the limit"):
        read_table(data, "bomb.xlsx")


def test_xlsx_lying_dimension_is_still_bounded():
    data = _xlsx_bytes(lambda ws: [ws.append([f"c{j}" for j in range(3)])] + [ws.append([i, i, i]) for i in range(30)])
    # rewrite the declared extent to A1:C2 while the sheet holds 31 rows
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                body = body.replace(b'<dimension ref="A1:C31"/>', b'<dimension ref="A1:C2"/>')
            zout.writestr(item, body)
    with pytest.raises(InputFileError, match="MYOSCOPE_MAX_ROWS"):
        read_table(out.getvalue(), "lying.xlsx", limits=ReadLimits(max_rows=10))
    assert len(read_table(out.getvalue(), "lying.xlsx").data) == 30


def test_xlsx_huge_shared_string_part_is_refused():
    """A 0.97 MB workbook holding a 1 GB shared string took 11 GB (here: 3 MB in a few KB)."""
    base = _xlsx_bytes(lambda ws: ws.append(["patient_id", "note"]) or ws.append(["P1", "y"]))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/sharedStrings.xml", b"<sst><si><t>" + b"y" * 3_000_000 + b"</t></si></sst>")
    assert len(out.getvalue()) < 50_000
    with pytest.raises(InputFileError, match="shared strings.*expands to 2.9 MB.*limit of 1.0 MB"):
        read_table(out.getvalue(), "strings.xlsx", limits=ReadLimits(max_bytes=2**20))


# ------------------------------------------------------------------ every kind of file, one reader
EVENTS_CP1252_DMY = (
    "patient_id;date;kind;name;value;unit;detail\n"
    "P1;03-02-2020;treatment_start;méthylprednisolone;1,5;mg/kg/j;bolus\n"
    "P1;43900;lab;CK;3000;U/L;\n"
).encode("cp1252")


def test_events_in_cp1252_with_dd_mm_yyyy_and_excel_serial_dates():
    """Rejected before although the same cohort file was accepted."""
    t = load_events(io.BytesIO(EVENTS_CP1252_DMY))
    d = t.data
    assert list(d["date"]) == [pd.Timestamp("2020-02-03"), pd.Timestamp("2020-03-10")]
    assert d.loc[0, "name"] == "méthylprednisolone" and d.loc[0, "value"] == 1.5


def test_empty_events_file_is_an_events_error():
    with pytest.raises(EventsError, match="empty"):
        load_events(b"")


def test_qpcr_and_rates_use_the_same_reader():
    q = read_qpcr("sample_id;sample_type;gene;ct\nA;patient;IFI27;24,5\n".encode("utf-16"))
    assert list(q.columns) == ["sample_id", "sample_type", "gene", "ct"]
    rates = "sex;age_from;age_to;rate_per_100000\n" + "".join(f"{s};{a};{a + 5};{10 + a},5\n" for s in "FM" for a in range(0, 100, 5))
    rt = load_rates(rates.encode("cp1252"))
    assert rt.data["rate"].iloc[0] == pytest.approx(10.5)
    with pytest.raises(RatesError, match="NUL"):
        load_rates(b"sex,age_from\x00\n")


def test_the_file_is_only_read(tmp_path):
    import hashlib
    import os

    f = tmp_path / "cohort.csv"
    f.write_bytes("patient_id;âge\nP1;50\n".encode("cp1252"))
    before = (hashlib.sha256(f.read_bytes()).hexdigest(), os.stat(f).st_mtime_ns)
    read_cohort(f)
    assert (hashlib.sha256(f.read_bytes()).hexdigest(), os.stat(f).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]


def test_readme_limits_are_the_defaults():
    """The README's "Your data" table states the limits the code applies."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    d = ReadLimits()
    for needle in (f"| file size | {d.max_bytes // 2**20} MB", f"| rows | {d.max_rows:,}", f"| columns | {d.max_columns:,}",
                   f"| characters in one cell | {d.max_cell_chars:,}", f"| cells (rows × columns) | {d.max_cells:,}"):
        assert needle in text, needle
    config = (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {d.max_bytes // 2**20}" in config and 'address = "localhost"' in config
    assert "gatherUsageStats = false" in config and 'showErrorDetails = "none"' in config


def test_progress_reports_and_cancels_a_large_read(monkeypatch):
    """Work that is no longer wanted stops: the progress callback is where the app's stop
    request (a new upload, a closed tab) interrupts the read, with nothing half-loaded."""
    from core import reader

    monkeypatch.setattr(reader, "CHUNK_ROWS", 100)
    data = b"patient_id,age\n" + b"".join(b"P%d,%d\n" % (i, 40 + i % 30) for i in range(450))
    seen: list[float] = []
    raw = read_table(data, "big.csv", progress=seen.append)
    assert len(raw.data) == 450 and len(seen) == 5 and seen[-1] == 1.0

    class Stop(BaseException):
        pass

    def stop(fraction: float) -> None:
        raise Stop

    with pytest.raises(Stop):
        read_table(data, "big.csv", progress=stop)


# ------------------------------------------------------------------ clean case read from the bytes (issue 12)
QUOTED = b'patient_id,centre,note\nP1,"Paris, Saint-Louis","two\nlines"\nP2,Lyon,\nP3, Lille ,"say ""hi"""\n'


@pytest.mark.parametrize("categorical", [False, True])
def test_clean_file_cells_are_the_same_whichever_reading(categorical):
    """The fast reading of a clean file (pyarrow or pandas from the bytes) gives the cells
    the careful reading gives: quoted delimiters and newlines, spaces kept, no problem."""
    raw = read_table(QUOTED, "q.csv", categorical=categorical)
    assert raw.data.astype(object).values.tolist() == [
        ["P1", "Paris, Saint-Louis", "two\nlines"], ["P2", "Lyon", ""], ["P3", " Lille ", 'say "hi"']]
    assert raw.data.index.tolist() == [2, 3, 4] and not raw.problems


@pytest.mark.parametrize("categorical", [False, True])
def test_quoted_delimiter_does_not_hide_a_short_row(categorical):
    """A quoted delimiter in one row and a missing field in another: the short row is
    still reported with its row (the field counts do not cancel out)."""
    data = b'patient_id,centre,age\nP1,"Paris, Saint-Louis",50\nP2,Lyon\n'
    raw = read_table(data, "r.csv", categorical=categorical)
    (w,) = [p for p in raw.problems if p.row == 3]
    assert "2 field(s) while the header has 3" in w.message
    assert raw.data.astype(object).loc[2, "centre"] == "Paris, Saint-Louis"
