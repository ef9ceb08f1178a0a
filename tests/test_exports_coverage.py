"""coverage_report.html: counts only, small restricted cells hidden, self-contained."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pandas as pd
import pytest
import test_exports_city as city

from warehouse.exports import CoverageInputs, write_coverage_report
from warehouse.exports.disclosure import suppress

SOURCE_COUNTS = {
    "civil_affairs_children": {"files": 1, "rows_read": 120, "rows_staged": 118, "rows_quarantined": 2},
    "education_students": {"files": 0, "missing": True},
    "health_conditions": {"files": ["hc.xlsx"], "rows_read": 6, "rows_staged": 6, "rows_quarantined": 0},
}
ID_STATUS = pd.DataFrame(
    [
        ("civil_affairs_children", "valid", 110),
        ("civil_affairs_children", "missing", 8),
        ("health_conditions", "valid", 5),
        ("health_conditions", "bad_check_digit", 1),
    ],
    columns=["source_system", "id_status", "rows"],
)


def _expectations() -> pd.DataFrame:
    leaked_name = city.children()["name"].iloc[0]  # GX can put row values in observed_value
    return pd.DataFrame(
        [
            ("staged", "expect_column_values_to_not_be_null(name)", True, 0.0),
            ("staged", "expect_column_values_to_match_regex(id_number)", False, [leaked_name]),
            ("raw", "expect_table_row_count_to_be_between", True, 450000),
        ],
        columns=["suite", "expectation", "success", "observed"],
    )


def _inputs(**changes) -> CoverageInputs:
    inputs = CoverageInputs(
        as_of=city.SYNC_DATES[city.CURRENT_SYNC],
        sync_id=city.CURRENT_SYNC,
        children=city.children(),
        categories=city.categories(),
        entitlements=city.entitlements(),
        alerts=city.alerts(),
        child_records=city.child_records(),
        source_counts=SOURCE_COUNTS,
        id_status=ID_STATUS,
        expectations=_expectations(),
        review_queue=37,
        texts=city.TEXTS,
        benefit_names={"living_allowance": "基本生活费", "medical_insurance": "基本医保"},
        staff=city.staff(),
    )
    return replace(inputs, **changes)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    path = write_coverage_report(tmp_path_factory.mktemp("report") / "coverage_report.html", _inputs())
    return path.read_text(encoding="utf-8")


def _after(html: str, heading: str) -> str:
    """The page from a heading (h2, h3, or a table's corner cell) starting with the given text."""
    found = re.search(f"<(h2|h3|th)>{re.escape(heading)}", html)
    assert found, heading
    return html[found.start() :]


def _rows(html: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after a heading, as text."""
    part = _after(html, heading)
    body = part[part.index("<tbody>") : part.index("</table>")]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _table(html: str, heading: str) -> dict[str, list[str]]:
    """Like _rows, keyed by each row's first cell (for tables where it is unique)."""
    return {row[0]: row[1:] for row in _rows(html, heading)}


def _chart(html: str, heading: str) -> str:
    part = _after(html, heading)
    return part[part.index("<svg") : part.index("</svg>")]


def test_self_contained(html):
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert set(re.findall(r"https?://[^\s\"')]+", html)) == {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") >= 5 and "<style>" in html


def test_no_name_number_or_phone(html):
    staff = city.staff()
    personal = city.personal_values() + list(staff["name"]) + list(staff["phone"])
    assert [v for v in personal if v in html] == []


def test_no_diagnosis_or_alert_detail(html):
    details = set(city.alerts()["detail"])
    assert [d for d in details if d in html] == []
    assert not any(code in html for code in ("B20", "Z21", "C91", "白血病"))


def test_small_restricted_counts_show_as_less_than_ten(html):
    for heading in ("艾滋病病毒感染儿童", "重病儿童"):
        rows = _table(html, heading)
        assert set(rows) == {"东区", "西区", "仁和区", "米易县", "盐边县", "全市"}
        cells = {c for row in rows.values() for c in row}
        assert cells <= {"<10", "—"}, heading
        chart = _chart(html, heading)
        assert "<title>" not in chart  # no bar carries a hidden count
    distressed = _table(html, "困境儿童")
    assert distressed["全市"][0] == "15"  # 15 distressed children: large enough to show
    assert distressed["仁和区"][0] == "<10"


def test_restricted_counts_from_ten_up_are_shown(tmp_path):
    kids, cats = city.children(), city.categories()
    more = [f"HX{i}" for i in range(12)]
    h1 = kids[kids["child_id"] == "H1"]
    kids = pd.concat([kids, h1.loc[h1.index.repeat(12)].assign(child_id=more)], ignore_index=True)
    cats = pd.concat([cats, pd.DataFrame({"child_id": more, "category": "hiv", "basis": "inferred"})])
    path = write_coverage_report(tmp_path / "r.html", _inputs(children=kids, categories=cats))
    hiv = _table(path.read_text(encoding="utf-8"), "艾滋病病毒感染儿童")
    assert hiv["仁和区"][:2] == ["13", "<10"]  # H1 and the twelve; one registered
    assert hiv["全市"][:2] == ["15", "<10"]


def test_unrestricted_counts_are_exact(html):
    orphans = _table(html, "孤儿")
    # found, registered, rate, allowance due, allowance paid, insurance due, insurance held
    assert orphans["仁和区"] == ["2", "2", "100.0%", "2", "1", "2", "2"]
    assert orphans["米易县"] == ["1", "0", "0.0%", "1", "0", "1", "1"]
    assert orphans["全市"] == ["4", "3", "75.0%", "4", "2", "4", "3"]


def test_alert_changes_since_previous_sync(html):
    changes = _table(html, "与上次同步相比")
    assert changes["重残儿童帮扶金未发放"] == ["1", "0", "0"]  # raised, resolved, still open
    assert changes["留守儿童未登记"] == ["0", "1", "0"]
    assert changes["困境儿童未参加基本医保"] == ["<10", "<10", "<10"]  # can be restricted


def test_source_quality(html):
    sources = _table(html, "源数据质量")
    assert sources["民政·困境和留守儿童台账"] == ["1", "120", "118", "2", "93.2%"]
    assert sources["卫健·重病和艾滋病登记"] == ["<10", "<10", "<10", "<10", "—"]
    assert sources["教育·学籍"][0] == "本次未提供"
    gx = _rows(html, "检查套件")
    assert gx[0] == [
        "staged",
        "expect_column_values_to_match_regex(id_number)",
        "✗ 未通过",
        "（非数值，不显示）",
    ]
    assert gx[-1][-1] == "450,000"  # failures first; a row's values never shown, numbers are


def test_linkage_quality(html):
    per_child = _table(html, "每名儿童的记录数")
    assert [per_child[k][0] for k in ("1", "2", "3", "4", "5", "≥6")] == ["5", "5", "5", "5", "0", "0"]
    assert "待人工核对的记录对：37" in html
    pairs = _rows(html, "来源甲")
    assert pairs[0] == ["民政·困境和留守儿童台账", "医保·参保信息", "15"]
    health = [row for row in pairs if "卫健" in row[0] or "卫健" in row[1]]
    assert health and all(row[-1] == "<10" for row in health)


def test_organisation_lists_places_without_staff(html):
    part = _after(html, "儿童工作队伍")
    townships = re.findall(r"<li>(.*?)</li>", part[: part.index("</ul>")])
    assert townships == ["东区 银江", "米易县 丙谷"]
    villages = re.findall(r"<li>(.*?)</li>", _after(part, "有困境或留守儿童但没有儿童督导员的村"))
    assert villages == [
        "东区 银江 沙坝社区",
        "仁和区 布德 布德村",
        "仁和区 仁和 联合村",
        "米易县 丙谷 丙谷村",
    ]


def test_without_a_roster_the_report_says_so(tmp_path):
    path = write_coverage_report(tmp_path / "r.html", _inputs(staff=None))
    assert "本次未提供儿童工作人员名册" in path.read_text(encoding="utf-8")


def test_a_lone_hidden_part_takes_the_next_smallest_with_it():
    counts = pd.DataFrame({"n": [50, 3, 40, 12, 105]}, index=["a", "b", "c", "d", "全市"])
    hidden = suppress(counts, pd.Series(True, index=counts.index), total="全市")
    assert hidden["n"].isna().tolist() == [False, True, False, True, False]
    plain = suppress(counts, pd.Series(False, index=counts.index), total="全市")
    assert plain["n"].tolist() == [50, 3, 40, 12, 105]
