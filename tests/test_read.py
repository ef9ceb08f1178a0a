"""Reading real files: headers found under title rows, footers left out, row numbers
as the staffer sees them, every encoding and separator of sources.md."""

from __future__ import annotations

import hashlib
import json

import pytest
from test_read_support import valid_id, write_csv, write_xls, write_xlsx

from ingest.read import column_letter, read_file, read_inbox

LEDGER = "civil_affairs_children"
HEADER = ["序号", "区县", "乡镇（街道）", "村（社区）", "儿童姓名", "性别", "身份证号", "出生日期"]
ID1, ID2 = valid_id("51041120150302123"), valid_id("51041120160405124")


def _cells(raw):
    return [json.loads(c) for c in raw["cells"]]


def _read(path, source=LEDGER):
    return read_file(path.name, path.read_bytes(), source, sync_id=1)


def test_title_rows_footers_and_notes_sheet_are_not_data(tmp_path):
    rows = [
        ["攀枝花市困境儿童信息台账"],
        ["填报单位：仁和区民政局（盖章）    统计时间：2026年5月"],
        HEADER,
        [1, "仁和区", "大田镇", "大田村", "张三", "男", ID1, "2015-03-02"],
        [],
        [2, "仁和区", "大田镇", "大田村", "李四", "女", ID2, "2016-04-05"],
        [3],
        ["合计", None, None, None, None, None, None, None],
        [None, "填表人：王五    审核人：赵六"],
        ["填报单位：仁和区民政局  填报日期：2026-05-10"],
    ]
    path = write_xlsx(tmp_path / "台账.xlsx", rows, sheet="2026年5月", merges=("A1:H1",), notes=True)
    read = _read(path)
    assert read.error is None
    assert read.sheet == "2026年5月"
    assert read.raw["source_row"].tolist() == [4, 6]
    assert [c["儿童姓名"] for c in _cells(read.raw)] == ["张三", "李四"]
    assert read.rows_read == 2
    assert read.rows_layout == 2 + 4  # two title rows; the counter-only row and three footers


def test_footer_text_in_the_name_column_is_layout_but_a_named_row_is_data(tmp_path):
    rows = [
        ["姓名", "性别", "身份证号", "出生日期", "备注"],
        ["合计：2人", None, None, None, None],
        ["张三", "男", None, None, "合计"],
        [None, None, ID1, None, "填表人：王五"],
    ]
    read = _read(write_xlsx(tmp_path / "残联.xlsx", rows), "disability_certificates")
    assert read.raw["source_row"].tolist() == [3, 4]
    assert read.rows_layout == 1


def test_header_with_line_break_and_half_width_brackets(tmp_path):
    header = ["序号", "区县", "乡镇(街道)", "村（社区）", "儿童\n姓名", "性 别", "身份证\n号码", "出生日期"]
    path = write_xlsx(
        tmp_path / "a.xlsx", [header, [1, "东区", "炳草岗街道", "a社区", "张三", "男", ID1, "2015-03-02"]]
    )
    read = _read(path)
    assert read.error is None
    assert _cells(read.raw)[0]["儿童\n姓名"] == "张三"


def test_data_on_the_first_sheet_that_has_the_header(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "本表由民政局填报，请勿修改表头"
    data = book.create_sheet("数据")
    for row in [["标题"], HEADER, [1, "东区", "x街道", "y社区", "张三", "男", ID1, "2015-03-02"]]:
        data.append(row)
    book.create_sheet("汇总").append(HEADER)
    book.save(tmp_path / "b.xlsx")
    read = _read(tmp_path / "b.xlsx")
    assert read.sheet == "数据"
    assert read.raw["source_row"].tolist() == [3]
    assert read.ignored_sheets == ["汇总"]


def test_old_xls_workbook(tmp_path):
    path = write_xls(
        tmp_path / "old.xls", [["台账"], HEADER, [1, "西区", "x", "y", "张三", "男", ID1, 42065.0]]
    )
    read = _read(path)
    assert read.raw["source_row"].tolist() == [3]
    assert _cells(read.raw)[0]["出生日期"] == "42065"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_csv_encodings_and_separators(tmp_path, encoding, delimiter):
    header = [
        "区县",
        "乡镇（街道）",
        "村（社区）",
        "家庭编号",
        "救助类别",
        "户主姓名",
        "户主身份证号",
        "成员姓名",
        "成员身份证号",
        "与户主关系",
    ]
    rows = [
        ["社会救助对象家庭成员"],
        header,
        ["仁和区", "大田镇", "大田村", "A1", "农村低保", "張偉", ID1, "張偉", ID1, "本人"],
    ]
    path = write_csv(tmp_path / "救助.csv", rows, encoding=encoding, delimiter=delimiter)
    read = _read(path, "civil_affairs_assistance")
    assert read.raw["source_row"].tolist() == [3]
    assert read.raw["source_sheet"].isna().all()
    cells = _cells(read.raw)[0]
    assert cells["成员姓名"] == "張偉"
    assert cells["乡镇（街道）"] == "大田镇"


def test_csv_row_numbers_are_physical_lines(tmp_path):
    header = ["姓名", "公民身份号码", "性别", "出生日期", "缴费年度"]
    rows = [
        header,
        ["张三", ID1, "男", "2015-03-02", "2026"],
        ["李\n四", ID2, "女", "2016-04-05", "2026"],
        [],
        ["王五", ID1, "男", "", "2026"],
    ]
    read = _read(write_csv(tmp_path / "医保.csv", rows), "health_insurance")
    assert read.raw["source_row"].tolist() == [2, 3, 6]
    assert _cells(read.raw)[1]["姓名"] == "李\n四"


def test_excel_float_id_is_kept_as_excel_shows_it(tmp_path):
    rows = [HEADER, [1, "东区", "x", "y", "张三", "男", 510402201503021234, "2015-03-02"]]
    read = _read(write_xlsx(tmp_path / "c.xlsx", rows))
    assert _cells(read.raw)[0]["身份证号"] == "5.10402201503021E+17"


def test_unknown_and_blank_headers_are_kept(tmp_path):
    rows = [
        HEADER[:4] + [None, "儿童姓名", "性别", "身份证号", "自定义列"],
        [1, "东区", "x", "y", "注", "张三", "男", ID1, "z"],
    ]
    cells = _cells(_read(write_xlsx(tmp_path / "d.xlsx", rows)).raw)[0]
    assert cells["E"] == "注"
    assert cells["自定义列"] == "z"


def test_headerless_file_keeps_every_row_by_column_letter(tmp_path):
    rows = [["东区", "张三", ID1], [], ["西区", "李四", ID2]]
    read = _read(write_xlsx(tmp_path / "无表头.xlsx", rows))
    assert read.error == f"no header row recognisable as {LEDGER} in 无表头.xlsx"
    assert read.raw["source_row"].tolist() == [1, 3]
    assert _cells(read.raw)[1] == {"A": "西区", "B": "李四", "C": ID2}


def test_unreadable_file_is_an_error_without_rows(tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04" + "张三".encode() + bytes(range(256)))
    read = _read(path)
    assert read.rows_read == 0
    assert "坏.xlsx" in read.error
    assert "张三" not in read.error


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_inbox_reports_missing_sources_duplicates_and_hashes(tmp_path):
    inbox = tmp_path / "inbox"
    rows = [HEADER, [1, "东区", "x", "y", "张三", "男", ID1, "2015-03-02"]]
    first = write_xlsx(inbox / LEDGER / "台账2026-05.xlsx", rows)
    (inbox / LEDGER / "台账 - 副本.xlsx").write_bytes(first.read_bytes())
    (inbox / LEDGER / "~$台账2026-05.xlsx").write_bytes(b"lock")
    write_csv(
        inbox / "health_insurance" / "医保.csv",
        [["姓名", "公民身份号码", "性别", "出生日期"], ["张三", ID1, "男", "2015-03-02"]],
    )
    read = read_inbox(inbox, sync_id=3)
    assert read.missing == [
        "civil_affairs_assistance",
        "disability_certificates",
        "education_students",
        "health_conditions",
        "poverty_households",
    ]
    assert [f.file_name for f in read.files] == ["台账 - 副本.xlsx", "台账2026-05.xlsx", "医保.csv"]
    assert read.files[1].duplicate_of == "台账 - 副本.xlsx"
    assert read.counts[LEDGER] | {"duplicate_files": None} == {
        "files": 2,
        "missing": False,
        "rows_read": 2,
        "rows_layout": 0,
        "duplicate_files": None,
        "files_refused": [],
        "files_skipped": [{"file": "~$台账2026-05.xlsx", "reason": "Excel lock file"}],
        "sheets_ignored": [],
    }
    assert read.counts["civil_affairs_staff"]["missing"] is True
    assert set(read.raw["file_hash"]) == {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, inbox / "health_insurance" / "医保.csv")
    }
    assert read.raw["sync_id"].eq(3).all()
    assert list(read.raw.columns) == [
        "source_system",
        "source_file",
        "source_sheet",
        "source_row",
        "file_hash",
        "cells",
        "sync_id",
        "read_fault",
    ]


def test_merged_cells_and_group_labels_over_two_header_rows(tmp_path):
    rows = [
        ["困境儿童台账"],
        ["序号", "区县", "儿童姓名", "身份证号", "父亲", None, None, "母亲", None, None],
        [None, None, None, None, "姓名", "身份证号", "状况", "姓名", "身份证号", "状况"],
        [1, "仁和区", "张三", ID1, "张大", None, "死亡", "李梅", None, "外出务工"],
        [2, None, "李四", ID2, "李大", None, "正常", "王芳", None, "正常"],
    ]
    merges = ("A1:J1", "E2:G2", "H2:J2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "B4:B5")
    read = _read(write_xlsx(tmp_path / "两行表头.xlsx", rows, merges=merges))
    assert read.raw["source_row"].tolist() == [4, 5]
    first, second = _cells(read.raw)
    assert (first["父亲姓名"], first["母亲状况"], first["儿童姓名"]) == ("张大", "外出务工", "张三")
    assert second["区县"] == "仁和区"  # a county written once down a merged block
    assert read.rows_layout == 1


def test_total_row_with_counts_in_the_name_and_number_columns_is_layout(tmp_path):
    """sources.md: footer rows after the data (合计); a count in the name column is no name."""
    from ingest.read import read_file

    text = "参保地行政区划,姓名,公民身份号码,性别\n510411,张三,510411201503021234,男\n合计,1人,,\n"
    read = read_file("参保202611.csv", text.encode("utf-8"), "health_insurance", 1)
    assert read.rows_read == 1 and read.rows_layout == 1
    text = "患者姓名,身份证号,性别,出生日期\n李四,510411201503021234,女,2015-03-02\n合计,1人,,\n"
    read = read_file("登记.csv", text.encode("utf-8"), "health_conditions", 1)
    assert read.rows_read == 1 and read.rows_layout == 1
