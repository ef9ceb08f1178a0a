"""Writing a frame as a sheet a clerk can use as is: bold frozen header, filter, sensible widths.

Workbooks are streamed (openpyxl write-only): a city's civil-affairs workbook holds
tens of thousands of rows. Everything above the rows (widths, frozen pane) must be
set before the first row is written; the filter and validations go after.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from warehouse.exports.config import settings
from warehouse.exports.display import display_width
from warehouse.exports.texts import EXCEL_TITLE_LIMIT

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
    floor = book["min_widths"]
    return [
        SheetColumn(h, max(display_width(frame[c], h, book["max_width"]), floor.get(c, 0)))
        for c, h in headers.items()
    ]


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


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
    workbook: Workbook, title: str, columns: Sequence[SheetColumn], rows: Iterable[tuple]
) -> WriteOnlyWorksheet:
    """Stream rows under a header into a new sheet; returns it for tail settings (validations)."""
    ws = workbook.create_sheet(title)
    for i, col in enumerate(columns, 1):
        dim = ws.column_dimensions[get_column_letter(i)]
        dim.width = col.width
        dim.hidden = col.hidden
        if col.fill:
            dim.fill = PatternFill("solid", fgColor=col.fill)
    ws.freeze_panes = "A2"
    ws.append([_header_cell(ws, c.header) for c in columns])
    n = 0
    for row in rows:
        ws.append(row)
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
    return ws


def _header_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor=settings()["workbook"]["header_fill"])
    return cell


def save(workbook: Workbook, path: Path) -> Path:
    """Save through a temporary name, so a reader never opens a half-written workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    workbook.save(partial)
    os.replace(partial, path)
    return path
