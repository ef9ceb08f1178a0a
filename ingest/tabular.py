"""A file's bytes as grids of cells, each row numbered as its author sees it.

Workbooks (.xlsx, .xls and the other formats calamine reads) give one grid per
sheet, numbered from spreadsheet row 1 whatever is empty above the data.
Delimited text gives one grid numbered by physical line, so a quoted cell with a
line break moves the numbers of the rows after it, as in a text editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_SNIFF_LINES = 40
# Control characters other than tab and line ends never occur in delimited text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class UnreadableFile(ValueError):
    """A file that is not a workbook or delimited text this reader understands."""


@dataclass(frozen=True)
class Grid:
    """The cells of one sheet (or of a text file), row by row."""

    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]


def load_grids(name: str, data: bytes) -> list[Grid]:
    """Every grid of a file, chosen by its suffix; a workbook calamine cannot open
    is tried as delimited text (offices rename CSV exports to .xls)."""
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [delimited_grid(data)]
    if suffix not in WORKBOOK_SUFFIXES:
        raise UnreadableFile("not a workbook or delimited text file")
    try:
        return workbook_grids(data)
    # A broken workbook raises anything; only its type is kept, as messages may quote cells.
    except Exception as error:
        try:
            return [delimited_grid(data)]
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


def decode_text(data: bytes) -> str:
    """The text of a delimited file: UTF-16 when it says so by its BOM, else UTF-8
    (with or without BOM), else GB18030 — in that order, because GB18030 decodes
    almost any bytes and would garble a UTF-8 file (stack.md)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("the text is neither UTF-8 nor GB18030")


def sniff_delimiter(text: str) -> str:
    """Tab or comma: whichever the busiest of the first lines holds more of
    (title lines hold neither; the header holds one per column)."""
    lines = text.splitlines()[:_SNIFF_LINES]
    tabs = max((line.count("\t") for line in lines), default=0)
    commas = max((line.count(",") for line in lines), default=0)
    return "\t" if tabs > commas else ","


def delimited_grid(data: bytes) -> Grid:
    """One grid of a CSV/TSV; each row numbered by the physical line it starts on."""
    text = decode_text(data)
    if _CONTROL.search(text[:4096]):
        raise UnreadableFile("binary content, not delimited text")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    rows: list[list[object]] = []
    numbers: list[int] = []
    next_line = 1
    try:
        for row in reader:
            rows.append(row)
            numbers.append(next_line)
            next_line = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableFile(f"malformed delimited text at line {next_line}: {error}") from None
    return Grid(None, rows, numbers)
