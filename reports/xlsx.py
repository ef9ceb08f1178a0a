"""Writing a frame as a sheet a clerk can use as is: bold frozen header, filter, sensible
widths, long texts wrapped, printing landscape on A4 fitted to the page's width with the
header repeated on every page.

A city's civil-affairs workbook holds tens of thousands of rows, and a sync writes
some 200,000. openpyxl (write-only) writes everything but the data rows: the
workbook's parts, styles, widths, frozen pane, header row, filter and validations.
The data rows, plain values under that header, are written here as sheet XML
straight into the saved file (``save``): openpyxl builds a cell object and an XML
element per value, which made it nine tenths of the export's time. Strings are
inline (``t="inlineStr"``, as openpyxl's write-only mode writes them too); dates
are serial numbers in openpyxl's own date style.
"""

from __future__ import annotations

import numbers
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from reports.config import settings
from reports.display import display_width, units, width_sample
from reports.texts import EXCEL_TITLE_LIMIT

_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetColumn:
    header: str
    width: int
    hidden: bool = False
    fill: str | None = None  # background of the whole column, e.g. a column to fill in


def fitted_columns(frame: pd.DataFrame, headers: Mapping[str, str]) -> list[SheetColumn]:
    """Columns for the frame's columns named in headers (column -> header), sized to their content.

    Fixed-format columns (an identity number, a date) keep their configured minimum
    even in an empty sheet, so a clerk pasting into it sees them whole.
    """
    book = settings()["workbook"]
    floor, cap = book["min_widths"], book["max_widths"]
    sample = width_sample(frame)
    return [
        SheetColumn(h, max(display_width(sample[c], h, cap.get(c, book["max_width"])), floor.get(c, 0)))
        for c, h in headers.items()
    ]


class StreamedWorkbook(Workbook):
    """A write-only workbook whose sheets' data rows are written at ``save``, by this module."""

    def __init__(self) -> None:
        super().__init__(write_only=True)
        # sheet -> (its data rows, the column widths their text wraps at, or None)
        self.pending_rows: dict[WriteOnlyWorksheet, tuple[list[tuple], list[int] | None]] = {}


def new_workbook() -> StreamedWorkbook:
    return StreamedWorkbook()


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unused sheet name: Excel forbids []:*?/\\ and more than 31 characters."""
    base = _BAD_TITLE_CHARS.sub("_", text)[:EXCEL_TITLE_LIMIT] or "Sheet"
    title, n = base, 1
    while title.casefold() in {t.casefold() for t in taken}:
        n += 1
        suffix = f"({n})"
        title = base[: EXCEL_TITLE_LIMIT - len(suffix)] + suffix
    taken.add(title)
    return title


def add_sheet(
    workbook: Workbook,
    title: str,
    columns: Sequence[SheetColumn],
    rows: Iterable[tuple],
    *,
    wrapped: bool = False,
    filtered: bool = True,
) -> WriteOnlyWorksheet:
    """Stream rows under a header into a new sheet; returns it for tail settings (validations).

    ``wrapped``: text cells wrap within the column's width (top-aligned), so a long
    sentence is read whole instead of cut off at the next column; each row is given the
    height its longest cell needs, since not every program sizes rows when it opens a file.
    """
    ws = workbook.create_sheet(title)
    for i, col in enumerate(columns, 1):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = col.width
        dim.hidden = col.hidden
        if col.fill:
            dim.fill = PatternFill("solid", fgColor=col.fill)
    ws.freeze_panes = "A2"
    _print_setup(ws)
    widths = [c.width for c in columns]
    # bold headers run wider than the body's text
    ws.row_dimensions[1].height = _LINE_HEIGHT * _lines([c.header for c in columns], [w - 3 for w in widths])
    ws.append([_header_cell(ws, c.header) for c in columns])
    data = list(rows)
    if isinstance(workbook, StreamedWorkbook):
        workbook.pending_rows[ws] = (data, widths if wrapped else None)
    else:
        for row in data:
            ws.append(row)
    if filtered:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(data) + 1}"
    return ws


def _print_setup(ws: WriteOnlyWorksheet) -> None:
    """Landscape A4, every column on the page's width, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.3


_LINE_HEIGHT = 15  # points per line of 11-point text
_measured = lru_cache(maxsize=1 << 16)(units)  # places, reasons and next steps repeat


def _lines(values: Sequence[object], widths: Sequence[int]) -> int:
    """Lines the tallest of a row's text cells takes when wrapped at its column's width."""
    most = 1
    for value, width in zip(values, widths, strict=False):
        if isinstance(value, str) and value:
            parts = value.split("\n")
            most = max(most, sum(-(-_measured(p) // max(width - 1, 1)) or 1 for p in parts))
    return most


_WRAP = Alignment(wrap_text=True, vertical="top")


def _header_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor=settings()["workbook"]["header_fill"])
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell


def save(workbook: Workbook, path: Path) -> Path:
    """Save through a temporary name, so a reader never opens a half-written workbook."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pending = getattr(workbook, "pending_rows", None)
    if not pending:
        workbook.save(partial)
    else:
        skeleton = path.with_name(f".{path.name}.skeleton")
        styles = _Styles(workbook)  # registered before openpyxl writes the styles
        try:
            workbook.save(skeleton)
            _fill_rows(skeleton, partial, workbook, pending, styles)
        finally:
            skeleton.unlink(missing_ok=True)
    os.replace(partial, path)
    return path


# --- data rows as sheet XML --------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_CELL_TEXT = 32767  # Excel's limit; openpyxl truncates too
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 forbids
_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class _Styles:
    """The cell-style indexes openpyxl gives a date cell (its yyyy-mm-dd format, top-aligned
    like the text beside it) and a wrapped text cell, registered by probing before the
    workbook's styles are written."""

    date: int
    wrap: int

    def __init__(self, workbook: Workbook) -> None:
        sheet = workbook.worksheets[0]
        dated = WriteOnlyCell(sheet, value=date(2000, 1, 1))
        dated.alignment = Alignment(vertical="top")
        wrapped = WriteOnlyCell(sheet, value="")
        wrapped.alignment = _WRAP
        object.__setattr__(self, "date", dated.style_id)
        object.__setattr__(self, "wrap", wrapped.style_id)


def _fill_rows(
    skeleton: Path,
    out: Path,
    workbook: Workbook,
    pending: Mapping[WriteOnlyWorksheet, tuple[list[tuple], list[int] | None]],
    styles: _Styles,
) -> None:
    """Copy the saved workbook, writing each sheet's data rows after its header row."""
    parts = {
        f"xl/worksheets/sheet{workbook.worksheets.index(ws) + 1}.xml": rows for ws, rows in pending.items()
    }
    with (
        zipfile.ZipFile(skeleton) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename not in parts:
                dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            head, tail = _split_at_rows_end(data.decode("utf-8"), info.filename)
            part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(part, "w", force_zip64=True) as f:
                f.write(head.encode("utf-8"))
                rows, widths = parts[info.filename]
                for chunk in _row_chunks(rows, styles.date, styles.wrap if widths else None, widths):
                    f.write(chunk.encode("utf-8"))
                f.write(tail.encode("utf-8"))


def _split_at_rows_end(xml: str, name: str) -> tuple[str, str]:
    """The sheet XML before and after the point where data rows go (the end of sheetData)."""
    if xml.count("</sheetData>") == 1:
        at = xml.index("</sheetData>")
        return xml[:at], xml[at:]
    if xml.count("<sheetData/>") == 1:
        at = xml.index("<sheetData/>")
        return xml[:at] + "<sheetData>", "</sheetData>" + xml[at + len("<sheetData/>") :]
    raise ValueError(f"{name}: no single sheetData element to write rows into")


def _row_chunks(
    rows: list[tuple],
    date_style: int,
    wrap_style: int | None = None,
    widths: Sequence[int] | None = None,
    first_row: int = 2,
) -> Iterator[str]:
    """The rows as <row> elements, a few thousand per string.

    A cell's XML after its reference is computed once per distinct value of a sheet:
    places, reasons and next steps repeat on every row.
    """
    width = max((len(r) for r in rows), default=0)
    letters = [get_column_letter(i) for i in range(1, width + 1)]
    tails: dict[tuple[type, object], str] = {}
    out = []
    for n, row in enumerate(rows, start=first_row):
        cells = []
        for letter, value in zip(letters, row, strict=False):
            if value is None:
                continue
            key = (value.__class__, value)
            try:
                tail = tails[key]
            except KeyError:
                tail = tails[key] = _cell_tail(value, date_style, wrap_style)
            except TypeError:  # unhashable: not cached
                tail = _cell_tail(value, date_style, wrap_style)
            if tail:
                cells.append(f'<c r="{letter}{n}"{tail}')
        lines = _lines(row, widths) if widths else 1
        height = f' ht="{lines * _LINE_HEIGHT}" customHeight="1"' if lines > 1 else ""
        out.append(f'<row r="{n}"{height}>{"".join(cells)}</row>')
        if len(out) == _CHUNK_ROWS:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)


def _cell_tail(value: object, date_style: int, wrap_style: int | None = None) -> str:
    """A cell's XML after its reference; empty for a value that makes no cell."""
    if isinstance(value, str):
        return _text_tail(value, wrap_style)
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Number):
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinity: not a number Excel has
            return ""
        return f' t="n"><v>{value}</v></c>'
    if isinstance(value, datetime):
        if value is pd.NaT:
            return ""
        since = value - datetime(1899, 12, 30, tzinfo=value.tzinfo)
        return f' s="{date_style}" t="n"><v>{since.days + since.seconds / 86400}</v></c>'
    if isinstance(value, date):
        return f' s="{date_style}" t="n"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, time):
        return _text_tail(value.isoformat(), wrap_style)
    return _text_tail(str(value), wrap_style)


def _text_tail(text: str, style: int | None = None) -> str:
    if not text:
        return ""  # as openpyxl: an empty string is an empty cell
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    text = escape(text[:_MAX_CELL_TEXT])
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    styled = f' s="{style}"' if style is not None else ""
    return f'{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>'
