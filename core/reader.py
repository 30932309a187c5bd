"""The one input layer: every file Myoscope reads goes through :func:`read_table`.

Cohorts, events tables, qPCR plates, reference rates, published tables, data
dictionaries and column mappings are all read here, the same way:

* **bytes** — a size limit checked before anything is decoded (:class:`ReadLimits`);
* **encoding** — UTF-8 (with or without BOM), UTF-16 (BOM), Windows-1252; a UTF-8 file
  with a few Windows-1252 lines is read line by line and each such line is reported;
  NUL bytes and undecodable bytes are refused or reported with their row, never silently
  dropped;
* **delimiter** — comma, semicolon, tab or pipe, chosen by field-count consistency;
* **decimal mark** — point or comma (only when the delimiter is not a comma);
* **rows** — ragged rows (fewer fields than the header: warning naming the row and its
  field count; more: an error), completely empty rows and columns set aside and counted;
* **cells** — a cell longer than the limit is an error naming its row and column;
* **Excel** ``.xlsx`` — read in openpyxl's read-only streaming mode, the sheet's declared
  and real extent and the shared-strings part checked against the limits before the
  cells are materialised; any sheet by name or position.

What comes out is a :class:`RawTable`: header texts and untyped cells (text for CSV,
stored values for Excel), indexed by spreadsheet row (header = row 1). Each kind of file
then only declares its columns (:class:`ColumnSpec`, :func:`select_columns`) and types
them with the shared cell parsers of :mod:`core.codes`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from core import codes
from core.i18n import NNBSP, _, language, n_
from core.validate import Problem

DELIMITERS = (",", ";", "\t", "|")
Source = bytes | str | Path | IO[Any]


class InputFileError(ValueError):
    """A file that cannot be read (the message says why and how to fix it)."""


@dataclass(frozen=True)
class ReadLimits:
    """Bounds checked before a file's cells are materialised.

    Defaults suit cohorts up to a few million patients (60 million cells: a
    1,000,000-patient file of 60 columns); each can be raised with an
    environment variable (``MYOSCOPE_MAX_FILE_MB``, ``MYOSCOPE_MAX_ROWS``,
    ``MYOSCOPE_MAX_COLUMNS``, ``MYOSCOPE_MAX_CELL_CHARS``, ``MYOSCOPE_MAX_CELLS``), or
    on the command line (``--max-file-mb`` ...).

    Attributes
    ----------
    max_bytes : int
        File size (also the largest uncompressed part of an ``.xlsx``).
    max_rows, max_columns : int
        Rows below the header, and columns.
    max_cell_chars : int
        Characters in one cell.
    max_cells : int
        Rows × columns.
    """

    max_bytes: int = 200 * 2**20
    max_rows: int = 2_000_000
    max_columns: int = 5_000
    max_cell_chars: int = 100_000
    max_cells: int = 60_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReadLimits:
        """Defaults, overridden by the ``MYOSCOPE_MAX_*`` environment variables."""
        env = os.environ if env is None else env
        out = cls()
        names = {
            "MYOSCOPE_MAX_FILE_MB": ("max_bytes", 2**20), "MYOSCOPE_MAX_ROWS": ("max_rows", 1),
            "MYOSCOPE_MAX_COLUMNS": ("max_columns", 1), "MYOSCOPE_MAX_CELL_CHARS": ("max_cell_chars", 1),
            "MYOSCOPE_MAX_CELLS": ("max_cells", 1),
        }
        for var, (attr, scale) in names.items():
            if env.get(var):
                try:
                    out = replace(out, **{attr: int(float(env[var]) * scale)})
                except ValueError as exc:
                    raise InputFileError(_("{variable}={value!r} is not a number.", variable=var, value=env[var])) from exc
        return out


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file: header texts and cell values, untyped.

    Attributes
    ----------
    data : pandas.DataFrame
        Cells as text (CSV) or as stored (XLSX), columns = headers as typed
        (stripped), index = spreadsheet row number (header = 1). A CSV read with
        ``categorical=True`` holds each column as a pandas ``category`` of its texts
        (the same cells, each distinct text stored once: what typing works on).
    filename : str
    format : str
        ``csv`` or ``xlsx``; ``+redcap`` appended when REDCap conventions were found.
    encoding, delimiter, decimal : str
        Detected text encoding, field delimiter and decimal mark ("" for XLSX).
    sheet : str
        Sheet read (XLSX).
    sheets : tuple[str, ...]
        All sheet names (XLSX).
    notes : tuple[str, ...]
        What the reader did (e.g. rows set aside), shown in the import report.
    problems : tuple[Problem, ...]
        Problems found while reading (blank or duplicated headers, ragged rows, ...).
    labels : Mapping[str, str]
        Human labels of columns, when the file carries them (REDCap).
    """

    data: pd.DataFrame
    filename: str = ""
    format: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    decimal: str = "."
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- bytes
def source_bytes(source: Source, filename: str = "", limits: ReadLimits | None = None) -> tuple[bytes, str]:
    """The bytes of a path, a bytes object or a binary file (e.g. a Streamlit upload).

    The size limit is checked before a file on disk is read.
    """
    limits = limits or ReadLimits.from_env()
    if isinstance(source, (str, Path)):
        path = Path(source)
        filename = filename or path.name
        if path.is_dir():
            raise InputFileError(_("{name!r} is a folder, not a file.", name=str(path)))
        if not path.exists():
            raise InputFileError(_("File not found: {name!r}.", name=str(path)))
        _check_size(path.stat().st_size, filename, limits)
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        filename = filename or str(getattr(source, "name", "") or "")
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        chunk = source.read(limits.max_bytes + 1)
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    _check_size(len(data), filename, limits)
    return data, filename


def _mb(n: int) -> str:
    text = f"{n / 2**20:,.1f}" if n < 10 * 2**20 else f"{n / 2**20:,.0f}"
    if language() == "fr":
        return text.replace(",", NNBSP).replace(".", ",") + "\u00a0Mo"
    return f"{text} MB"


def _int(n: int) -> str:
    """``1,234,567`` (French ``1 234 567``, narrow no-break spaces)."""
    return f"{n:,}".replace(",", NNBSP) if language() == "fr" else f"{n:,}"


def _check_size(n: int, filename: str, limits: ReadLimits) -> None:
    if n > limits.max_bytes:
        raise InputFileError(_(
            "{name!r} is larger than {size} (the file-size limit). Raise it with MYOSCOPE_MAX_FILE_MB "
            "(or --max-file-mb) if this is intended.", name=filename or _("The file"), size=_mb(limits.max_bytes),
        ))


# --------------------------------------------------------------------------- decoding
def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def decode(data: bytes, filename: str = "") -> tuple[str, str, tuple[Problem, ...]]:
    """Decode a text file; returns ``(text, encoding, problems)``.

    UTF-8 (BOM or not) and UTF-16 (BOM) are decoded strictly. A file that is not UTF-8
    is read as Windows-1252, unless some of its lines are valid, non-ASCII UTF-8: then
    each line is decoded on its own and the Windows-1252 lines are reported (a file
    saved by two programs). Bytes that Windows-1252 does not define are read as their
    Latin-1 characters and reported with their line. NUL bytes are refused.
    """
    name = filename or _("the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError as exc:
            raise InputFileError(_(
                "{name!r} starts as UTF-16 but is cut or damaged near byte {byte} "
                "(an odd number of bytes?). Save it again as UTF-8 CSV.", name=name, byte=exc.start,
            )) from exc
    body, enc = (data[3:], "utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else (data, "utf-8")
    nul = body.find(b"\x00")
    if nul >= 0:
        raise InputFileError(_(
            "{name!r} holds a NUL byte (\\0) on line {line}: it is not a plain text "
            "table (a binary or damaged file, or UTF-16 without its byte-order mark). Open it in a "
            "spreadsheet and save it again as CSV or .xlsx.", name=name, line=_line_of(body, nul),
        ))
    try:
        return body.decode("utf-8"), enc, ()
    except UnicodeDecodeError:
        pass
    return _decode_mixed(body, enc, name)


def _has_utf8_multibyte(body: bytes) -> bool:
    """Whether some bytes form a valid non-ASCII UTF-8 character (C-speed string operations)."""
    s = body.decode("utf-8", errors="replace")
    non_ascii = len(s) - len(s.encode("ascii", errors="ignore"))
    return non_ascii > s.count("\ufffd")


def _decode_mixed(body: bytes, enc: str, name: str) -> tuple[str, str, tuple[Problem, ...]]:
    """Per-line decoding of a file that is not valid UTF-8 as a whole.

    Fast path: no UTF-8 multi-byte sequence anywhere (a plain Windows-1252 export) and
    every byte defined in Windows-1252 -> the whole file is decoded at once.
    """
    if enc == "utf-8" and not _has_utf8_multibyte(body):
        try:
            return body.decode("cp1252"), "cp1252", ()
        except UnicodeDecodeError:
            pass
    lines = body.split(b"\n")
    utf8_nonascii = 0
    decoded: list[str] = []
    cp_lines: list[int] = []
    undefined: list[int] = []
    for i, ln in enumerate(lines, start=1):
        try:
            s = ln.decode("utf-8")
            utf8_nonascii += not ln.isascii()
        except UnicodeDecodeError:
            s, bad = _cp1252(ln)
            cp_lines.append(i)
            if bad:
                undefined.append(i)
        decoded.append(s)
    problems: list[Problem] = []
    if utf8_nonascii and enc.startswith("utf-8"):
        encoding = "utf-8 + cp1252 lines"
        problems += [Problem(r, None, "", _("This line is not UTF-8 like the rest of the file: it was read as "
                                            "Windows-1252. Check its accented letters, and save the file again as UTF-8."), "warning")
                     for r in cp_lines[:200]]
    elif enc == "utf-8-sig":
        encoding = "utf-8-sig + cp1252 lines"
        problems += [Problem(r, None, "", _("The file says it is UTF-8 (byte-order mark) but this line is not: it "
                                            "was read as Windows-1252. Check its accented letters."), "warning") for r in cp_lines[:200]]
    else:
        encoding = "cp1252"
    problems += [Problem(r, None, "", _("A byte on this line is not a character in Windows-1252: it was read as "
                                        "its Latin-1 control character. Check this line."), "warning") for r in undefined[:200]]
    return "\n".join(decoded), encoding, tuple(problems)


def _cp1252(line: bytes) -> tuple[str, bool]:
    """Windows-1252 decoding; the 5 undefined bytes fall back to Latin-1 (flagged)."""
    try:
        return line.decode("cp1252"), False
    except UnicodeDecodeError:
        return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in line), True


# --------------------------------------------------------------------------- text tables
def detect_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` giving the most consistent field count.

    Each candidate parses the first 50 lines with :mod:`csv`; the score prefers more
    than one field per line and the same count on every line.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    csv.field_size_limit(2**31 - 1)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * 1000 + mode
        if score > best_score:
            best, best_score = d, score
    return best


def detect_decimal(df: pd.DataFrame, delimiter: str) -> str:
    """``","`` when the file uses a decimal comma (only possible if ``,`` is not the delimiter)."""
    if delimiter == ",":
        return "."
    comma = dot = 0
    for c in df.columns[:200]:
        s = df[c].head(500).astype(str)
        comma += int(s.str.match(r"^\s*[+-]?\d+,\d+\s*$").sum())
        dot += int(s.str.match(r"^\s*[+-]?\d+\.\d+\s*$").sum())
    return "," if comma > dot else "."


def _field_counts(text: str, delimiter: str) -> list[int]:
    """Fields per non-blank record (quotes respected)."""
    if '"' not in text:
        return [ln.count(delimiter) + 1 for ln in text.split("\n") if ln.strip()]
    csv.field_size_limit(2**31 - 1)
    return [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(f.strip() for f in r)]


def _ragged(counts: list[int], width: int, rows: pd.DataFrame, name: str, delimiter: str) -> list[Problem]:
    """Problems for records with fewer or more fields than the header."""
    problems: list[Problem] = []
    arr = np.asarray(counts)
    short = np.flatnonzero(arr < width)
    for i in short[:200]:
        problems.append(Problem(int(i) + 1, None, "", n_("This row has {n} field(s) while the header has {width}: "
                                                         "the missing cells at its end are read as empty. Check the row.",
                                                         "This row has {n} field(s) while the header has {width}: "
                                                         "the missing cells at its end are read as empty. Check the row.",
                                                         int(arr[i]), width=width), "warning"))
    if len(short) > 200:
        problems.append(Problem(None, None, "", n_("... and {n} more short row(s).", "... and {n} more short row(s).",
                                                   len(short) - 200), "warning"))
    long_ = np.flatnonzero(arr > width)
    extra = rows.iloc[long_, width:] if len(long_) else rows.iloc[0:0]
    filled = [int(long_[k]) for k in range(len(long_)) if any(codes.norm(v) not in ("", "nan", "none") for v in extra.iloc[k])]
    for i in filled[:200]:
        problems.append(Problem(i + 1, None, "", _("This row has {n} fields while the header has {width}: a value "
                                                   "probably holds the delimiter {delimiter!r} without quotes. Quote it or remove it.",
                                                   n=int(arr[i]), width=width, delimiter=delimiter), "error"))
    return problems


def _check_cell_lengths(rows: pd.DataFrame, name: str, limits: ReadLimits) -> None:
    """A cell longer than ``limits.max_cell_chars`` is an error naming its row and column."""
    for j in range(rows.shape[1]):
        col = rows.iloc[:, j]
        cats = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else None
        if cats is not None and (not len(cats) or cats.str.len().max() <= limits.max_cell_chars):
            continue
        lens = col.astype(str).str.len()
        if lens.max() > limits.max_cell_chars:
            i = int(np.argmax(lens.to_numpy()))
            header = str(rows.iat[0, j]) if i else _("column {number}", number=j + 1)
            raise InputFileError(_(
                "{name!r}, row {row}, column {column!r}: a cell of {n} characters exceeds the "
                "limit of {limit}. Shorten it, or raise MYOSCOPE_MAX_CELL_CHARS (--max-cell-chars).",
                name=name, row=i + 1, column=header, n=_int(int(lens.iat[i])), limit=_int(limits.max_cell_chars),
            ))


#: Rows parsed between two progress reports (and chances to cancel) of a large text file.
CHUNK_ROWS = 100_000
Progress = Callable[[float], None]


def _parse_rows(source: str | bytes, delimiter: str, width: int | None, n_rows: int, progress: Progress | None,
                categorical: bool = False, encoding: str = "utf-8") -> pd.DataFrame:
    """The text grid (pandas' C parser). With ``progress``, large files are parsed in
    chunks and ``progress(fraction)`` is called between them: the caller can show it and
    stop the work there (an exception raised by ``progress`` cancels the read).

    ``source`` is the decoded text, or the file's bytes in ``encoding`` (the clean case:
    pandas decodes them, no copy of the file is made as text). ``width=None`` takes the
    header's field count, and a record with more fields raises ``pandas.errors.ParserError``.
    ``categorical`` reads each column as a ``category`` of its texts.
    """
    opts: dict[str, Any] = {
        "sep": delimiter, "header": None, "dtype": "category" if categorical else str, "keep_default_na": False,
        "na_filter": False, "skip_blank_lines": True, "engine": "python" if delimiter == "|" else "c",
    }
    if width is not None:
        opts["names"] = list(range(width))
    if isinstance(source, bytes):
        opts["encoding"] = encoding

    def buffer() -> IO[Any]:
        return io.BytesIO(source) if isinstance(source, bytes) else io.StringIO(source)

    if progress is None or n_rows <= CHUNK_ROWS:
        return pd.read_csv(buffer(), **opts)
    parts = []
    for chunk in pd.read_csv(buffer(), chunksize=CHUNK_ROWS, **opts):
        parts.append(chunk)
        progress(min(1.0, len(parts) * CHUNK_ROWS / n_rows))
    if not categorical:
        return pd.concat(parts, ignore_index=True)
    union = pd.api.types.union_categoricals
    return pd.DataFrame({c: union([p[c] for p in parts]) for c in parts[0].columns})


def _read_text(data: bytes, filename: str, limits: ReadLimits, progress: Progress | None = None,
               categorical: bool = False) -> RawTable:
    """A text table: the clean case straight from the bytes (:func:`_read_clean_text`),
    any other file (mixed encodings, ragged rows, long cells, ...) decoded and checked
    record by record."""
    clean = _read_clean_text(data, filename, limits, progress, categorical)
    if clean is not None:
        return clean
    text, encoding, problems = decode(data, filename)
    delimiter = detect_delimiter(text)
    counts = _field_counts(text, delimiter)
    if not counts:
        raise InputFileError(_("The file {name!r} is empty.", name=filename))
    width = max(counts)
    _check_shape(len(counts) - 1, width, filename, limits)
    rows = _parse_rows(text, delimiter, width, len(counts), progress, categorical)
    del text
    if encoding.startswith("utf-16") or _line_stats(data)[1] > limits.max_cell_chars:
        _check_cell_lengths(rows, filename, limits)
    ragged = _ragged(counts, counts[0], rows, filename, delimiter)
    raw = table_from_rows(rows, filename, "csv", encoding=encoding, delimiter=delimiter)
    return replace(raw, decimal=detect_decimal(raw.data, delimiter), problems=problems + tuple(ragged) + raw.problems)


# --------------------------------------------------------------------------- the clean case
#: Bytes checked at a time (an encoding check never holds a large file as text).
_BLOCK = 1 << 24
#: Bytes that Windows-1252 does not define.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` is valid in ``encoding`` (decoded block by block, the text discarded)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for i in range(0, len(data), _BLOCK):
            decoder.decode(view[i:i + _BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _has_utf8_multibyte_blocks(data: bytes) -> bool:
    """:func:`_has_utf8_multibyte`, block by block (same answer, bounded memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    view = memoryview(data)
    non_ascii = replaced = 0
    for i in range(0, len(data) + 1, _BLOCK):
        s = decoder.decode(view[i:i + _BLOCK], final=i + _BLOCK > len(data))
        non_ascii += len(s) - len(s.encode("ascii", errors="ignore"))
        replaced += s.count("\ufffd")
    return non_ascii > replaced


def _single_encoding(data: bytes) -> str | None:
    """``utf-8``, ``utf-8-sig`` or ``cp1252`` when the whole file is in that one encoding,
    exactly as :func:`decode` would name it; None when the file needs :func:`decode`'s
    careful reading (UTF-16, a NUL byte, lines in two encodings, undefined bytes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None
    bom = data.startswith(b"\xef\xbb\xbf")
    if data.isascii() or _decodes(data, "utf-8"):
        return "utf-8-sig" if bom else "utf-8"
    if bom or any(b in data for b in _CP1252_UNDEFINED) or _has_utf8_multibyte_blocks(data):
        return None
    return "cp1252"


def _head_text(data: bytes, encoding: str, lines: int = 51) -> str:
    """The first ``lines`` lines, decoded (enough for :func:`detect_delimiter`)."""
    end = -1
    for _i in range(lines):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return data.decode(encoding)
    return data[:end + 1].decode(encoding)


def _line_stats(data: bytes) -> tuple[int, int]:
    """Non-blank lines and the longest line in bytes (numpy on the bytes, block by block)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = [np.flatnonzero(arr[i:i + _BLOCK] == 10) + i for i in range(0, len(arr), _BLOCK)]
    stops = np.concatenate([*ends, [len(arr)]])
    starts = np.concatenate([[0], stops[:-1] + 1])
    lengths = stops - starts
    lone_cr = (lengths == 1) & (arr[np.minimum(starts, max(len(arr) - 1, 0))] == 13)
    return int(((lengths > 0) & ~lone_cr).sum()), int(lengths.max())


def _delimiters_in_cells(col: pd.Series, delimiter: str) -> int:
    """How many ``delimiter`` characters the cells of a column hold (quoted cells)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        per_text = pd.Series(col.cat.categories, dtype=object).str.count(re.escape(delimiter)).to_numpy()
        codes_ = col.cat.codes.to_numpy()
        return int(np.bincount(codes_[codes_ >= 0], minlength=len(per_text)) @ per_text)
    return int(col.str.count(re.escape(delimiter)).sum())


def _rectangular(data: bytes, rows: pd.DataFrame, delimiter: str) -> bool:
    """Whether every record of the parsed grid had the header's field count.

    pandas refuses a record with more fields than the header and pads one with fewer;
    so the records are all complete exactly when the file holds (fields - 1) delimiters
    per record, plus the ones inside quoted cells.
    """
    expected = len(rows) * (rows.shape[1] - 1)
    if b'"' in data:
        expected += sum(_delimiters_in_cells(rows[c], delimiter) for c in rows.columns)
    return data.count(delimiter.encode("ascii")) == expected


def _pyarrow() -> Any:
    """pyarrow's CSV module, or None where pyarrow is not installed (it comes with Streamlit)."""
    try:
        from pyarrow import csv as pa_csv
    except ImportError:  # pragma: no cover - pyarrow is a Streamlit dependency
        return None
    return pa_csv


def _arrow_grid(pa_csv: Any, data: bytes, delimiter: str, width: int, encoding: str, n_rows: int,
                progress: Progress | None) -> pd.DataFrame | None:
    """The grid by pyarrow's CSV reader, as categories of texts; None when a record's field
    count differs from the header's (pyarrow refuses it, the careful path reports it).

    The file is streamed block by block, each block turned into pandas categories as it
    comes (memory stays bounded at a million rows); ``progress`` is called every
    :data:`CHUNK_ROWS` rows read. pyarrow rather than pandas' C parser here: it builds
    the categories while parsing (pandas hashes every cell in a second pass), in about
    half the time.
    """
    import pyarrow as pa

    names = [f"c{j}" for j in range(width)]
    block = _BLOCK if len(data) <= _BLOCK else _BLOCK // 4  # a large file: small blocks, little memory held
    options = {
        "read_options": pa_csv.ReadOptions(column_names=names, block_size=block, use_threads=False,
                                           encoding="utf8" if encoding.startswith("utf-8") else encoding),
        "parse_options": pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=b'"' in data),
        "convert_options": pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
    }
    columns: list[list[pd.Series]] = [[] for _j in range(width)]
    done = reported = 0
    pool = pa.system_memory_pool()  # freed blocks go back to the system allocator, not a second pool
    try:
        for batch in pa_csv.open_csv(pa.BufferReader(data), memory_pool=pool, **options):
            for j in range(width):
                columns[j].append(batch.column(j).to_pandas(memory_pool=pool))
            done += batch.num_rows
            while progress is not None and reported + CHUNK_ROWS <= done:
                reported += CHUNK_ROWS
                progress(min(1.0, reported / n_rows))
    except pa.ArrowInvalid:
        return None
    if progress is not None and n_rows > CHUNK_ROWS:
        progress(1.0)
    out: dict[int, Any] = {}
    for j in range(width):  # each column's blocks released as soon as they are joined
        parts, columns[j] = columns[j], []
        out[j] = parts[0] if len(parts) == 1 else pd.api.types.union_categoricals(parts)
        del parts
    return pd.DataFrame(out, copy=False)


def _clean_grid(data: bytes, delimiter: str, width: int, encoding: str, n_rows: int, progress: Progress | None,
                categorical: bool) -> pd.DataFrame | None:
    """The grid of a file in one encoding, or None when some record is not as wide as the
    header (pyarrow for categories of a UTF-8 file, else pandas' C parser with
    :func:`_rectangular`: pyarrow's own transcoding of other encodings held twice the memory)."""
    pa_csv = _pyarrow() if categorical and encoding.startswith("utf-8") else None
    if pa_csv is not None:
        return _arrow_grid(pa_csv, data, delimiter, width, encoding, n_rows, progress)
    try:
        rows = _parse_rows(data, delimiter, None, n_rows, progress, categorical, encoding)
    except pd.errors.ParserError:  # a record longer than the header
        return None
    return rows if rows.shape[1] == width and _rectangular(data, rows, delimiter) else None


def _read_clean_text(data: bytes, filename: str, limits: ReadLimits, progress: Progress | None,
                     categorical: bool) -> RawTable | None:
    """The common clean file: one encoding, no NUL byte, every record as wide as the header,
    no line longer than the cell limit. Read straight from the bytes by pandas' C parser
    (no copy of the file as text, no record-by-record check in Python); None for any other
    file, which :func:`_read_text` then reads carefully (each problem with its row).
    """
    encoding = _single_encoding(data)
    if encoding is None:
        return None
    head = _head_text(data, encoding)
    delimiter = detect_delimiter(head)
    header = _field_counts(head, delimiter)
    if delimiter == "|" or not header:
        return None
    n_lines, longest = _line_stats(data)
    quoted = b'"' in data
    if longest > limits.max_cell_chars or (quoted and (n_lines - 1 > limits.max_rows or (n_lines - 1) * header[0] > limits.max_cells)):
        return None  # the careful reading names the cell, or counts the records exactly
    _check_shape(n_lines - 1, header[0], filename, limits)
    rows = _clean_grid(data, delimiter, header[0], encoding, n_lines, progress, categorical)
    if rows is None:
        return None
    raw = table_from_rows(rows, filename, "csv", encoding=encoding, delimiter=delimiter)
    return replace(raw, decimal=detect_decimal(raw.data, delimiter))


def _check_shape(n_rows: int, n_cols: int, name: str, limits: ReadLimits, where: str = "") -> None:
    if n_rows > limits.max_rows:
        raise InputFileError(_("{name!r}{where} has {n} rows, more than the limit of {limit}. "
                               "Split the file, or raise MYOSCOPE_MAX_ROWS (--max-rows).",
                               name=name, where=where, n=_int(n_rows), limit=_int(limits.max_rows)))
    if n_cols > limits.max_columns:
        raise InputFileError(_("{name!r}{where} has {n} columns, more than the limit of {limit}. "
                               "Remove unused columns, or raise MYOSCOPE_MAX_COLUMNS (--max-columns).",
                               name=name, where=where, n=_int(n_cols), limit=_int(limits.max_columns)))
    if n_rows * n_cols > limits.max_cells:
        raise InputFileError(_("{name!r}{where} has {rows} × {columns} cells, more than the limit of "
                               "{limit}. Remove unused columns, or raise MYOSCOPE_MAX_CELLS (--max-cells).",
                               name=name, where=where, rows=_int(n_rows), columns=_int(n_cols),
                               limit=_int(limits.max_cells)))


# --------------------------------------------------------------------------- grid -> table
def _empty_values(values: Sequence[object]) -> np.ndarray:
    """Which distinct values hold nothing (blank text, None, NaN, ``nan``/``none``/``nat``)."""
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":  # text: whole-array ops
        keys = pd.Series(values, dtype=object).str.replace("\u00a0", " ", regex=False).str.strip().str.lower()
        return keys.isin(("", "nan", "none", "nat")).to_numpy()
    return np.array([codes.norm(u) in ("", "nan", "none", "nat") for u in values], dtype=bool)


def _empty_mask(col: pd.Series) -> np.ndarray:
    """Cells that hold nothing, computed on distinct values: a category's texts (only
    those in use when they outnumber the cells), or ``pandas.factorize``."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats, fcodes = col.cat.categories, col.cat.codes.to_numpy()
        used = np.unique(fcodes[fcodes >= 0]) if len(cats) > len(fcodes) else np.arange(len(cats))
        empty_u = np.ones(len(cats) + 1, dtype=bool)  # the last one: NaN (code -1)
        empty_u[used] = _empty_values(np.asarray(cats[used], dtype=object))
        return empty_u[fcodes]
    fcodes, uniques = pd.factorize(col, use_na_sentinel=True)
    empty_u = np.append(_empty_values(np.asarray(uniques, dtype=object)), True)
    return empty_u[np.where(fcodes < 0, len(uniques), fcodes)]


def _empty_rows(body: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty.

    Columns are looked at from the fewest distinct values up, each only on the rows
    still in question: usually the first column with a value on every row settles it,
    and a patient-id column (a distinct text per row) is never examined.
    """
    def distinct(j: int) -> int:
        col = body.iloc[:, j]
        return len(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else 0

    left = np.arange(len(body))
    for j in sorted(range(body.shape[1]), key=distinct):
        if not len(left):
            break
        col = body.iloc[:, j]
        left = left[_empty_mask(col if len(left) == len(body) else col.iloc[left])]
    out = np.zeros(len(body), dtype=bool)
    out[left] = True
    return out


def _headers(first: list[object], body: pd.DataFrame) -> tuple[list[tuple[int, str]], list[Problem]]:
    """Kept ``(position, name)`` columns: unnamed empty columns are dropped, unnamed others named."""
    problems: list[Problem] = []
    keep: list[tuple[int, str]] = []
    for j, v in enumerate(first):
        name = str(codes.text_code(v)[0] or "")
        if not name and (not len(body) or bool(_empty_mask(body.iloc[:, j]).all())):
            continue
        if not name:
            name = f"column_{j + 1}"
            problems.append(Problem(1, name, "", _("Column {number} has no header: it was named {name!r}. Give it a name in your file.",
                                                   number=j + 1, name=name), "warning"))
        keep.append((j, name))
    return keep, problems


def _dedupe(names: list[str]) -> tuple[list[str], list[Problem]]:
    """Duplicated headers are an error; later copies are kept as ``name (2)``."""
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    problems = [Problem(1, n, n, _("The header {name!r} appears {k} times: give each column a distinct name.", name=n, k=k), "error")
                for n, k in seen.items() if k > 1]
    count: dict[str, int] = {}
    out = list(names)
    for i, n in enumerate(names):
        count[n] = count.get(n, 0) + 1
        if count[n] > 1:
            out[i] = f"{n} ({count[n]})"
    return out, problems


def table_from_rows(rows: pd.DataFrame, filename: str, fmt: str, **meta: Any) -> RawTable:
    """Turn a header-less grid (first row = header) into a :class:`RawTable`.

    Completely empty rows are set aside and counted; unnamed empty columns are dropped;
    unnamed columns with values get a name (warning); duplicated headers are an error.
    """
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        raise InputFileError(_("The file {name!r} is empty: it has no header row.", name=filename))
    body = rows.iloc[1:]
    body.index = pd.RangeIndex(2, 2 + len(body), name="row")
    keep, problems = _headers([rows.iat[0, j] for j in range(rows.shape[1])], body)  # not a row of mixed dtypes
    notes: list[str] = []
    if len(body):
        empty_rows = _empty_rows(body)
        if empty_rows.any():
            notes.append(n_("{n} empty row(s) ignored.", "{n} empty row(s) ignored.", int(empty_rows.sum())))
            body = body[~empty_rows]
    names, dup = _dedupe([n for _j, n in keep])
    positions = [j for j, _n in keep]
    data = body.copy(deep=False) if positions == list(range(body.shape[1])) else body.iloc[:, positions]  # no copy of the cells
    data.columns = names
    if len(data) == 0:
        raise InputFileError(_("The file {name!r} has a header row but no data rows.", name=filename))
    return RawTable(data=data, filename=filename, format=fmt, notes=tuple(notes), problems=tuple(problems + dup), **meta)


# --------------------------------------------------------------------------- Excel
def _check_xlsx_parts(data: bytes, name: str, limits: ReadLimits) -> None:
    """Refuse workbooks whose XML parts would expand beyond the byte limit (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise InputFileError(_("{name!r} could not be opened as an Excel workbook (damaged zip). Save it again as .xlsx or CSV.",
                               name=name)) from exc
    for info in infos:
        if info.file_size > limits.max_bytes:
            part = "shared strings" if "sharedStrings" in info.filename else info.filename
            raise InputFileError(_(
                "{name!r}: its part {part!r} expands to {size}, more than the limit of "
                "{limit}. Export the sheet as CSV, or raise MYOSCOPE_MAX_FILE_MB (--max-file-mb).",
                name=name, part=part, size=_mb(info.file_size), limit=_mb(limits.max_bytes),
            ))


def _pick_sheet(sheets: tuple[str, ...], sheet: str | int | None, name: str) -> str:
    if sheet is None or sheet == "":
        return sheets[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(sheets):
            raise InputFileError(n_("{name!r} has {n} sheet(s); there is no sheet number {number}.",
                                    "{name!r} has {n} sheet(s); there is no sheet number {number}.",
                                    len(sheets), name=name, number=sheet + 1))
        return sheets[sheet]
    if sheet not in sheets:
        raise InputFileError(_("{name!r} has no sheet named {sheet!r}; its sheets are: {sheets}.", name=name, sheet=sheet, sheets=", ".join(sheets)))
    return sheet


def _stream_sheet(ws: Any, name: str, limits: ReadLimits, progress: Progress | None = None) -> list[tuple[object, ...]]:
    """Rows of a read-only worksheet, stopping as soon as a limit is passed (and
    reporting ``progress`` every :data:`CHUNK_ROWS` rows, where the read can be cancelled)."""
    where = _(", sheet {sheet!r}", sheet=ws.title)
    declared_rows, declared_cols = ws.max_row or 0, ws.max_column or 0
    _check_shape(max(declared_rows - 1, 0), declared_cols, name, limits, where + " (declared extent)")
    ws.reset_dimensions()
    grid: list[tuple[object, ...]] = []
    cells = 0
    last_filled = 0
    for r in ws.iter_rows(values_only=True):
        width = len(r)
        while width and r[width - 1] is None:
            width -= 1
        if width > limits.max_columns:
            _check_shape(len(grid), width, name, limits, where)
        grid.append(r[:width])
        if progress is not None and len(grid) % CHUNK_ROWS == 0:
            progress(min(0.99, len(grid) / max(declared_rows, len(grid) + 1)))
        cells += width
        if width:
            last_filled = len(grid)
        if len(grid) - 1 > limits.max_rows or cells > limits.max_cells:
            _check_shape(len(grid) - 1, max(width, 1), name, limits, where)
            _check_shape(len(grid) - 1, max(cells // max(len(grid), 1), 1), name, limits, where)
    return grid[:last_filled]


def _read_excel(data: bytes, filename: str, sheet: str | int | None, limits: ReadLimits,
                progress: Progress | None = None) -> RawTable:
    import openpyxl

    _check_xlsx_parts(data, filename, limits)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputFileError(_("{name!r} could not be opened as an Excel workbook ({error}). Save it again as .xlsx or export it as CSV.",
                               name=filename, error=type(exc).__name__)) from exc
    try:
        sheets = tuple(wb.sheetnames)
        name = _pick_sheet(sheets, sheet, filename)
        grid = _stream_sheet(wb[name], filename, limits, progress)
    finally:
        wb.close()
    width = max((len(r) for r in grid), default=0)
    if not grid or not width:
        raise InputFileError(_("The sheet {sheet!r} of {name!r} is empty.", sheet=name, name=filename))
    rows = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in grid], dtype=object)
    for j in range(width):  # long text cells, as in CSV
        col = rows[j]
        if col.map(lambda v: isinstance(v, str) and len(v) > limits.max_cell_chars).any():
            i = int(np.argmax(col.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy()))
            raise InputFileError(_("{name!r}, row {row}, column {column}: a cell of {n} characters exceeds the "
                                   "limit of {limit}. Shorten it, or raise MYOSCOPE_MAX_CELL_CHARS.",
                                   name=filename, row=i + 1, column=j + 1, n=_int(len(col[i])),
                                   limit=_int(limits.max_cell_chars)))
    return table_from_rows(rows, filename, "xlsx", sheet=name, sheets=sheets, decimal=".")


# --------------------------------------------------------------------------- entry point
def is_excel(data: bytes, filename: str) -> bool:
    """An ``.xlsx``/``.xlsm`` file (by name or by its zip signature)."""
    return filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"


def read_table(
    source: Source,
    filename: str = "",
    sheet: str | int | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
    categorical: bool = False,
) -> RawTable:
    """Read any tabular file without interpreting its values (see the module docstring).

    Parameters
    ----------
    source : bytes, path or binary file
        The file. It is only read, never modified.
    filename : str
        Name used to choose the format (``.xlsx``/``.xlsm`` -> Excel, otherwise text)
        and in messages.
    sheet : str or int, optional
        Excel sheet (name or 0-based position); the first sheet by default.
    limits : ReadLimits, optional
        Size bounds (default :meth:`ReadLimits.from_env`).
    progress : callable, optional
        ``progress(fraction)`` is called while a large file is read (every
        :data:`CHUNK_ROWS` rows). Work that is no longer wanted (tab closed, new upload)
        stops there: an exception raised by ``progress`` cancels the read.
    categorical : bool
        Hold each column of a text file as a pandas ``category`` of its texts (see
        :class:`RawTable`): a cohort is typed on distinct values, and a million-row file
        then takes a byte per cell instead of a Python object pointer.

    Raises
    ------
    InputFileError
        Empty, too large, undecodable or damaged file, unknown sheet.
    """
    limits = limits or ReadLimits.from_env()
    data, filename = source_bytes(source, filename, limits)
    if not data or not data.strip():
        raise InputFileError(_("The file {name!r} is empty.", name=filename or "uploaded"))
    if filename.lower().endswith(".xls"):
        raise InputFileError(_("{name!r} is an old Excel 97-2003 file: save it as .xlsx or CSV.", name=filename))
    if is_excel(data, filename):
        return _read_excel(data, filename, sheet, limits, progress)
    return _read_text(data, filename, limits, progress, categorical)


# --------------------------------------------------------------------------- declared columns
@dataclass(frozen=True)
class ColumnSpec:
    """A column a kind of file declares.

    Attributes
    ----------
    name : str
        Canonical name.
    required : bool
    synonyms : tuple[str, ...]
        Other headers accepted (compared case-, accent- and punctuation-insensitively).
    """

    name: str
    required: bool = True
    synonyms: tuple[str, ...] = ()


def header_key(text: object) -> str:
    """Matching key of a header: accent-free, lower case, punctuation as single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", codes.strip_accents(str(text)).lower()).strip()


def select_columns(raw: RawTable, specs: Sequence[ColumnSpec], what: str) -> pd.DataFrame:
    """The declared columns of ``raw``, renamed to their canonical names.

    Undeclared columns are kept under their own names. The index stays the spreadsheet
    row number.

    Raises
    ------
    InputFileError
        A required column is missing (the message lists what was found).
    """
    lookup: dict[str, str] = {}
    for s in specs:
        for k in (s.name, *s.synonyms):
            lookup.setdefault(header_key(k), s.name)
    rename: dict[str, str] = {}
    for c in raw.data.columns:
        target = lookup.get(header_key(c))
        if target is not None and target not in rename.values():
            rename[c] = target
    out = raw.data.rename(columns=rename)
    missing = [s.name for s in specs if s.required and s.name not in out.columns]
    if missing:
        raise InputFileError(_(
            "{what} {name!r}: missing column(s) {missing}; it needs {needed} (found: {found}).",
            what=what, name=raw.filename, missing=", ".join(repr(m) for m in missing),
            needed=", ".join(s.name for s in specs if s.required), found=", ".join(map(str, raw.data.columns)),
        ))
    return out


__all__ = [
    "ColumnSpec",
    "InputFileError",
    "RawTable",
    "ReadLimits",
    "decode",
    "detect_decimal",
    "detect_delimiter",
    "header_key",
    "is_excel",
    "read_table",
    "select_columns",
    "source_bytes",
    "table_from_rows",
]
