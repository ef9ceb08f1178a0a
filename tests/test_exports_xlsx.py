"""The sheet writer: data rows written as sheet XML read back as the values given, under openpyxl's header."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from reports.xlsx import SheetColumn, add_sheet, new_workbook, save

COLUMNS = [SheetColumn("文本", 20), SheetColumn("数", 8), SheetColumn("日期", 12, hidden=True)]


def _roundtrip(tmp_path, rows, columns=COLUMNS):
    wb = new_workbook()
    add_sheet(wb, "表", columns, rows)
    add_sheet(wb, "空表", columns, [])
    path = save(wb, tmp_path / "t.xlsx")
    return load_workbook(path)


def test_values_read_back_as_written(tmp_path):
    rows = [
        ("a & b < c > d", 3, date(2026, 2, 28)),
        ("  spaced  ", 2.5, datetime(2026, 2, 28, 12, 0)),
        ("带\x07控制字符", np.int64(7), None),
        ("", float("nan"), None),
        (None, True, pd.Timestamp("2020-01-01")),
        ("x" * 40000, np.float64(0.125), None),
    ]
    ws = _roundtrip(tmp_path, rows)["表"]
    got = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=2, max_col=3)]
    assert got[0] == ("a & b < c > d", 3, datetime(2026, 2, 28))
    assert got[1] == ("  spaced  ", 2.5, datetime(2026, 2, 28, 12, 0))
    assert got[2] == ("带控制字符", 7, None)  # characters XML cannot hold are dropped, not fatal
    assert got[3] == (None, None, None)  # an empty string or NaN is an empty cell
    assert got[4] == (None, True, datetime(2020, 1, 1))  # a gap keeps the next cell in its column
    assert len(got[5][0]) == 32767 and math.isclose(got[5][1], 0.125)
    assert ws["C2"].number_format == "yyyy-mm-dd"
    assert ws.max_row == len(rows) + 1


def test_header_pane_filter_and_widths(tmp_path):
    wb = _roundtrip(tmp_path, [("一", 1, date(2026, 1, 1))] * 3)
    for title, n in (("表", 3), ("空表", 0)):
        ws = wb[title]
        assert [c.value for c in ws[1]] == ["文本", "数", "日期"]
        assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:C{n + 1}"
        assert ws.column_dimensions["A"].width == 20 and ws.column_dimensions["C"].hidden
        assert ws.max_row == n + 1


def test_no_temporary_file_is_left(tmp_path):
    _roundtrip(tmp_path, [("一", 1, None)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]
