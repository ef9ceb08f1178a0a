"""Intake that stays inside the inbox, that no file can kill, and that faults at the
smallest unit (issue #13, items 1–2): each fault with a real file in a real inbox.

A refused file is named with its reason in its source's ``files_refused``; a
faulty line is a quarantined row naming file, row and reason while the rest of
its file is staged; every row read is staged or quarantined exactly once.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_read_support import valid_id, write_csv, write_xlsx

from ingest.folders import read_regular
from ingest.inbox import read_and_stage_inbox
from ingest.limits import load_limits
from ingest.read import read_inbox
from ingest.stage import stage
from ingest.tabular import UnreadableFile
from pipelines.steps.intake import read_step
from synth.city import write_city
from warehouse import tables as T
from warehouse.io import read_frame
from warehouse.lock import sync_lock

AS_OF = date(2026, 11, 30)
INSURANCE = "health_insurance"
HEADER = ["参保地行政区划", "姓名", "公民身份号码", "性别", "出生日期", "缴费年度", "参保状态"]
ID_1 = valid_id("51041120150302123")
ID_2 = valid_id("51041120160405124")
ID_3 = valid_id("51041120170506125")
ROWS = [
    ["510411", "张三", ID_1, "男", "2015-03-02", "2025", "参保缴费"],
    ["510411", "李四", ID_2, "女", "2016-04-05", "2025", "参保缴费"],
    ["510411", "王五", ID_3, "男", "2017-05-06", "2025", "参保缴费"],
]
EDUCATION_HEADER = (
    "学校标识码,学校名称,学校所在区县,学段,年级,班级,全国学籍号,姓名,性别,出生日期,民族,身份证件类型,身份证件号,"
    "户口性质,户口所在地,现住址,就读方式,是否留守儿童,是否孤儿,是否残疾,残疾类型,是否建档立卡贫困户,学籍状态"
)


def insurance_csv(path: Path) -> Path:
    return write_csv(path, [HEADER, *ROWS])


def csv_lines(*lines: bytes) -> bytes:
    return b"\r\n".join(lines) + b"\r\n"


def encoded(row: list[str], encoding: str) -> bytes:
    return ",".join(row).encode(encoding)


def refused(read, source: str) -> dict[str, str]:
    return {entry["file"]: entry["reason"] for entry in read.counts[source]["files_refused"]}


def assert_every_row_accounted(result) -> None:
    """registry.md: every row read is staged or quarantined, exactly once."""
    keys = ["source_file", "source_row"]
    assert len(result.staged) + len(result.quarantine) == len(result.raw)
    assert result.staged[keys].merge(result.quarantine[keys]).empty


# ---------------------------------------------------------------- inside the inbox


def test_symlinked_file_is_refused_and_named_and_its_content_never_read(tmp_path):
    outside = insurance_csv(tmp_path / "elsewhere" / "其他部门.csv")
    inbox = tmp_path / "inbox"
    insurance_csv(inbox / INSURANCE / "医保.csv")
    (inbox / INSURANCE / "链接.csv").symlink_to(outside)
    read = read_inbox(inbox, sync_id=1)
    assert refused(read, INSURANCE) == {"链接.csv": "a symbolic link: not followed"}
    assert set(read.raw["source_file"]) == {"医保.csv"}
    assert read.counts[INSURANCE]["rows_read"] == 3


def test_symlinked_source_folder_is_refused_whole(tmp_path):
    insurance_csv(tmp_path / "elsewhere" / "医保.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / INSURANCE).symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    read = read_inbox(inbox, sync_id=1)
    assert refused(read, INSURANCE) == {f"{INSURANCE}/": "the folder is a symbolic link: not followed"}
    assert read.raw.empty
    # It arrived, refused: not missing, and not whole (files_refused says why).
    assert read.counts[INSURANCE]["missing"] is False
    assert INSURANCE not in read.missing


def test_lock_and_hidden_files_are_skipped_and_counted(tmp_path):
    inbox = tmp_path / "inbox"
    insurance_csv(inbox / INSURANCE / "医保.csv")
    (inbox / INSURANCE / "~$医保.xlsx").write_bytes(b"\x00locked by someone")
    (inbox / INSURANCE / ".~lock.医保.csv#").write_bytes(b"lock")
    insurance_csv(inbox / INSURANCE / ".医保副本.csv")
    (inbox / INSURANCE / "旧数据").mkdir()
    read = read_inbox(inbox, sync_id=1)
    assert read.counts[INSURANCE]["files_skipped"] == [
        {"file": ".~lock.医保.csv#", "reason": "LibreOffice lock file"},
        {"file": ".医保副本.csv", "reason": "hidden file"},
        {"file": "~$医保.xlsx", "reason": "Excel lock file"},
        {"file": "旧数据", "reason": "a folder: only the source folder's own files are read"},
    ]
    assert read.counts[INSURANCE]["files_refused"] == []
    assert read.counts[INSURANCE]["files"] == 1
    assert set(read.raw["source_file"]) == {"医保.csv"}


def test_pipe_in_a_source_folder_is_refused_without_being_opened(tmp_path):
    inbox = tmp_path / "inbox"
    insurance_csv(inbox / INSURANCE / "医保.csv")
    os.mkfifo(inbox / INSURANCE / "管道.csv")  # opening it to read would block the sync forever
    read = read_inbox(inbox, sync_id=1)
    assert refused(read, INSURANCE) == {"管道.csv": "not a regular file"}
    assert set(read.raw["source_file"]) == {"医保.csv"}


def test_file_swapped_for_a_link_after_listing_is_refused_when_opened(tmp_path):
    outside = insurance_csv(tmp_path / "elsewhere" / "其他部门.csv")
    link = tmp_path / "inbox" / INSURANCE / "医保.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    with pytest.raises(UnreadableFile, match="^a symbolic link: not followed$"):
        read_regular(link)


def test_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    inbox = tmp_path / "inbox"
    small = insurance_csv(inbox / INSURANCE / "医保.csv")
    write_csv(inbox / INSURANCE / "大文件.csv", [HEADER, *ROWS * 20])
    limits = replace(load_limits(), max_file_bytes=small.stat().st_size)
    read = read_inbox(inbox, sync_id=1, limits=limits)
    size = (inbox / INSURANCE / "大文件.csv").stat().st_size
    assert refused(read, INSURANCE) == {
        "大文件.csv": f"{size:,} bytes, over the limit of {small.stat().st_size:,}"
    }
    assert set(read.raw["source_file"]) == {"医保.csv"}


# ---------------------------------------------------------------- a file cannot kill the sync


def rewrite_sheet(path: Path, edit) -> Path:
    """The workbook with its first sheet's XML passed through ``edit`` (bytes → bytes)."""
    original = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            book.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def declare_whole_sheet(xml: bytes) -> bytes:
    edited, found = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
    assert found == 1
    return edited


def far_cell(xml: bytes) -> bytes:
    """One more cell in the sheet's last row and column: the grid spans the whole sheet."""
    cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace(b"</sheetData>", cell + b"</sheetData>")


def test_sheet_declaring_the_whole_grid_is_refused_before_a_grid_is_built(tmp_path):
    inbox = tmp_path / "inbox"
    sparse = write_xlsx(inbox / INSURANCE / "参保.xlsx", [HEADER, *ROWS], sheet="参保信息")
    rewrite_sheet(sparse, declare_whole_sheet)
    assert sparse.stat().st_size < 10_000
    insurance_csv(inbox / INSURANCE / "医保.csv")
    read = read_inbox(inbox, sync_id=1)
    assert refused(read, INSURANCE) == {
        "参保.xlsx": "参保.xlsx: sheet 参保信息 declares the range A1:XFD1048576 (1,048,576 rows × 16,384 columns),"
        " over the limits of 1,048,576 rows, 16,384 columns and 60,000,000 cells"
    }
    assert set(read.raw["source_file"]) == {"医保.csv"}


def test_workbook_that_kills_its_reader_is_refused_and_the_next_file_is_read(tmp_path):
    """A few-kilobyte sheet whose one far cell makes calamine allocate seventeen
    billion cells: the reader process aborts, the file is refused, named, and a
    fresh reader reads the file after it."""
    inbox = tmp_path / "inbox"
    rewrite_sheet(write_xlsx(inbox / INSURANCE / "a参保.xlsx", [HEADER, *ROWS]), far_cell)
    insurance_csv(inbox / INSURANCE / "b医保.csv")
    read = read_inbox(inbox, sync_id=1)
    reason = refused(read, INSURANCE)["a参保.xlsx"]
    assert reason.startswith("a参保.xlsx: the reader process died reading it (SIGABRT")
    assert set(read.raw["source_file"]) == {"b医保.csv"}
    assert read.counts[INSURANCE]["rows_read"] == 3


# ---------------------------------------------------------------- faults at the smallest unit


def test_undecodable_line_of_a_gb18030_file_quarantines_that_row_only(tmp_path):
    inbox = tmp_path / "inbox"
    bad = encoded(ROWS[1], "gb18030").replace("李".encode("gb18030"), b"\x81\x20")
    data = csv_lines(
        "医保参保信息".encode("gb18030"),
        encoded(HEADER, "gb18030"),
        encoded(ROWS[0], "gb18030"),
        bad,
        encoded(ROWS[2], "gb18030"),
    )
    (inbox / INSURANCE).mkdir(parents=True)
    (inbox / INSURANCE / "医保.csv").write_bytes(data)
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert_every_row_accounted(result)
    assert result.staged.set_index("source_row")["name"].to_dict() == {3: "张三", 5: "王五"}
    (row,) = result.quarantine.to_dict("records")
    assert (row["source_file"], row["source_row"]) == ("医保.csv", 4)
    assert row["reason"] == (
        "医保.csv row 4: not decodable as GB18030 from byte 8 of the line (kept with � in place)"
    )
    assert json.loads(row["raw_row"])["公民身份号码"] == ID_2
    assert result.counts[INSURANCE]["files_refused"] == []


def test_undecodable_line_of_a_utf8_file_is_not_taken_for_gb18030(tmp_path):
    """GB18030 decodes almost any bytes: one bad line must not turn a UTF-8 file to mojibake."""
    inbox = tmp_path / "inbox"
    bad = encoded(ROWS[1], "utf-8").replace("李".encode(), b"\xff")
    data = csv_lines(encoded(HEADER, "utf-8"), encoded(ROWS[0], "utf-8"), bad, encoded(ROWS[2], "utf-8"))
    (inbox / INSURANCE).mkdir(parents=True)
    (inbox / INSURANCE / "医保.csv").write_bytes(b"\xef\xbb\xbf" + data)
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert_every_row_accounted(result)
    assert result.staged.set_index("source_row")["name"].to_dict() == {2: "张三", 4: "王五"}
    assert result.quarantine["reason"].tolist() == [
        "医保.csv row 3: not decodable as UTF-8 from byte 8 of the line (kept with � in place)"
    ]


def test_five_megabyte_line_quarantines_its_row_and_the_rest_is_staged(tmp_path):
    inbox = tmp_path / "inbox"
    long_row = encoded(["510411", "赵六" * 900_000, valid_id("51041120180607126"), "男"], "utf-8")
    assert len(long_row) > 5_000_000
    data = csv_lines(
        encoded(HEADER, "utf-8"),
        encoded(ROWS[0], "utf-8"),
        long_row,
        encoded(ROWS[1], "utf-8"),
        encoded(ROWS[2], "utf-8"),
    )
    (inbox / INSURANCE).mkdir(parents=True)
    (inbox / INSURANCE / "医保.csv").write_bytes(data)
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert_every_row_accounted(result)
    assert sorted(result.staged["source_row"]) == [2, 4, 5]
    (row,) = result.quarantine.to_dict("records")
    assert row["source_row"] == 3
    assert row["reason"] == (
        f"医保.csv row 3: the line is {len(long_row.decode()) + 2:,} characters long,"
        " over the limit of 131,072: not read"
    )
    assert len(row["raw_row"]) < 1_000  # the line is not carried into the registry


def test_misfiled_extract_is_refused_naming_the_source_it_looks_like(tmp_path):
    inbox = tmp_path / "inbox"
    insurance_csv(inbox / INSURANCE / "医保.csv")
    pupil = (
        f"2151040201,东区炳草岗中心幼儿园,510402,小学,三年级,2班,G{ID_1},张三,男,2015-03-02,汉,居民身份证,{ID_1},"
        "农业户口,东区炳草岗街道,东区炳草岗街道,走读,否,否,否,,否,在读"
    )
    text = f"东区中小学学生学籍信息\r\n{EDUCATION_HEADER}\r\n{pupil}\r\n合计：1人\r\n"
    (inbox / INSURANCE / "学籍信息.csv").write_bytes(text.encode("utf-8-sig"))
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    ((entry),) = result.counts[INSURANCE]["files_refused"]
    reason = entry["reason"]
    assert entry["file"] == "学籍信息.csv"
    assert re.fullmatch(
        r"misfiled: the header of 学籍信息.csv names (\d+) columns of education_students and (\d+) of"
        r" health_insurance; move it to the education_students folder",
        reason,
    )
    assert_every_row_accounted(result)
    (row,) = result.quarantine.to_dict("records")
    assert (row["source_file"], row["source_row"], row["reason"]) == ("学籍信息.csv", 3, reason)
    assert set(result.staged["source_file"]) == {"医保.csv"}
    assert (
        result.counts[INSURANCE]["rows_layout"] == 2
    )  # its title and 合计 rows, read as an education extract


def test_no_file_of_a_synthetic_city_is_refused(tmp_path):
    """Every extract layout the synthetic city writes stays below the misfiling margin."""
    write_city(tmp_path, children=300, seed=5, as_of=AS_OF)
    read = read_inbox(tmp_path / "inbox", sync_id=1)
    assert {
        source: counts["files_refused"] for source, counts in read.counts.items() if counts["files_refused"]
    } == {}


# ---------------------------------------------------------------- through the warehouse


def test_refused_files_and_faulty_rows_reach_the_sync_record_and_the_quarantine(tmp_path, engine):
    inbox = tmp_path / "inbox"
    insurance_csv(inbox / INSURANCE / "医保.csv")
    (inbox / INSURANCE / "坏行.csv").write_bytes(
        csv_lines(encoded(HEADER, "utf-8"), encoded(ROWS[0], "utf-8").replace("张".encode(), b"\xff"))
    )
    (inbox / INSURANCE / "链接.csv").symlink_to(inbox / INSURANCE / "医保.csv")
    with sync_lock(engine.url.render_as_string(hide_password=False)):  # as a sync holds it
        ref = read_step(engine, inbox, AS_OF)
    with engine.connect() as conn:
        sources = json.loads(
            conn.execute(
                sa.text("SELECT sources FROM registry.syncs WHERE sync_id = :s"), {"s": ref.sync_id}
            ).scalar()
        )
        raw = read_frame(conn, T.RAW_ROWS)
    assert sources[INSURANCE]["files_refused"] == [
        {"file": "链接.csv", "reason": "a symbolic link: not followed"}
    ]
    assert sources[INSURANCE]["rows_read"] == 4
    staged, quarantine = stage(raw, AS_OF, ref.sync_id)
    assert len(staged) == 3
    assert quarantine[["source_file", "source_row"]].values.tolist() == [["坏行.csv", 2]]
    assert quarantine["reason"].str.startswith("坏行.csv row 2: not decodable as UTF-8").all()
