"""Department workbooks: a folder per department, one per county for the county governments,
each opening on 说明; its own listed alerts only, sorted, with where to find the child and
the evidence it may see; nothing restricted leaking; rows a clerk can answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import test_exports_city as city
from openpyxl import load_workbook
from pypinyin import lazy_pinyin

from reports import write_department_workbooks
from reports.access import nameable_evidence, reveals_health, visible_rows
from reports.config import settings
from reports.returns import marker

H = settings()["workbook"]["columns"]
COUNTY_ORDER = ["东区", "西区", "仁和区", "米易县", "盐边县"]
AS_OF = city.SYNC_DATES[city.CURRENT_SYNC].isoformat()


def records() -> pd.DataFrame:
    """The children's linked records: C1 (no township in its golden record) is found through
    a civil-affairs row; the health rows hold a phone, which only health and civil affairs may
    be told comes from there."""
    rows = city.child_records()
    parts = rows["record_id"].str.split(":", expand=True)
    out = rows.assign(source_file=parts[1], source_row=parts[2].astype(int))
    out[["township", "village", "guardian_name", "guardian_phone"]] = None
    health = out["source_system"].eq("health_conditions")
    out.loc[health, "guardian_phone"] = "13900000009"
    extra = pd.DataFrame(
        [
            (
                "N1",
                "civil_affairs_assistance",
                "r",
                "低保名册.xlsx",
                35,
                "大田",
                "大田村",
                "尤大",
                "13800000001",
            ),
        ],
        columns=["child_id", "source_system", "record_id", "source_file", "source_row", *out.columns[-4:]],
    )
    return pd.concat([out, extra], ignore_index=True)


def children() -> pd.DataFrame:
    kids = city.children()
    n1 = kids["child_id"].eq("N1")
    kids.loc[n1, ["township", "village", "guardian_name", "guardian_phone"]] = None
    # A child whose phone only the health register has.
    s1 = kids["child_id"].eq("S1")
    kids.loc[s1, ["guardian_name", "guardian_phone"]] = None
    return kids


def _write(tmp_path, staff=True, texts=None, alerts=None, feedback=None):
    paths = write_department_workbooks(
        tmp_path,
        city.alerts() if alerts is None else alerts,
        children(),
        city.categories(),
        city.TEXTS if texts is None else texts,
        city.DEPARTMENTS,
        city.SYNC_DATES,
        city.staff() if staff else None,
        records=records(),
        feedback=feedback,
    )
    return {_key(p): p for p in paths}


def _key(path: Path) -> str:
    """education, county_government/仁和区, … — the folder, and a county's name."""
    if path.parent.name == "county_government":
        return f"county_government/{path.name.split('人民政府')[0]}"
    return path.parent.name


def _sheets(path) -> dict[str, list[dict]]:
    """Every alert sheet of a workbook as a list of {header: value} rows."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        out[ws.title] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return out


def _children_in(path) -> set[tuple[str, str]]:
    return {(t, r[H["child_id"]]) for t, rows in _sheets(path).items() for r in rows}


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("books"))


def test_a_folder_per_department_and_a_workbook_per_county(books):
    counties = {f"county_government/{c}" for c in COUNTY_ORDER}
    assert set(books) == (set(city.DEPARTMENTS) - {"county_government"}) | counties
    assert books["education"].name == f"市教育体育局_困境儿童预警_{AS_OF}.xlsx"
    assert books["county_government/仁和区"].name == f"仁和区人民政府_困境儿童预警_{AS_OF}.xlsx"
    assert books["county_government/仁和区"].parent.name == "county_government"


def test_sheets_are_the_readme_then_the_alert_codes_the_department_answers_for(books):
    for key, path in books.items():
        department = key.split("/")[0]
        wb = load_workbook(path)
        expected = [t.title for t in city.TEXTS.values() if department in t.departments]
        assert wb.sheetnames == ["说明", *expected], key


def test_readme_says_what_the_workbook_is_and_counts_its_sheets(books):
    wb = load_workbook(books["county_government/仁和区"])
    rows = list(wb["说明"].iter_rows(values_only=True))
    info = {r[0]: r[1] for r in rows if r[0]}
    assert info["数据截至"] == f"{AS_OF}（第 2 次同步）"
    assert "个人信息保护法" in info["保密提示"]
    assert "核实结果" in info["填写和退回"] and "feedback" in info["填写和退回"]
    assert info["区县"] == "仁和区"
    assert info["工作簿标识"] == marker("county_government", "510411", 2) == wb.properties.identifier
    counted = {
        r[0]: r[1] for r in rows[rows.index(("工作表（预警类别）", "条数", "共同责任单位", "下一步")) + 1 :]
    }
    assert counted == {
        title: len(sheet) for title, sheet in _sheets(books["county_government/仁和区"]).items()
    }
    assert counted["适龄儿童未入学"] == 2  # N1 and H1, both of 仁和区


def test_every_alert_row_can_be_answered_and_printed(books):
    for key, path in books.items():
        wb = load_workbook(path)
        department = key.split("/")[0]
        expected = [h for k, h in H.items() if not (k == "categories" and department not in city.PRIVILEGED)]
        for ws in wb.worksheets[1:]:
            header = [c.value for c in ws[1]]
            assert header == expected, (key, ws.title)
            assert header[:2] == ["预警编号", "儿童编号"]
            assert ws.freeze_panes == "A2"
            assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{ws.max_row}"
            assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
            assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_title_rows == "$1:$1"
            answer = ws.cell(1, header.index("核实结果") + 1).column_letter
            [validation] = ws.data_validations.dataValidation
            assert str(validation.sqref) in (f"{answer}2:{answer}{ws.max_row}", f"{answer}2")
            assert validation.formula1 == '"已办结,办理中,情况不符,非同一儿童"'
            widths = [
                ws.column_dimensions[ws.cell(1, i).column_letter].width for i in range(1, len(header) + 1)
            ]
            assert all(4 <= w <= 62 for w in widths)
            assert ws.column_dimensions[ws.cell(1, header.index("身份证号") + 1).column_letter].width >= 18
            for row in ws.iter_rows(min_row=2):
                texts = [c for c in row if isinstance(c.value, str)]
                assert all(c.alignment.wrap_text for c in texts)


def test_staff_columns_only_with_a_roster(tmp_path):
    header = [c.value for c in load_workbook(_write(tmp_path, staff=False)["education"]).worksheets[1][1]]
    assert "儿童督导员" not in header and header[-4:] == ["核实结果", "处理日期", "经办人", "备注"]


def test_rows_are_exactly_the_departments_open_alerts_and_a_county_only_its_own(books):
    """No row of another department or county, no resolved alert, no restricted row withheld from it."""
    alerts = city.alerts()
    open_ = alerts[alerts["status"] == "open"]
    title_of = {code: t.title for code, t in city.TEXTS.items()}
    code_of = {"东区": "510402", "西区": "510403", "仁和区": "510411", "米易县": "510421", "盐边县": "510422"}
    for key, path in books.items():
        department, _, county = key.partition("/")
        mine = open_[open_["departments"].str.split(",").map(lambda d, dep=department: dep in d)]
        if county:
            mine = mine[mine["county_code"].eq(code_of[county])]
        visible = visible_rows(mine.assign(department=department), department)
        expected = {(title_of[a], c) for a, c in zip(visible["alert"], visible["child_id"], strict=True)}
        assert _children_in(path) == expected, key
        ids = {r[H["alert_id"]] for rows in _sheets(path).values() for r in rows}
        assert ids == set(visible["alert_id"]), key
    assert ("孤儿基本生活费未发放", "H1") in _children_in(books["civil_affairs"])


def test_rows_sorted_county_township_village_name(books):
    def key(r):
        return (
            COUNTY_ORDER.index(r["区县"]),
            lazy_pinyin(r["乡镇（街道）"] or ""),
            lazy_pinyin(r["村（社区）"] or ""),
            lazy_pinyin(r["姓名"]),
        )

    checked = 0
    for path in books.values():
        for rows in _sheets(path).values():
            assert rows == sorted(rows, key=key)
            checked += len(rows) > 2
    assert checked  # some sheet had enough rows for order to matter


def test_display_values(books):
    rows = _sheets(books["civil_affairs"])["孤儿基本生活费未发放"]
    o1 = next(r for r in rows if r["姓名"] == "吴俊熙")
    assert o1["预警编号"] == "O1:living_allowance_missing" and o1["儿童编号"] == "O1"
    assert o1["区县"] == "仁和区" and o1["性别"] == "男"
    assert o1["首次发现"].date() == city.SYNC_DATES[1]
    assert o1["原因"] == "孤儿基本生活费为0元" and o1["下一步"] == "核实后按月发放基本生活费"
    assert o1["儿童类别"] == "孤儿、困境儿童"
    assert o1["儿童督导员"] == "督导甲"  # listed at the village
    assert o1["依据（来源、文件、行）"] == "卫健·儿童健康登记（受限）（hc.xlsx 第3行）"
    o2 = next(r for r in rows if r["姓名"] == "郑可馨")
    assert o2["儿童督导员"] == "督导乙" and o2["儿童督导员电话"] == "13700000002"  # township-level


def test_where_to_find_a_child_the_golden_record_cannot_place(books):
    """N1's golden record has no township or guardian: a civil-affairs row has them, and says so."""
    [n1] = [r for r in _sheets(books["education"])["适龄儿童未入学"] if r["儿童编号"] == "N1"]
    assert (n1["乡镇（街道）"], n1["村（社区）"], n1["监护人"], n1["联系电话"]) == (
        "大田",
        "大田村",
        "尤大",
        "13800000001",
    )
    assert (
        n1["住址或监护人信息来源"]
        == "乡镇（街道）、村（社区）、监护人、联系电话：民政·社会救助对象（低保名册.xlsx 第35行）"
    )
    assert n1["掌握该儿童记录的部门（文件、行）"] == (
        "民政·困境和留守儿童台账（f.xlsx 第2行）；民政·社会救助对象（低保名册.xlsx 第35行）；"
        "教育·学籍（f.xlsx 第4行）；医保·参保信息（f.xlsx 第3行）"
    )


def test_a_restricted_record_is_named_only_to_health_and_civil_affairs(books):
    """S1's phone is known from the health register only: civil affairs is told where it comes
    from; human resources gets neither the phone nor the register's name."""
    [ca] = [r for r in _sheets(books["civil_affairs"])["困境儿童未参加基本医保"] if r["儿童编号"] == "S1"]
    [hr] = [r for r in _sheets(books["human_resources"])["困境儿童未参加基本医保"] if r["儿童编号"] == "S1"]
    assert ca["联系电话"] == "13900000009" and "卫健" in ca["住址或监护人信息来源"]
    assert "卫健" in ca["掌握该儿童记录的部门（文件、行）"]
    assert hr["联系电话"] is None and hr["住址或监护人信息来源"] is None
    assert "卫健" not in hr["掌握该儿童记录的部门（文件、行）"]
    assert hr["依据（来源、文件、行）"] is None  # its only evidence is the health register's


def _cell_texts(path) -> str:
    wb = load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        parts += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return "\n".join(parts)


def test_no_restricted_word_outside_health_and_civil_affairs(books):
    for key, path in books.items():
        if key in city.PRIVILEGED:
            continue
        text = _cell_texts(path)
        found = [t for t in [*city.RESTRICTED_TERMS, "卫健", "hc.xlsx"] if t in text]
        assert not found, (key, found)
    # the privileged workbooks do carry them: the check above can fail
    assert any(t in _cell_texts(books["civil_affairs"]) for t in city.RESTRICTED_TERMS)


def test_restricted_children_read_like_other_distressed_children(books):
    """In every sheet of a non-health workbook, each column other than the person's own
    fields offers no text for an hiv or seriously ill child that another child lacks."""
    restricted = city.restricted_children()
    shared = ["原因", "下一步", "跟进情况"]
    sheets: dict[tuple[str, str], list[dict]] = {}  # a county government's sheets taken together
    for key, path in books.items():
        if key not in city.PRIVILEGED:
            for title, rows in _sheets(path).items():
                sheets.setdefault((key.split("/")[0], title), []).extend(rows)
    compared = 0
    for (department, title), rows in sheets.items():
        hidden = [r for r in rows if r["儿童编号"] in restricted]
        others = [r for r in rows if r["儿童编号"] not in restricted]
        for col in shared:
            assert {r[col] for r in hidden} <= {r[col] for r in others}, (department, title, col)
        compared += bool(hidden)
    assert compared >= 4


def test_restricted_rows_are_withheld_where_the_code_would_single_them_out(books):
    county = {c for k, p in books.items() if k.startswith("county_government") for _, c in _children_in(p)}
    on_allowance = {
        c
        for k, p in books.items()
        if k.startswith("county_government")
        for t, c in _children_in(p)
        if t == "孤儿基本生活费未发放"
    }
    assert not {"H1", "H2"} & on_allowance
    assert "L2" not in county  # restricted, and its code has no generic sentence: denied by default
    assert "H1" in county  # its not_in_school alert is not restricted and still reaches the county


def test_answers_decide_what_is_listed_and_what_a_row_says(tmp_path):
    """已办结, 情况不符 and 非同一儿童 leave the lists; 办理中 stays, saying since when; 复核 is back, saying why."""
    alerts = city.alerts()
    status = {
        "O1:living_allowance_missing": "已办结",
        "N1:not_in_school": "情况不符",
        "N2:dropout": "非同一儿童",
        "O3:medical_insurance_missing": "办理中",
        "P1:medical_insurance_missing": "复核",
    }
    alerts["department_status"] = alerts["alert_id"].map(status)
    feedback = pd.DataFrame(
        [
            ("O3:medical_insurance_missing", "human_resources", "办理中", "2026-02-10", 2),
            ("P1:medical_insurance_missing", "poverty_office", "已办结", "2025-12-01", 1),
            ("P1:medical_insurance_missing", "poverty_office", "办理中", "2025-11-01", 1),
        ],
        columns=["alert_id", "department", "answer", "answered_on", "sync_id"],
    ).assign(file="a.xlsx", sheet="s", row=2)
    feedback["answered_on"] = pd.to_datetime(feedback["answered_on"])
    books = _write(tmp_path, alerts=alerts, feedback=feedback)
    everywhere = {r[H["alert_id"]]: r for p in books.values() for rows in _sheets(p).values() for r in rows}
    assert not {"O1:living_allowance_missing", "N1:not_in_school", "N2:dropout"} & set(everywhere)
    assert (
        everywhere["O3:medical_insurance_missing"]["跟进情况"]
        == "办理中（市人力资源社会保障局 2026-02-10 报）"
    )
    assert everywhere["P1:medical_insurance_missing"]["跟进情况"] == (
        "复核：市扶贫移民局 2025-12-01 报已办结，此后两次同步数据仍显示未解决"
    )


def test_generic_sentences_name_no_condition():
    assert [s for s in settings()["access"]["generic_detail"].values() if reveals_health(s)] == []


def test_null_restricted_counts_as_restricted():
    rows = pd.DataFrame(
        {"alert": ["left_behind_unsupervised", "left_behind_unsupervised"], "restricted": [None, False]}
    ).assign(detail=["x", "y"])
    assert list(visible_rows(rows, "public_security")["detail"]) == ["y"]


def test_per_code_text_naming_a_condition_is_refused_then_public_wording_used(tmp_path):
    loud = replace(city.TEXTS["living_allowance_missing"], title="孤儿和艾滋病病毒感染儿童生活费未发放")
    texts = {**city.TEXTS, "living_allowance_missing": loud}
    with pytest.raises(ValueError, match="living_allowance_missing.*county_government"):
        _write(tmp_path, texts=texts)
    quiet = replace(loud, public_title="儿童基本生活费未发放")
    paths = _write(tmp_path, texts={**texts, "living_allowance_missing": quiet})
    assert "儿童基本生活费未发放" in load_workbook(paths["county_government/仁和区"]).sheetnames
    assert "孤儿和艾滋病病毒感染儿童生活费未发放" in load_workbook(paths["civil_affairs"]).sheetnames


def test_unknown_alert_code_or_department_is_an_error(tmp_path):
    alerts = city.alerts()
    odd = alerts.assign(alert=alerts["alert"].where(alerts.index != 0, "no_such_alert"))
    with pytest.raises(ValueError, match="no_such_alert"):
        _write(tmp_path, alerts=odd)
    odd = alerts.assign(departments=alerts["departments"].where(alerts.index != 0, "nobody"))
    odd.loc[0, "status"] = "open"
    with pytest.raises(ValueError, match="nobody"):
        _write(tmp_path, alerts=odd)


def test_evidence_naming_a_restricted_category_or_source_is_not_named_outside():
    item = {"system": "civil_affairs_children", "file": "台账.xlsx", "row": 7, "field": "ledger_categories"}
    assert nameable_evidence({**item, "value": "orphan"})
    assert not nameable_evidence({**item, "value": "hiv"})
    assert not nameable_evidence({**item, "system": "health_conditions", "value": "B20"})
    assert not nameable_evidence({**item, "field": "diagnosis_code", "value": "X"})
