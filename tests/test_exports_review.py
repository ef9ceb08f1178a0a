"""The review workbook: written, filled in by a reviewer with openpyxl, read back and checked."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.cell import coordinate_from_string

from reports import ReviewInputs, dropped_decisions, read_review_decisions, write_review_workbook
from reports.review_read import Refused
from reports.review_sign import sign
from warehouse.tables import PERSON, REVIEW_PAIRS

_COLUMNS = [c.name for c in PERSON]
KEY = bytes(range(32))
SHEET = "待核对记录对"

# record_id: name, sex, birth, id_number, id_candidate, county, source, file, row, father, guardian
_RECORDS = {
    "a": ("张伟", "M", date(2015, 3, 2), "510411201503021234", None, "510411", "civil_affairs_children", "台账.xlsx", 5, "张三", None),
    "b": ("张玮", "M", date(2015, 3, 2), None, "510411201503021000", "510411", "education_students", "学籍.csv", 17, None, "李四"),
    "c": ("阿牛木呷", "F", date(2012, 1, 1), "510421201201011008", None, "510421", "poverty_households", "扶贫.xlsx", 9, None, None),
    "d": ("阿牛·木呷", "F", date(2012, 2, 3), None, None, "510421", "disability_certificates", "残联.xlsx", 4, None, None),
    "e": ("李娜", "F", date(2014, 6, 1), "510402201406011026", None, "510402", "health_insurance", "医保.csv", 30, None, None),
    "f": ("李娜", "F", date(2014, 6, 1), None, None, None, "health_conditions", "艾滋病登记.xlsx", 8, None, None),
    "g": ("张伟", "M", date(2015, 3, 2), "510411201503021234", None, "510411", "health_insurance", "医保.csv", 41, None, None),
}  # fmt: skip

# The weights of p1: prior and comparisons, summing to its match weight.
_P1_WEIGHTS = {"prior": -14.37, "name": 6.1, "birth_date": 9.2, "id_number": -3.5}


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
            "father_name": father,
            "guardian_name": guardian,
        }
        for rid, (n, s, b, i, cand, cty, src, f, r, father, guardian) in _RECORDS.items()
    ]
    return pd.DataFrame(rows).reindex(columns=_COLUMNS)


def _pairs() -> pd.DataFrame:
    levels = {"name": "同音 same pinyin", "birth_date": "相同 exact", "id_number": "前15位相同"}
    weights2 = {"prior": -14.37, "name": 4.0, "birth_date": 2.0}
    rows = [
        ("p1", "a", "b", 0.5019999742507935, json.dumps(levels, ensure_ascii=False), _P1_WEIGHTS, "below_threshold", 2),
        ("p2", "c", "d", 0.995, {"name": "去掉间隔号后相同", "birth_date": "相差50天内"}, weights2, "twin_guard", 3),
        ("p3", "e", "f", 0.42, json.dumps({"name": "相同 exact"}), {}, "held_alert,below_threshold", 9),
        ("p4", "a", "e", 0.35, json.dumps({"name": "不同 different"}), {}, "below_threshold", 1),  # decided
    ]  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=[
            "pair_id",
            "record_id_l",
            "record_id_r",
            "match_probability",
            "levels",
            "weights",
            "reason",
            "rank",
        ],
    )
    frame["weights"] = [json.dumps(w) for w in frame["weights"]]
    frame["match_weight"] = [sum(json.loads(w).values()) for w in frame["weights"]]
    frame["decision"] = [None, None, None, "different"]
    frame["record_key_l"] = "key-" + frame["record_id_l"]
    frame["record_key_r"] = "key-" + frame["record_id_r"]
    return frame.reindex(columns=REVIEW_PAIRS.column_names)


def _inputs(pairs: pd.DataFrame | None = None) -> ReviewInputs:
    members = pd.DataFrame({"record_id": ["a", "g", "b", "e"], "child_id": ["C1", "C1", "C2", "C3"]})
    return ReviewInputs(
        pairs if pairs is not None else _pairs(), _records(), members, KEY, date(2026, 11, 30), 7
    )


def _issued() -> pd.DataFrame:
    return _pairs()[["pair_id", "record_key_l", "record_key_r"]]


@pytest.fixture
def workbook(tmp_path):
    return write_review_workbook(tmp_path / "review.xlsx", _inputs())


def _header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _rows(path) -> list[dict]:
    ws = load_workbook(path)[SHEET]
    header = _header(ws)
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def _fill(path, values: dict[int, dict[str, object]]) -> None:
    """A reviewer types into rows (1-based sheet rows, by header) and saves."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    header = _header(ws)
    for row, cells in values.items():
        for name, value in cells.items():
            ws.cell(row, header.index(name) + 1, value)
    wb.save(path)


def _decide(path, decisions: dict[int, object], reviewer: str | None = "王芳") -> None:
    _fill(path, {r: {"decision（判定）": d, "审核人": reviewer} for r, d in decisions.items()})


def test_pairs_holding_an_alert_first_then_by_rank_and_decided_pairs_not_asked_again(workbook):
    rows = _rows(workbook)
    assert [r["pair_id"] for r in rows] == ["p3", "p1", "p2"]
    assert [r["序号"] for r in rows] == [1, 2, 3]
    assert rows[0]["核对原因"].startswith("有预警因这对记录暂缓发出")


def test_both_records_side_by_side_with_masked_numbers_and_carers(workbook):
    p1 = _rows(workbook)[1]
    assert (p1["姓名（甲）"], p1["姓名（乙）"]) == ("张伟", "张玮")
    assert p1["身份证号（部分隐藏）（甲）"] == "510411****1234"
    assert p1["身份证号（部分隐藏）（乙）"] == "510411****1000"  # the candidate, when no valid number
    assert (p1["父母或监护人（甲）"], p1["父母或监护人（乙）"]) == ("父：张三", "监护人：李四")
    assert (p1["来源（甲）"], p1["文件（乙）"], p1["行号（乙）"]) == (
        "民政·困境和留守儿童台账",
        "学籍.csv",
        17,
    )
    assert p1["区县（甲）"] == "仁和区"
    assert p1["核对原因"] == "匹配概率低于自动合并的门槛"
    assert "510411201503021234" not in str(list(p1.values()))


def test_levels_weights_waterfall_and_a_percentage(workbook):
    wb = load_workbook(workbook)
    ws = wb[SHEET]
    header = _header(ws)
    p1 = dict(zip(header, next(ws.iter_rows(min_row=3, max_row=3)), strict=True))
    assert p1["匹配概率"].value == 0.502 and p1["匹配概率"].number_format == "0.0%"
    assert p1["比较·姓名"].value == "同音 same pinyin"
    weights = {h: c.value for h, c in p1.items() if h.startswith("权重·")}
    assert weights == {
        "权重·先验（任两条记录为同一人）": -14.37,
        "权重·身份证号": -3.5,
        "权重·姓名": 6.1,
        "权重·出生日期": 9.2,
    }
    assert sum(weights.values()) == pytest.approx(p1["匹配权重（合计）"].value)
    lines = p1["权重瀑布（先验→各项比较→合计）"].value.split("\n")
    assert len(lines) == 5 and "<" in lines[0] and ">" in lines[2] and "#" in lines[4]
    assert lines[4].endswith("-2.6 合计")
    assert p1["权重瀑布（先验→各项比较→合计）"].font.name == "Consolas"
    assert ws.conditional_formatting  # weights coloured against / for


def test_decision_and_reviewer_next_to_the_names_within_the_frozen_panes(workbook):
    ws = load_workbook(workbook)[SHEET]
    header = _header(ws)
    frozen_column, frozen_row = coordinate_from_string(ws.freeze_panes)
    assert frozen_row == 2
    for name in ("姓名（甲）", "姓名（乙）", "decision（判定）", "审核人"):
        assert header.index(name) + 1 < column_index_from_string(frozen_column), name
    col = ws.cell(1, header.index("decision（判定）") + 1).column_letter
    (validation,) = ws.data_validations.dataValidation
    assert validation.formula1 == '"same,different,是同一人,不是同一人"'
    assert str(validation.sqref) == f"{col}2:{col}4"
    hidden = {
        ws.cell(1, column_index_from_string(k)).value for k, d in ws.column_dimensions.items() if d.hidden
    }
    assert {"pair_id", "record_key_l", "record_key_r", "signature"} <= hidden


def test_the_other_records_of_both_children(workbook):
    wb = load_workbook(workbook)
    p1 = _rows(workbook)[1]
    assert p1["所在儿童的其他记录（甲）"].startswith("共1条：\n张伟·2015-03-02·医保·参保信息·41")
    assert p1["所在儿童的其他记录（乙）"] is None
    others = list(wb["所在儿童的其他记录"].iter_rows(values_only=True))
    assert others[0][:3] == ("序号", "哪一方", "姓名")
    assert [r[:3] for r in others[1:]] == [(2, "甲", "张伟")]


def test_instructions_first_and_no_restricted_file_name(workbook):
    wb = load_workbook(workbook)
    assert wb.sheetnames[0] == "说明"
    texts = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v]
    assert not [t for t in texts if "艾滋" in t]
    assert any("review_decisions" in t for t in texts)


def test_an_empty_queue_still_gives_a_workbook_to_read(tmp_path):
    path = write_review_workbook(tmp_path / "review.xlsx", _inputs(_pairs().iloc[:0]))
    assert load_workbook(path).sheetnames == ["说明", SHEET, "所在儿童的其他记录"]
    assert read_review_decisions(path, KEY, _issued()).empty


def test_round_trip(workbook):
    assert read_review_decisions(workbook, KEY, _issued()).empty
    _decide(workbook, {2: " 是同一人 ", 3: "different", 4: None})
    got = read_review_decisions(workbook, KEY, _issued())
    assert got.to_dict("records") == [
        {"pair_id": "p3", "record_key_l": "key-e", "record_key_r": "key-f", "decision": "same", "reviewer": "王芳", "row": 2},
        {"pair_id": "p1", "record_key_l": "key-a", "record_key_r": "key-b", "decision": "different", "reviewer": "王芳", "row": 3},
    ]  # fmt: skip


def test_the_reviewer_written_once_on_the_instructions_sheet(workbook):
    _decide(workbook, {3: "same"}, reviewer=None)
    with pytest.raises(Refused, match="row 3, column 审核人: no reviewer"):
        read_review_decisions(workbook, KEY, _issued())
    wb = load_workbook(workbook)
    ws = wb["说明"]
    (cell,) = [r[1] for r in ws.iter_rows() if r[0].value == "审核人（全部行适用时填写一次）"]
    cell.value = "赵敏"
    wb.save(workbook)
    assert read_review_decisions(workbook, KEY, _issued())["reviewer"].tolist() == ["赵敏"]


def test_unknown_decision_names_the_row_not_the_text(workbook):
    _decide(workbook, {2: "same", 3: "张伟"})
    with pytest.raises(Refused, match=r"row 3, column decision") as error:
        read_review_decisions(workbook, KEY, _issued())
    assert "张伟" not in str(error.value)


def test_an_edited_row_or_a_plain_hash_is_refused(workbook, tmp_path):
    _decide(workbook, {3: "same"})
    _fill(workbook, {3: {"姓名（乙）": "张卫"}})  # someone "corrected" a name, or sorted one column
    with pytest.raises(Refused, match="row 3: signature does not match"):
        read_review_decisions(workbook, KEY, _issued())
    forged = write_review_workbook(tmp_path / "forged.xlsx", _inputs())
    row = _rows(forged)[1]
    plain = hashlib.sha256(
        "\x1f".join([row["pair_id"], row["record_key_l"], row["record_key_r"]]).encode()
    ).hexdigest()
    _fill(forged, {3: {"signature": plain[:32], "decision（判定）": "same", "审核人": "王芳"}})
    with pytest.raises(Refused, match="row 3: signature does not match"):
        read_review_decisions(forged, KEY, _issued())


def test_a_pair_never_issued_is_refused(tmp_path):
    pairs = _pairs()
    pairs.loc[0, "pair_id"] = "p9"  # signed by this warehouse, but never issued for review
    workbook = write_review_workbook(tmp_path / "review.xlsx", _inputs(pairs))
    _decide(workbook, {3: "same"})
    with pytest.raises(Refused, match="row 3: a pair this warehouse did not issue"):
        read_review_decisions(workbook, KEY, _issued())


def test_one_pair_decided_both_ways_is_refused(workbook):
    wb = load_workbook(workbook)
    ws = wb[SHEET]
    ws.append([c.value for c in ws[3]])  # a copied row
    wb.save(workbook)
    _decide(workbook, {3: "same", 5: "different"})
    with pytest.raises(Refused, match=r"rows \[3, 5\]: one pair decided both ways"):
        read_review_decisions(workbook, KEY, _issued())


def test_not_a_review_workbook(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = SHEET
    wb.active.append(["姓名", "decision"])
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(Refused, match="not a review workbook"):
        read_review_decisions(tmp_path / "other.xlsx", KEY, _issued())


def test_dropped_workbooks_are_taken_whole_or_quarantined_never_raised(workbook, tmp_path):
    folder = tmp_path / "inbox" / "review_decisions"
    folder.mkdir(parents=True)
    _decide(workbook, {3: "same"})
    (folder / "a_good.xlsx").write_bytes(workbook.read_bytes())
    (folder / "~$a_good.xlsx").write_bytes(b"\x00lock")  # Excel's lock file while it is open
    (folder / "b_broken.xlsx").write_bytes(b"not a zip")
    (folder / "c_notes.csv").write_text("pair_id,decision\n")
    got = dropped_decisions(tmp_path / "inbox", KEY, _issued(), seen=set())
    files = got.files.set_index("file")
    assert files["status"].to_dict() == {
        "a_good.xlsx": "accepted",
        "b_broken.xlsx": "quarantined",
        "c_notes.csv": "quarantined",
    }
    assert files.loc["b_broken.xlsx", "reason"] == "unreadable: BadZipFile"
    assert files.loc["c_notes.csv", "reason"] == "not an .xlsx workbook"
    assert got.decisions[["pair_id", "decision", "reviewer", "file"]].values.tolist() == [
        ["p1", "same", "王芳", "a_good.xlsx"]
    ]
    assert got.decisions["file_sha256"].iloc[0] == hashlib.sha256(workbook.read_bytes()).hexdigest()

    # Accepted before: not read again. Another workbook deciding p1 otherwise: both quarantined.
    again = dropped_decisions(tmp_path / "inbox", KEY, _issued(), seen=set(got.decisions["file_sha256"]))
    assert "a_good.xlsx" not in set(again.files["file"]) and again.decisions.empty
    _decide(workbook, {3: "different"})
    (folder / "d_other.xlsx").write_bytes(workbook.read_bytes())
    clash = dropped_decisions(tmp_path / "inbox", KEY, _issued(), seen=set()).files.set_index("file")
    assert clash.loc["a_good.xlsx", "reason"] == "rows [3]: decided otherwise in d_other.xlsx"
    assert clash.loc["d_other.xlsx", "status"] == "quarantined"


def test_the_signature_is_keyed():
    values = ["p1", "key-a", "key-b", "张伟", "张玮", "510411****1234", None]
    assert sign(KEY, values) == sign(KEY, [*values[:6], ""])
    assert sign(KEY, values) != sign(bytes(32), values)
    assert len(sign(KEY, values)) == 32


def test_every_step_of_a_waterfall_has_a_title():
    """Each weight a pair can carry (the prior, every comparison, the term-frequency
    and relationship terms) is titled for the reviewer."""
    from linkage.comparisons import comparisons
    from linkage.link import PRIOR, TF_ADJUSTMENT
    from linkage.roles import ROLE
    from reports.config import settings

    titled = settings()["review"]["comparisons"]
    steps = {PRIOR, TF_ADJUSTMENT, ROLE, *(c.output_column_name for c in comparisons())}
    assert steps <= set(titled), steps - set(titled)
