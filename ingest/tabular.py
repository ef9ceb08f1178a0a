"""A file's bytes as grids of cells, each row numbered as its author sees it.

Workbooks (.xlsx, .xls and the other formats calamine reads) give one grid per
sheet, numbered from spreadsheet row 1 whatever is empty above the data.
Delimited text gives one grid numbered by physical line, so a quoted cell with a
line break moves the numbers of the rows after it, as in a text editor; a line
that cannot be read is a row with a fault, never a lost file.

This module runs in the reader process (``ingest/guard.py``): it imports no
more than it needs to turn bytes into cells.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import itertools
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook, SheetTypeEnum

from ingest.limits import Limits, load_limits

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_SNIFF_LINES = 40
# Control characters other than tab and line ends never occur in delimited text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# How many non-ASCII lines vote on UTF-8 against GB18030.
_VOTE_LINES = 1000
_ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030"}
_Text = TypeVar("_Text", str, bytes)
_WORKSHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
# The <dimension> element follows <sheetPr> at the head of a sheet's XML.
_DIMENSION_HEAD = 1 << 16
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]{1,40})"')
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATION_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class UnreadableFile(ValueError):
    """A file that is not a workbook or delimited text this reader understands."""


@dataclass(frozen=True)
class Grid:
    """The cells of one sheet (or of a text file), row by row."""

    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]
    # row number → why the row could not be read whole (undecodable bytes, an over-long line)
    faults: dict[int, str] = field(default_factory=dict)


def load_grids(name: str, data: bytes, limits: Limits | None = None) -> list[Grid]:
    """Every grid of a file, chosen by its suffix; a workbook calamine cannot open
    is tried as delimited text (offices rename CSV exports to .xls). A workbook
    beyond the limits (``check_workbook``) is refused before any sheet is read."""
    limits = limits or load_limits()
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [delimited_grid(data, limits)]
    if suffix not in WORKBOOK_SUFFIXES:
        raise UnreadableFile("not a workbook or delimited text file")
    check_workbook(data, limits)
    try:
        return workbook_grids(data)
    except MemoryError:
        raise
    # A broken workbook raises anything; only its type is kept, as messages may quote cells.
    except Exception as error:
        try:
            return [delimited_grid(data, limits)]
        except UnreadableFile:
            raise UnreadableFile(f"the workbook cannot be opened ({type(error).__name__})") from None


def workbook_grids(data: bytes) -> list[Grid]:
    """One grid per worksheet, in workbook order; row i of a grid is spreadsheet row i+1."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = []
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False)
        _fill_merged(rows, sheet.merged_cell_ranges or [])
        grids.append(Grid(meta.name, rows, list(range(1, len(rows) + 1))))
    return grids


def _fill_merged(rows: list[list[object]], ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Give every cell of a merged range the value shown in it (a county written
    once down a block of rows, a group label over its columns); a workbook stores
    it in the top-left cell only."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for row in rows[top : bottom + 1]:
            row.extend([""] * (right + 1 - len(row)))
            row[left : right + 1] = [value] * (right + 1 - left)


# ---------------------------------------------------------------- workbook limits


def check_workbook(data: bytes, limits: Limits) -> None:
    """Refuse a zipped workbook (.xlsx, .xlsm, .xlsb, .ods) whose parts unpack to
    more than the limit, or an .xlsx sheet whose declared range (``<dimension
    ref>``) exceeds the limits, before calamine builds a grid of that size.
    Anything else about the zip is left to calamine to judge."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    unpacked = sum(info.file_size for info in book.infolist())
    if unpacked > limits.max_unpacked_bytes:
        raise UnreadableFile(
            f"its parts unpack to {unpacked:,} bytes, over the limit of {limits.max_unpacked_bytes:,}"
        )
    names = _sheet_names(book)
    for part in sorted(n for n in book.namelist() if _WORKSHEET_PART.fullmatch(n)):
        declared = _declared_range(book, part)
        if declared is None:
            continue
        ref, rows, columns = declared
        if (
            rows > limits.max_sheet_rows
            or columns > limits.max_sheet_columns
            or rows * columns > limits.max_sheet_cells
        ):
            raise UnreadableFile(
                f"sheet {names.get(part, part)} declares the range {ref} ({rows:,} rows × {columns:,}"
                f" columns), over the limits of {limits.max_sheet_rows:,} rows, {limits.max_sheet_columns:,}"
                f" columns and {limits.max_sheet_cells:,} cells"
            )


def _sheet_names(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part → the sheet's name as its tab shows it (empty when the
    workbook's own list cannot be read: the part's name is said instead)."""
    try:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in relations}
    names = {}
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_RELATION_NS}}}id"), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        names[part] = sheet.get("name", part)
    return names


def _declared_range(book: zipfile.ZipFile, part: str) -> tuple[str, int, int] | None:
    """A sheet's declared range, its rows and its columns, read from the head of
    the sheet's XML only (the element precedes the cells)."""
    with book.open(part) as stream:
        head = stream.read(_DIMENSION_HEAD)
    found = _DIMENSION.search(head)
    if found is None:
        return None
    ref = found.group(1).decode("ascii", errors="replace")
    corners = [_cell_position(c) for c in ref.upper().replace("$", "").split(":")]
    if None in corners:
        return None
    (top, left), (bottom, right) = corners[0], corners[-1]
    return ref, abs(bottom - top) + 1, abs(right - left) + 1


def _cell_position(ref: str) -> tuple[int, int] | None:
    """(row, column), both 1-based, of an A1 reference."""
    found = re.fullmatch(r"([A-Z]{1,4})(\d{1,8})", ref)
    if found is None:
        return None
    column = 0
    for letter in found.group(1):
        column = column * 26 + ord(letter) - 64
    return int(found.group(2)), column


# ---------------------------------------------------------------- delimited text


def decode_lines(data: bytes) -> tuple[list[str], dict[int, str]]:
    """The lines of a delimited file (each with its line end), and the lines that
    could not be decoded (line number → why), decoded with U+FFFD in place of
    their bad bytes.

    UTF-16 when the byte-order mark says so; else UTF-8 (with or without BOM) when
    the whole file decodes as UTF-8 or half its non-ASCII lines do (GB18030
    Chinese text is practically never valid UTF-8); else GB18030. Only when the
    whole file does not decode is it decoded line by line, so one bad byte
    sequence spoils one line, not the file (stack.md).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _lines(data.decode("utf-16")), {}
        except UnicodeDecodeError:
            raise UnreadableFile("the text is not the UTF-16 its byte-order mark says") from None
    try:
        return _lines(data.decode("utf-8-sig")), {}
    except UnicodeDecodeError:
        pass
    chunks = _lines(data)
    encoding = "utf-8" if _mostly_utf8(chunks) else "gb18030"
    if encoding == "gb18030":
        try:
            return _lines(data.decode("gb18030")), {}
        except UnicodeDecodeError:
            pass
    lines: list[str] = []
    faults: dict[int, str] = {}
    for number, chunk in enumerate(chunks, start=1):
        codec = "utf-8-sig" if encoding == "utf-8" and number == 1 else encoding
        try:
            lines.append(chunk.decode(codec))
        except UnicodeDecodeError as error:
            lines.append(chunk.decode(codec, errors="replace"))
            faults[number] = (
                f"not decodable as {_ENCODING_NAMES[encoding]} from byte {error.start + 1} of the line"
                " (kept with � in place)"
            )
    return lines, faults


def _lines(text: _Text) -> list[_Text]:
    """Text or bytes split after each line feed, line ends kept."""
    end = "\n" if isinstance(text, str) else b"\n"
    parts = text.split(end)
    last = parts.pop()
    return [part + end for part in parts] + ([last] if last else [])


def _mostly_utf8(chunks: list[bytes]) -> bool:
    """Whether at least half of the first non-ASCII lines decode as UTF-8 (a
    header and one bad line are a UTF-8 file; GB18030 lines almost never are)."""
    non_ascii = itertools.islice((c for c in chunks if not c.isascii()), _VOTE_LINES)
    votes = [_is_utf8(c) for c in non_ascii]
    return 2 * sum(votes) >= len(votes)


def _is_utf8(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(lines: list[str]) -> str:
    """Tab or comma: whichever the busiest of the first lines holds more of
    (title lines hold neither; the header holds one per column)."""
    lines = lines[:_SNIFF_LINES]
    tabs = max((line.count("\t") for line in lines), default=0)
    commas = max((line.count(",") for line in lines), default=0)
    return "\t" if tabs > commas else ","


def delimited_grid(data: bytes, limits: Limits | None = None) -> Grid:
    """One grid of a CSV/TSV; each row numbered by the physical line it starts on.

    A fault stays with its row: a line that cannot be decoded, a line longer than
    ``max_line_chars`` (left unparsed, its row empty) or a row the csv module
    cannot parse (parsing resumes on the next line) is a row with a fault.
    """
    limits = limits or load_limits()
    lines, faults = decode_lines(data)
    if _CONTROL.search("".join(itertools.islice(lines, _SNIFF_LINES))[:4096]):
        raise UnreadableFile("binary content, not delimited text")
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.max_line_chars:
            lines[number - 1] = "\n"
            faults[number] = (
                f"the line is {len(line):,} characters long, over the limit of {limits.max_line_chars:,}: not read"
            )
    rows, numbers, malformed = _parse_rows(lines, sniff_delimiter(lines))
    faults.update(malformed)
    return Grid(None, rows, numbers, _faults_by_row(numbers, faults))


def _parse_rows(lines: list[str], delimiter: str) -> tuple[list[list[object]], list[int], dict[int, str]]:
    """Rows, the line each starts on, and the rows the csv module could not parse
    (kept empty, with the error; parsing goes on from the line after)."""
    rows: list[list[object]] = []
    numbers: list[int] = []
    faults: dict[int, str] = {}
    start = 0
    while True:
        reader = csv.reader(itertools.islice(lines, start, None), delimiter=delimiter)
        first = start + 1
        try:
            for row in reader:
                rows.append(row)
                numbers.append(first)
                first = start + reader.line_num + 1
            return rows, numbers, faults
        except csv.Error as error:
            rows.append([])
            numbers.append(first)
            faults[first] = f"malformed delimited text: {error}"
            start = first


def _faults_by_row(numbers: list[int], faults: dict[int, str]) -> dict[int, str]:
    """Line faults moved to the row holding the line (a quoted cell spans lines)."""
    by_row: dict[int, str] = {}
    for line in sorted(faults):
        position = bisect.bisect_right(numbers, line) - 1
        if position < 0:
            continue
        row = numbers[position]
        by_row[row] = f"{by_row[row]}; {faults[line]}" if row in by_row else faults[line]
    return by_row
