"""Writing sheets to .xlsx (streamed), .xls (old Excel) and .csv files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import xlwt
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from synth.layout import Sheet


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        for row in sheet.rows:
            ws.append(row)
        if sheet.merge_title:
            ws.merged_cells.add(f"A1:{get_column_letter(sheet.merge_title)}1")
    wb.save(path)


def write_xls(path: Path, sheets: list[Sheet]) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for sheet in sheets:
        ws = wb.add_sheet(sheet.name)
        for r, row in enumerate(sheet.rows):
            if r == 0 and sheet.merge_title:
                ws.write_merge(0, 0, 0, sheet.merge_title - 1, row[0])
                continue
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    ws.write(r, c, value, dated)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))


def write_csv(path: Path, sheet: Sheet, encoding: str, sep: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=sep, lineterminator="\r\n")
        for row in sheet.rows:
            writer.writerow(["" if v is None else v for v in row])
