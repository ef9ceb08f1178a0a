"""Department workbooks: one per department, its own open alerts only, sorted, and nothing restricted leaking."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import test_exports_city as city
from openpyxl import load_workbook
from pypinyin import lazy_pinyin

from reports import write_department_workbooks
from reports.access import reveals_health, visible_rows
from reports.config import settings

BASE_HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "区县",
    "乡镇（街道）",
    "村（社区）",
    "监护人",
    "联系电话",
]
TAIL_HEADERS = ["原因", "下一步", "首次发现"]
STAFF_HEADERS = ["儿童督导员", "儿童督导员电话"]
COUNTY_ORDER = ["东区", "西区", "仁和区", "米易县", "盐边县"]


def _write(tmp_path, staff=True, texts=None, alerts=None):
    return write_department_workbooks(
        tmp_path,
        city.alerts() if alerts is None else alerts,
        city.children(),
        city.categories(),
        city.TEXTS if texts is None else texts,
        city.DEPARTMENTS,
        city.SYNC_DATES,
        city.staff() if staff else None,
    )


def _sheets(path) -> dict[str, list[dict]]:
    """Every alert sheet of a workbook as a list of {header: value} rows."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets[1:]:
        rows = list(ws.iter_rows(values_only=True))
        out[ws.title] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return out


def _ids_by_child() -> dict[str, str]:
    kids = city.children()
    return dict(zip(kids["id_number"], kids["child_id"], strict=True))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    return {p.stem: p for p in _write(tmp_path_factory.mktemp("books"))}


def test_one_workbook_per_responsible_department(books):
    assert set(books) == set(city.DEPARTMENTS)


def test_sheets_are_the_alert_codes_the_department_answers_for(books):
    for department, path in books.items():
        wb = load_workbook(path)
        expected = [t.title for t in city.TEXTS.values() if department in t.departments]
        assert wb.sheetnames == ["汇总", *expected], department


def test_headers_frozen_pane_and_filter(books):
    for department, path in books.items():
        wb = load_workbook(path)
        privileged = department in city.PRIVILEGED
        middle = ["儿童类别"] if privileged else []
        expected = BASE_HEADERS + middle + TAIL_HEADERS + STAFF_HEADERS
        for ws in wb.worksheets[1:]:
            assert [c.value for c in ws[1]] == expected, (department, ws.title)
            assert ws.freeze_panes == "A2"
            assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(expected)).column_letter}{ws.max_row}"
            widths = [
                ws.column_dimensions[ws.cell(1, i).column_letter].width for i in range(1, len(expected) + 1)
            ]
            assert all(4 <= w <= 62 for w in widths)
            id_col = ws.cell(1, 4).column_letter
            assert ws.column_dimensions[id_col].width >= 18  # an 18-digit number shows whole


def test_staff_columns_only_with_a_roster(tmp_path):
    path = next(p for p in _write(tmp_path, staff=False) if p.stem == "education")
    header = [c.value for c in load_workbook(path).worksheets[1][1]]
    assert header == BASE_HEADERS + TAIL_HEADERS


def test_rows_are_exactly_the_departments_open_alerts(books):
    """No row of another department, no resolved alert, no restricted row withheld from it."""
    alerts = city.alerts()
    open_ = alerts[alerts["status"] == "open"]
    by_id = _ids_by_child()
    title_of = {code: t.title for code, t in city.TEXTS.items()}
    for department, path in books.items():
        mine = open_[open_["departments"].str.split(",").map(lambda d, dep=department: dep in d)]
        visible = visible_rows(mine.assign(department=department), department)
        expected = {(title_of[a], c) for a, c in zip(visible["alert"], visible["child_id"], strict=True)}
        got = {(title, by_id[r["身份证号"]]) for title, rows in _sheets(path).items() for r in rows}
        assert got == expected, department
    assert ("孤儿基本生活费未发放", "H1") in {
        (t, by_id[r["身份证号"]]) for t, rows in _sheets(books["civil_affairs"]).items() for r in rows
    }


def test_rows_sorted_county_township_village_name(books):
    def key(r):
        return (
            COUNTY_ORDER.index(r["区县"]),
            lazy_pinyin(r["乡镇（街道）"]),
            lazy_pinyin(r["村（社区）"]),
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
    assert o1["区县"] == "仁和区" and o1["性别"] == "男"
    assert o1["首次发现"].date() == city.SYNC_DATES[1]
    assert o1["原因"] == "孤儿基本生活费为0元" and o1["下一步"] == "核实后按月发放基本生活费"
    assert o1["儿童类别"] == "孤儿、困境儿童"
    assert o1["儿童督导员"] == "督导甲"  # listed at the village
    o2 = next(r for r in rows if r["姓名"] == "郑可馨")
    assert o2["儿童督导员"] == "督导乙" and o2["儿童督导员电话"] == "13700000002"  # township-level
    summary = list(load_workbook(books["civil_affairs"])["汇总"].iter_rows(values_only=True))
    assert summary[1][:3] == ("孤儿基本生活费未发放", 4, "各县（区）政府")


def _cell_texts(path) -> str:
    wb = load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        parts += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return "\n".join(parts)


def test_no_restricted_word_outside_health_and_civil_affairs(books):
    for department, path in books.items():
        text = _cell_texts(path)
        found = [t for t in city.RESTRICTED_TERMS if t in text]
        if department in city.PRIVILEGED:
            continue
        assert not found, (department, found)
    # the privileged workbooks do carry them: the check above can fail
    assert any(t in _cell_texts(books["civil_affairs"]) for t in city.RESTRICTED_TERMS)


def test_restricted_children_read_like_other_distressed_children(books):
    """In every sheet of a non-health workbook, each column other than the person's own
    fields offers no text for an hiv or seriously ill child that another child lacks."""
    restricted = city.restricted_children()
    by_id = _ids_by_child()
    shared = ["原因", "下一步"]
    compared = 0
    for department, path in books.items():
        if department in city.PRIVILEGED:
            continue
        for title, rows in _sheets(path).items():
            hidden = [r for r in rows if by_id[r["身份证号"]] in restricted]
            others = [r for r in rows if by_id[r["身份证号"]] not in restricted]
            for col in shared:
                assert {r[col] for r in hidden} <= {r[col] for r in others}, (department, title, col)
            compared += bool(hidden)
    assert compared >= 4


def test_restricted_rows_are_withheld_where_the_code_would_single_them_out(books):
    by_id = _ids_by_child()
    county = {by_id[r["身份证号"]] for rows in _sheets(books["county_government"]).values() for r in rows}
    assert not {"H1", "H2"} & {
        by_id[r["身份证号"]] for r in _sheets(books["county_government"])["孤儿基本生活费未发放"]
    }
    assert "L2" not in county  # restricted, and its code has no generic sentence: denied by default
    assert "H1" in county  # its not_in_school alert is not restricted and still reaches the county


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
    paths = {p.stem: p for p in _write(tmp_path, texts={**texts, "living_allowance_missing": quiet})}
    assert "儿童基本生活费未发放" in load_workbook(paths["county_government"]).sheetnames
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
