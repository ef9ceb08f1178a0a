"""Writers of real extract files for the read and stage tests (no tests here).

Each writes what a department staffer's tool would: an .xlsx through openpyxl,
an .xls through xlwt, delimited text in a given encoding and separator.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import xlwt
from stdnum.cn import ric


def valid_id(body17: str) -> str:
    """An identity number with the right check digit for its first 17 digits."""
    return body17 + ric.calc_check_digit(body17 + "0")


def wrong_check(number: str) -> str:
    """The same number with a check digit that fails."""
    right = number[-1]
    return number[:-1] + ("1" if right != "1" else "2")


def write_xlsx(
    path: Path,
    rows: list[list[object]],
    sheet: str = "Sheet1",
    merges: tuple[str, ...] = (),
    notes: bool = False,
) -> Path:
    """A workbook whose first sheet holds ``rows`` from A1 (None leaves a cell empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for cells in merges:
        ws.merge_cells(cells)
    if notes:
        book.create_sheet("填表说明")["A1"] = "说明：身份证号填18位；姓名 身份证号 性别 出生日期"
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    """An old-style .xls workbook holding ``rows`` from A1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    book.save(str(path))
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Delimited text of ``rows`` with CRLF line ends, as Excel saves it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in row] for row in rows]
    )
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
