"""Writing one table as a department's file: title rows, a header (possibly with a
line break or half-width brackets), data rows with the odd blank row, footers;
``.xlsx`` (notes sheets before or after) or ``.csv`` in UTF-8, UTF-8 with BOM or
GB18030, comma or tab separated. Returns the 1-based row number, as a
spreadsheet shows it, of every data row written (registry.md, ``source_row``)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook


@dataclass
class FileLayout:
    """How one file is laid out (chosen per file, so files of one source differ)."""

    titles: list[str] = field(default_factory=list)
    footers: list[str] = field(default_factory=list)
    blank_after_header: bool = False
    blank_every: int = 0  # a blank row after every n data rows (0 = never)
    encoding: str = "utf-8-sig"
    sep: str = ","
    sheet: str = "Sheet1"
    notes_before: list[str] | None = None  # a notes sheet placed before the data sheet
    notes_after: list[str] | None = None
    merge_title: bool = False


def _numbers(n_rows: int, layout: FileLayout) -> tuple[list[int], list[int]]:
    """Row number of each data row and the positions after which a blank row goes."""
    row = len(layout.titles) + 1 + (1 if layout.blank_after_header else 0)
    numbers, blanks = [], []
    for i in range(n_rows):
        row += 1
        numbers.append(row)
        if layout.blank_every and (i + 1) % layout.blank_every == 0 and i + 1 < n_rows:
            blanks.append(i)
            row += 1
    return numbers, blanks


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], layout: FileLayout) -> list[int]:
    """A CSV file; every cell is text and no cell holds a line break, so the
    physical line number is the spreadsheet's row number."""
    numbers, blanks = _numbers(len(rows), layout)
    blank_set = set(blanks)
    width = len(header)
    with path.open("w", encoding=layout.encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=layout.sep, lineterminator="\r\n")
        for title in layout.titles:
            w.writerow([title] + [""] * (width - 1))
        w.writerow([h.replace("\n", "") for h in header])
        if layout.blank_after_header:
            w.writerow([""] * width)
        for i, row in enumerate(rows):
            w.writerow([_text(v).replace("\n", " ") for v in row])
            if i in blank_set:
                w.writerow([""] * width)
        for footer in layout.footers:
            w.writerow([footer] + [""] * (width - 1))
    return numbers


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]], layout: FileLayout) -> list[int]:
    """An .xlsx file; large tables are written in openpyxl's streaming mode (no
    merged title then)."""
    numbers, blanks = _numbers(len(rows), layout)
    blank_set = set(blanks)
    streaming = len(rows) > 15000
    wb = Workbook(write_only=streaming)
    if not streaming:
        wb.remove(wb.active)
    if layout.notes_before:
        notes = wb.create_sheet("填表说明")
        for line in layout.notes_before:
            notes.append([line])
    ws = wb.create_sheet(layout.sheet)
    for title in layout.titles:
        ws.append([title])
    ws.append(list(header))
    if layout.blank_after_header:
        ws.append([])
    for i, row in enumerate(rows):
        ws.append([None if v == "" else v for v in row])
        if i in blank_set:
            ws.append([])
    for footer in layout.footers:
        ws.append([footer])
    if layout.merge_title and not streaming and layout.titles:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=min(len(header), 12))
    if layout.notes_after:
        notes = wb.create_sheet("说明")
        for line in layout.notes_after:
            notes.append([line])
    wb.save(path)
    return numbers
