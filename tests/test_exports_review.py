"""The review workbook: written, filled in by a reviewer with openpyxl, read back."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from reports import read_review_decisions, write_review_workbook
from warehouse.tables import PERSON, REVIEW_PAIRS

_COLUMNS = [c.name for c in PERSON]

# record_id: name, sex, birth, id_number, id_candidate, county, source, file, row
_RECORDS = {
    "a": (
        "张伟",
        "M",
        date(2015, 3, 2),
        "510411201503021234",
        None,
        "510411",
        "civil_affairs_children",
        "台账.xlsx",
        5,
    ),
    "b": (
        "张玮",
        "M",
        date(2015, 3, 2),
        None,
        "510411201503021000",
        "510411",
        "education_students",
        "学籍.csv",
        17,
    ),
    "c": (
        "阿牛木呷",
        "F",
        date(2012, 1, 1),
        "510421201201011008",
        None,
        "510421",
        "poverty_households",
        "扶贫.xlsx",
        9,
    ),
    "d": (
        "阿牛·木呷",
        "F",
        date(2012, 2, 3),
        None,
        None,
        "510421",
        "disability_certificates",
        "残联.xlsx",
        4,
    ),
    "e": (
        "李娜",
        "F",
        date(2014, 6, 1),
        "510402201406011026",
        None,
        "510402",
        "health_insurance",
        "医保.csv",
        30,
    ),
    "f": ("李娜", "F", date(2014, 6, 1), None, None, None, "civil_affairs_assistance", "救助.csv", 8),
}


def _records() -> pd.DataFrame:
    rows = [
        {
            "record_id": rid,
            "name": n,
            "sex": s,
            "birth_date": b,
            "id_number": i,
            "id_candidate": cand or i,
            "county_code": cty,
            "source_system": src,
            "source_file": f,
            "source_row": r,
        }
        for rid, (n, s, b, i, cand, cty, src, f, r) in _RECORDS.items()
    ]
    return pd.DataFrame(rows).reindex(columns=_COLUMNS)


def _pairs() -> pd.DataFrame:
    levels = {"name": "同音 same pinyin", "birth_date": "相同 exact", "id_number": "前15位相同"}
    rows = [
        ("p1", "a", "b", 0.71, json.dumps(levels, ensure_ascii=False), None),
        ("p2", "c", "d", 0.55, {"name": "去掉间隔号后相同", "birth_date": "相差50天内"}, None),
        ("p3", "e", "f", 0.42, json.dumps({"name": "相同 exact"}), None),
        ("p4", "a", "e", 0.35, json.dumps({"name": "不同 different"}), "different"),  # already decided
    ]
    frame = pd.DataFrame(
        rows, columns=["pair_id", "record_id_l", "record_id_r", "match_probability", "levels", "decision"]
    )
    frame["record_key_l"] = "key-" + frame["record_id_l"]
    frame["record_key_r"] = "key-" + frame["record_id_r"]
    return frame.reindex(columns=REVIEW_PAIRS.column_names)


@pytest.fixture
def workbook(tmp_path):
    return write_review_workbook(tmp_path / "review.xlsx", _pairs(), _records())


def _header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _fill(path, decisions: dict[int, object]) -> None:
    """A reviewer types decisions into rows (1-based sheet rows) and saves."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    col = _header(ws).index("decision（判定）") + 1
    for row, value in decisions.items():
        ws.cell(row, col, value)
    wb.save(path)


def test_pairs_side_by_side_with_levels_and_an_empty_decision(workbook):
    ws = load_workbook(workbook).worksheets[0]
    header = _header(ws)
    assert header[:4] == ["匹配概率", "比较·name", "比较·birth_date", "比较·id_number"]
    assert header[4:8] == ["姓名（甲）", "姓名（乙）", "性别（甲）", "性别（乙）"]
    for field in ("出生日期", "身份证号", "区县", "来源", "文件", "行号"):
        assert f"{field}（甲）" in header and f"{field}（乙）" in header
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["pair_id"] for r in rows] == ["p1", "p2", "p3"]  # the decided pair is not asked again
    p1 = rows[0]
    assert (p1["姓名（甲）"], p1["姓名（乙）"]) == ("张伟", "张玮")
    assert p1["身份证号（乙）"] == "510411201503021000"  # the candidate, when no valid number
    assert (p1["来源（甲）"], p1["文件（乙）"], p1["行号（乙）"]) == (
        "民政·困境和留守儿童台账",
        "学籍.csv",
        17,
    )
    assert p1["区县（甲）"] == "仁和区" and p1["匹配概率"] == 0.71
    assert rows[1]["比较·birth_date"] == "相差50天内" and rows[2]["比较·id_number"] is None
    assert all(r["decision（判定）"] is None for r in rows)
    assert ws.freeze_panes == "A2"


def test_decision_column_offers_the_accepted_values(workbook):
    ws = load_workbook(workbook).worksheets[0]
    col = ws.cell(1, _header(ws).index("decision（判定）") + 1).column_letter
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"same,different,是同一人,不是同一人"'
    assert str(validation.sqref) == f"{col}2:{col}4"
    hidden = [k for k, d in ws.column_dimensions.items() if d.hidden]
    assert hidden  # keys and fingerprint are out of the reviewer's way


def test_round_trip(workbook):
    assert read_review_decisions(workbook).empty
    _fill(workbook, {2: "same", 3: " 不是同一人 ", 4: None})
    got = read_review_decisions(workbook)
    assert got.to_dict("records") == [
        {
            "pair_id": "p1",
            "record_key_l": "key-a",
            "record_key_r": "key-b",
            "decision": "same",
            "validated": True,
        },
        {
            "pair_id": "p2",
            "record_key_l": "key-c",
            "record_key_r": "key-d",
            "decision": "different",
            "validated": True,
        },
    ]
    _fill(workbook, {4: "是同一人", 2: "Different"})
    got = read_review_decisions(workbook).set_index("pair_id")["decision"].to_dict()
    assert got == {"p1": "different", "p2": "different", "p3": "same"}


def test_unknown_decision_names_the_row_not_the_text(workbook):
    _fill(workbook, {2: "same", 3: "张伟"})
    with pytest.raises(ValueError, match=r"review\.xlsx: row 3, column decision") as error:
        read_review_decisions(workbook)
    assert "张伟" not in str(error.value)


def test_a_row_edited_after_writing_is_not_validated(workbook):
    wb = load_workbook(workbook)
    ws = wb.worksheets[0]
    ws.cell(
        2, _header(ws).index("姓名（乙）") + 1, "张卫"
    )  # someone "corrected" a name, or sorted one column
    wb.save(workbook)
    _fill(workbook, {2: "same", 3: "same"})
    got = read_review_decisions(workbook).set_index("pair_id")["validated"].to_dict()
    assert got == {"p1": False, "p2": True}


def test_not_a_review_workbook(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "decision"])
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(ValueError, match="other.xlsx: not a review workbook"):
        read_review_decisions(tmp_path / "other.xlsx")
