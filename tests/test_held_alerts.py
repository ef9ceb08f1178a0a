"""Issue 11 (3): an absence alert waits for review when a near-miss exists.

In a small synthetic city one pupil's 学籍 row is given another surname (a
stepfather's, say) and no identity number, as a school might have registered it:
linkage scores it below the match threshold (about 0.34, just above the review
floor) against the pupil's insurance row, so the pupil looks out of school.
The not_in_school alert is held (in no department's list) and the pair heads the
review queue. The reviewer's answer comes back through the review workbook: 是同一人
merges the records and closes the alert; different releases it to the departments.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from ingest.tabular import decode_lines
from pipelines.cli import run_sync
from policy import RECORD_COLUMNS, load_rules
from policy.near_miss import near_misses
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.restricted import read_whole

AS_OF = date(2026, 11, 30)
EDU = "education_students"


def _pupil(city: Path) -> pd.Series:
    """A compulsory-age pupil held only by one 学籍 row (西区, 在读) and one insurance row,
    with a valid identity number, no twin, and no identity mess in the generator's truth."""
    records = pd.read_csv(city / "truth" / "records.csv", dtype=str)
    children = pd.read_csv(city / "truth" / "children.csv", dtype=str)
    held_by = records.groupby("person_id")["source_system"].agg(lambda s: ",".join(sorted(s)))
    messy = records.groupby("person_id")["mess"].agg(
        lambda m: m.fillna("").str.contains("id|name|dup|birth|twin").any()
    )
    chosen = children[
        children["person_id"].map(held_by).eq(f"{EDU},health_insurance")
        & ~children["person_id"].map(messy).astype(bool)
        & children["birth_date"].between("2012-01-01", "2019-12-31")
        & children["id_number"].notna()
        & children["twin_group"].isna()
    ]
    rows = records[
        records["person_id"].isin(chosen["person_id"])
        & records["source_system"].eq(EDU)
        & records["source_file"].str.startswith("西区")
    ]
    return rows.iloc[0]


def _mistype(inbox: Path, row: pd.Series) -> None:
    """The pupil's 学籍 row without its identity number and under another surname."""
    path = inbox / EDU / row["source_file"]
    rows = list(csv.reader(io.StringIO("".join(decode_lines(path.read_bytes())[0]), newline="")))
    header = next(i for i, r in enumerate(rows) if "全国学籍号" in r)
    col = {name: rows[header].index(name) for name in ("全国学籍号", "身份证件类型", "身份证件号", "姓名")}
    line = rows[int(row["source_row"]) - 1]
    assert line[col["身份证件号"]]
    line[col["全国学籍号"]] = "L510403" + "9" * 12
    line[col["身份证件类型"]] = "无"
    line[col["身份证件号"]] = ""
    name = line[col["姓名"]]
    line[col["姓名"]] = ("刘" if name[0] != "刘" else "张") + name[1:]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")


@pytest.fixture(scope="module")
def near_miss_sync(tmp_path_factory) -> tuple[Path, str, Path, str]:
    """The city with the mistyped row, synced once: (inbox, warehouse url, exports, record id)."""
    folder = tmp_path_factory.mktemp("near_miss")
    write_city(folder / "city", children=1500, seed=1, as_of=AS_OF)
    inbox = folder / "inbox"
    shutil.copytree(folder / "city" / "inbox", inbox)
    row = _pupil(folder / "city")
    _mistype(inbox, row)
    url = f"duckdb:///{folder}/w.duckdb"
    assert run_sync(inbox, AS_OF, url, folder / "exports") == 0
    return inbox, url, folder / "exports", f"{EDU}:{row['source_file']}:{row['source_row']}"


def _table(url: str, table: T.Table) -> pd.DataFrame:
    with make_engine(url).connect() as conn:
        return read_whole(conn, table)


def _held(url: str, record_id: str) -> tuple[pd.Series, str]:
    """The near-miss pair of the mistyped row, and the alert it holds."""
    queue = _table(url, T.REVIEW_PAIRS)
    pairs = queue[queue["record_id_l"].eq(record_id) | queue["record_id_r"].eq(record_id)]
    pairs = pairs[pairs["holds_alert"].notna()]
    assert len(pairs) == 1, "the mistyped row should be a near-miss of the pupil's insurance row"
    return pairs.iloc[0], pairs.iloc[0]["holds_alert"]


def test_an_absence_alert_is_held_while_its_near_miss_waits_first_in_the_queue(near_miss_sync):
    _, url, exports, record_id = near_miss_sync
    pair, alert_id = _held(url, record_id)
    assert alert_id.endswith(":not_in_school")
    alerts = _table(url, T.GAP_ALERTS).set_index("alert_id")
    assert alerts.loc[alert_id, "status"] == "held"
    # first in the queue the reviewer gets
    queue = _table(url, T.REVIEW_PAIRS)
    holding = set(queue.loc[queue["holds_alert"].notna(), "pair_id"])
    ws = load_workbook(exports / AS_OF.isoformat() / "review" / "review_queue.xlsx")["待核对记录对"]
    column = [c.value for c in ws[1]].index("pair_id") + 1
    first = [ws.cell(r, column).value for r in range(2, 2 + len(holding))]
    assert pair["pair_id"] in first and set(first) == holding
    assert ws.max_row - 1 > len(holding)  # other pairs wait behind them
    # in no department's list
    for workbook in (exports / AS_OF.isoformat()).rglob("*.xlsx"):
        if workbook.name == "review_queue.xlsx":
            continue
        for sheet in load_workbook(workbook, read_only=True).worksheets:
            assert not any(alert_id in str(v) for row in sheet.iter_rows(values_only=True) for v in row)


@pytest.mark.parametrize(("answer", "status"), [("是同一人", "resolved"), ("different", "open")])
def test_the_reviewers_decision_closes_or_releases_it(near_miss_sync, tmp_path, answer, status):
    inbox, url, exports, record_id = near_miss_sync
    pair, alert_id = _held(url, record_id)
    wb = load_workbook(exports / AS_OF.isoformat() / "review" / "review_queue.xlsx")
    ws = wb["待核对记录对"]
    header = [c.value for c in ws[1]]
    [row] = [
        r
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, header.index("pair_id") + 1).value == pair["pair_id"]
    ]
    ws.cell(row, header.index("decision（判定）") + 1, answer)
    ws.cell(row, header.index("审核人") + 1, "王芳")
    second = tmp_path / "inbox"
    shutil.copytree(inbox, second)
    (second / "review_decisions").mkdir()
    wb.save(second / "review_decisions" / "核对结果.xlsx")
    copy = tmp_path / "w.duckdb"
    shutil.copy(url.removeprefix("duckdb:///"), copy)
    url2 = f"duckdb:///{copy}"
    assert run_sync(second, AS_OF, url2, tmp_path / "exports") == 0
    alerts = _table(url2, T.GAP_ALERTS).set_index("alert_id")
    assert alerts.loc[alert_id, "status"] == status
    assert alerts.loc[alert_id, "first_raised"] == 1
    assert pair["pair_id"] not in set(_table(url2, T.REVIEW_PAIRS)["pair_id"])


def _records(*rows: tuple[str, str, str | None, dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{"record_id": r, "source_system": s, "child_id": c, **fields} for r, s, c, fields in rows]
    )
    return frame.reindex(columns=[*frame.columns, *(f for f in RECORD_COLUMNS if f not in frame)])


def test_a_near_miss_is_a_satisfying_record_of_another_child_just_below_the_threshold():
    """The rules file's satisfied_by, on literal records: which pairs hold which alerts."""
    alerts = pd.DataFrame(
        {
            "alert_id": ["a:not_in_school", "a:medical_insurance_missing", "a:orphan_unregistered"],
            "child_id": ["a", "a", "a"],
            "alert": ["not_in_school", "medical_insurance_missing", "orphan_unregistered"],
        }
    )
    records = _records(
        ("ins", "health_insurance", "a", {}),
        ("edu_in", EDU, "b", {"enrolment_status": "enrolled"}),
        ("edu_out", EDU, "c", {"enrolment_status": "dropout"}),
        ("ins_old", "health_insurance", "d", {"insurance_year": 2025, "insurance_status": "paid"}),
        ("ins_now", "health_insurance", None, {"insurance_year": 2026, "insurance_status": "paid"}),
        ("ledger", "civil_affairs_children", "e", {"ledger_categories": "poor, orphan"}),
    )
    pairs = pd.DataFrame(
        {
            "pair_id": ["p_in", "p_out", "p_old", "p_now", "p_ledger"],
            "record_id_l": ["edu_in", "ins", "ins", "ins_now", "ins"],
            "record_id_r": ["ins", "edu_out", "ins_old", "ins", "ledger"],
        }
    )
    found = near_misses(alerts, records, pairs, load_rules(AS_OF), AS_OF)
    assert set(zip(found["alert_id"], found["pair_id"], strict=True)) == {
        ("a:not_in_school", "p_in"),
        ("a:medical_insurance_missing", "p_now"),
        ("a:orphan_unregistered", "p_ledger"),
    }
    same_child = records.assign(child_id="a")
    assert near_misses(alerts, same_child, pairs, load_rules(AS_OF), AS_OF).empty


def test_a_record_a_hard_fact_keeps_from_the_child_holds_nothing():
    """A namesake's insurance row with its own number, or born a year apart, scored against the
    child's roster row that has neither: the merge the hold would wait for cannot come."""
    alerts = pd.DataFrame(
        {
            "alert_id": ["a:medical_insurance_missing"],
            "child_id": ["a"],
            "alert": ["medical_insurance_missing"],
        }
    )
    paid = {"insurance_year": 2026, "insurance_status": "paid"}
    own = {"id_number": "510402201503020011", "birth_date": "2015-03-02"}

    def held(other: dict) -> bool:
        records = _records(
            ("pupil", EDU, "a", own),
            ("roster", "poverty_households", "a", {}),
            ("ins", "health_insurance", None, {**paid, **other}),
        )
        pairs = pd.DataFrame({"pair_id": ["p"], "record_id_l": ["roster"], "record_id_r": ["ins"]})
        return not near_misses(alerts, records, pairs, load_rules(AS_OF), AS_OF).empty

    assert not held({"id_number": "510402201603020013", "birth_date": "2016-03-02"})  # another number
    assert not held({"birth_date": "2016-03-02"})  # no number, born a year apart
    assert held({"birth_date": "2015-04-10"})  # no number, a lunar birthday: may be the child's
    assert held({"id_number": own["id_number"], "birth_date": "2016-03-02"})  # the number outweighs the date
    assert held({})  # nothing to tell them apart
