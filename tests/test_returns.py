"""Department returns (registry.md, *Department returns*): workbooks filled in the way a clerk
does — re-sorted, a column hidden, columns moved, values typed with stray spaces, a sheet
added — are read by 预警编号; what cannot be used is quarantined with its reason; the
answers act on the alerts as the contract's table says."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import test_exports_city as city
import test_exports_departments as departments
from openpyxl import Workbook, load_workbook

from policy.history import merge_alert_history
from reports.returns import children_to_review, latest_answers, read_returns, returns_summary, sent_alerts

ALERT_ID, ANSWER = "预警编号", "核实结果"


def fill_as_a_clerk(path: Path, out: Path, answers: dict[str, tuple], extra: list[tuple] = ()) -> Path:
    """A filled-in copy of a department workbook: each alert sheet's rows sorted by name
    (descending), 核实结果 moved to the front, the 姓名 column hidden, a sheet of the clerk's
    own added; ``answers`` maps 预警编号 to (核实结果, 处理日期, 经办人, 备注) as typed;
    ``extra`` rows (sheet index, 预警编号, 核实结果) are appended as a clerk would type them."""
    wb = load_workbook(path)
    for ws in wb.worksheets[1:]:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        header, body = rows[0], rows[1:]
        at = {h: i for i, h in enumerate(header)}
        for row in body:
            if row[at[ALERT_ID]] in answers:
                for h, v in zip(
                    [ANSWER, "处理日期", "经办人", "备注"], answers[row[at[ALERT_ID]]], strict=True
                ):
                    row[at[h]] = v
        body.sort(key=lambda r: str(r[at["姓名"]]), reverse=True)
        for index, alert_id, answer in extra:
            if wb.worksheets[index] is ws:
                body.append([alert_id if h == ALERT_ID else answer if h == ANSWER else None for h in header])
        order = [at[ANSWER]] + [i for i in range(len(header)) if i != at[ANSWER]]
        ws.delete_rows(1, ws.max_row)
        for row in [header, *body]:
            ws.append([row[i] for i in order])
        ws.column_dimensions["C"].hidden = True  # 姓名, now third
    wb.create_sheet("我的统计").append(["合计", len(answers)])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    return departments._write(tmp_path_factory.mktemp("books"))


@pytest.fixture(scope="module")
def sent():
    return sent_alerts(city.alerts())


def test_answers_are_found_by_alert_id_whatever_the_clerk_did(books, sent, tmp_path):
    inbox = tmp_path / "inbox"
    fill_as_a_clerk(
        books["education"],
        inbox / "feedback" / "教育局" / "退回.xlsx",
        {
            "N1:not_in_school": ("  已办结 ", "2026.3.5", " 张老师 ", None),
            "N2:dropout": ("办理中", datetime(2026, 3, 6), "李老师", "已联系家长"),
            "H1:not_in_school": ("情况不符", None, None, "在市外就读"),
        },
    )
    returns = read_returns(inbox, sent, set())
    assert returns.quarantine.empty and returns.files_read == 1
    got = returns.answers.set_index("alert_id")
    assert got["answer"].to_dict() == {
        "N1:not_in_school": "已办结",
        "N2:dropout": "办理中",
        "H1:not_in_school": "情况不符",
    }
    assert set(got["department"]) == {"education"}
    assert got.loc["N1:not_in_school", "answered_on"] == date(2026, 3, 5)
    assert got.loc["N2:dropout", "answered_on"] == date(2026, 3, 6)
    assert got.loc["N1:not_in_school", "handler"] == "张老师"
    assert got.loc["H1:not_in_school", "note"] == "在市外就读"
    assert set(got["file"]) == {"教育局/退回.xlsx"}
    # the row is where the answer now is, in the re-sorted sheet
    wb = load_workbook(inbox / "feedback" / "教育局" / "退回.xlsx")
    for alert_id, row in got.iterrows():
        ws = wb[row["sheet"]]
        assert ws.cell(row["row"], 2).value == alert_id  # 预警编号, second after the move


def test_what_cannot_be_used_is_quarantined_with_its_reason(books, sent, tmp_path):
    feedback = tmp_path / "inbox" / "feedback"
    filled = fill_as_a_clerk(
        books["education"],
        feedback / "教育.xlsx",
        {"N1:not_in_school": ("已办结", None, None, None)},
        extra=[
            (1, "C0FFEE:not_in_school", "已办结"),  # forged
            (1, "O1:living_allowance_missing", "已办结"),  # civil affairs' alert
            (1, "N1:not_in_school", "搞定了"),  # not an answer
        ],
    )
    fill_as_a_clerk(
        books["county_government/仁和区"],
        feedback / "仁和区.xlsx",
        {"N1:not_in_school": ("办理中", None, None, None)},
        extra=[(1, "N2:dropout", "已办结")],  # 米易县's child
    )
    fill_as_a_clerk(
        books["public_security"],
        feedback / "公安.xlsx",
        {},
        extra=[(1, "L2:left_behind_unsupervised", "已办结")],  # restricted, withheld from it
    )
    (feedback / "退回").mkdir()
    shutil.copy(filled, feedback / "退回" / "教育 - 副本.xlsx")
    (feedback / "坏.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (feedback / "~$教育.xlsx").write_bytes(b"\x00" * 165)
    (feedback / "说明.txt").write_text("请查收", encoding="utf-8")
    foreign = Workbook()
    foreign.active.append([ALERT_ID, ANSWER])
    foreign.active.append(["N1:not_in_school", "已办结"])
    foreign.save(feedback / "别的表.xlsx")

    returns = read_returns(tmp_path / "inbox", sent, set())
    got = zip(returns.answers["file"], returns.answers["alert_id"], returns.answers["answer"], strict=True)
    assert sorted(got) == [
        ("仁和区.xlsx", "N1:not_in_school", "办理中"),
        ("教育.xlsx", "N1:not_in_school", "已办结"),
    ]
    reasons = {
        (f, r) for f, r in zip(returns.quarantine["source_file"], returns.quarantine["reason"], strict=True)
    }
    assert reasons == {
        ("教育.xlsx", "预警编号 is no alert this registry sent to any department"),
        ("教育.xlsx", "预警编号 names an alert never sent to education"),
        ("教育.xlsx", "核实结果 is not one of 已办结、办理中、情况不符、非同一儿童"),
        ("仁和区.xlsx", "预警编号 names an alert never sent to county_government (county 510411)"),
        ("公安.xlsx", "预警编号 names an alert never sent to public_security"),
        ("退回/教育 - 副本.xlsx", "same content as 教育.xlsx: counted once"),
        ("坏.xlsx", "cannot be opened as a workbook (BadZipFile)"),
        ("~$教育.xlsx", "an Excel lock file (left beside a workbook while it is open), not a workbook"),
        ("说明.txt", "not an .xlsx workbook (.txt): save it as .xlsx and drop it again"),
        (
            "别的表.xlsx",
            "not a department workbook of this registry: its 说明 sheet and properties carry no mark",
        ),
    }
    rows = returns.quarantine.dropna(subset=["source_row"])
    assert len(rows) == 5 and rows["source_sheet"].notna().all()
    # the raw row kept is the file's hash, the alert id and the answer: no name or number of a child
    for raw in rows["raw_row"]:
        assert set(json.loads(raw)) == {"file_sha256", "alert_id", "answer", "answered_on", "handler", "note"}

    # dropped again next month, the same files are not read again
    known = set(returns.answers["file_sha256"]) | {
        json.loads(r)["file_sha256"] for r in returns.quarantine["raw_row"]
    }
    again = read_returns(tmp_path / "inbox", sent, known)
    assert again.answers.empty and again.quarantine.empty and again.files_read == 0


def test_a_workbook_without_its_readme_is_known_by_its_properties(books, sent, tmp_path):
    out = fill_as_a_clerk(books["health"], tmp_path / "inbox" / "feedback" / "h.xlsx", {})
    wb = load_workbook(out)
    del wb["说明"]
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index(ANSWER) + 1, "非同一儿童")
    alert_id = ws.cell(2, header.index(ALERT_ID) + 1).value
    wb.save(out)
    returns = read_returns(tmp_path / "inbox", sent, set())
    got = zip(returns.answers["alert_id"], returns.answers["department"], strict=True)
    assert list(got) == [(alert_id, "health")]


def test_latest_answer_is_the_latest_dated_then_the_later_file_and_row():
    answers = pd.DataFrame(
        {
            "alert_id": ["a", "a", "a", "b"],
            "answer": ["已办结", "办理中", "情况不符", "办理中"],
            "answered_on": [date(2026, 3, 1), date(2026, 2, 1), None, None],
            "sync_id": 2,
            "file": ["x", "x", "y", "x"],
            "sheet": "s",
            "row": [3, 2, 2, 4],
        }
    )
    assert latest_answers(answers).set_index("alert_id")["answer"].to_dict() == {"a": "已办结", "b": "办理中"}


# ------------------------------------------------------------------ what the answers do


def _alerts(evidence: dict[str, str]) -> pd.DataFrame:
    """One sync's alerts: child_id:code for each id, with the evidence given."""
    rows = [
        {
            "alert_id": alert_id,
            "child_id": alert_id.split(":")[0],
            "alert": alert_id.split(":")[1],
            "departments": "education",
            "county_code": "510411",
            "detail": "x",
            "evidence": ev,
            "restricted": False,
        }
        for alert_id, ev in evidence.items()
    ]
    return pd.DataFrame(rows)


def _evidence(value: str, file: str = "学籍202611.xlsx", row: int = 5) -> str:
    return json.dumps(
        [
            {
                "system": "education_students",
                "file": file,
                "row": row,
                "field": "enrolment_status",
                "value": value,
            }
        ]
    )


IDS = ["done:dropout", "doing:dropout", "wrong:dropout", "split:dropout"]


def _state(alerts: pd.DataFrame) -> dict[str, tuple]:
    return {
        a: (s, d)
        for a, s, d in zip(
            alerts["alert_id"], alerts["status"], alerts["department_status"].fillna(""), strict=True
        )
    }


def test_answers_act_on_the_alerts_across_syncs():
    month = {a: _evidence("dropout") for a in IDS}
    first = merge_alert_history(None, _alerts(month), 1)
    answers = pd.DataFrame({"alert_id": IDS, "answer": ["已办结", "办理中", "情况不符", "非同一儿童"]})
    # the next month's extract: new file name, rows moved, the same facts
    moved = {a: _evidence("dropout", "学籍202612.xlsx", 9) for a in IDS}
    second = merge_alert_history(first, _alerts(moved), 2, answers=answers)
    assert _state(second) == {
        "done:dropout": ("open", "已办结"),
        "doing:dropout": ("open", "办理中"),
        "wrong:dropout": ("open", "情况不符"),
        "split:dropout": ("held", "非同一儿童"),
    }
    assert children_to_review(second).tolist() == ["split"]  # the flag the review queue reads
    third = merge_alert_history(second, _alerts(moved), 3, reviewed=pd.Series({"split": 2}))
    assert _state(third)["done:dropout"] == ("open", "已办结")  # one later sync: still reported done
    assert _state(third)["wrong:dropout"] == ("open", "情况不符")  # same facts, other file and row
    assert _state(third)["split:dropout"] == ("held", "非同一儿童")  # reviewed before the answer only
    changed = {**moved, "wrong:dropout": _evidence("suspended")}
    fourth = merge_alert_history(third, _alerts(changed), 4, reviewed=pd.Series({"split": 4}))
    assert _state(fourth) == {
        "done:dropout": ("open", "复核"),  # two later syncs still raise it
        "doing:dropout": ("open", "办理中"),
        "wrong:dropout": ("open", "复核"),  # its evidence changed
        "split:dropout": ("open", "复核"),  # the child's records were reviewed
    }
    assert fourth.set_index("alert_id").loc["done:dropout", "status_sync"] == 4


def test_an_answered_alert_no_longer_raised_is_resolved_and_keeps_its_answer():
    first = merge_alert_history(None, _alerts({"done:dropout": _evidence("dropout")}), 1)
    answers = pd.DataFrame({"alert_id": ["done:dropout"], "answer": ["已办结"]})
    second = merge_alert_history(first, _alerts({}).reindex(columns=first.columns[:8]), 2, answers=answers)
    assert _state(second) == {"done:dropout": ("resolved", "已办结")}


def test_returns_are_counted_per_department_and_county():
    alerts = pd.DataFrame(
        {
            "alert_id": ["a", "b", "c", "d"],
            "county_code": ["510411", "510411", "510421", "510411"],
            "first_raised": [1, 1, 2, 1],
            "department_status": ["已办结", "复核", "情况不符", "办理中"],
        }
    )
    feedback = pd.DataFrame(
        {
            "alert_id": ["a", "b", "c", "d", "d"],
            "department": ["education", "education", "education", "education", "county_government"],
            "answer": ["已办结", "已办结", "情况不符", "办理中", "已办结"],
            "answered_on": [date(2026, 1, 11), None, date(2026, 3, 1), None, date(2026, 2, 1)],
            "sync_id": [2, 2, 3, 3, 3],
            "file": "f",
            "sheet": "s",
            "row": [2, 3, 4, 5, 6],
        }
    )
    dates = {1: date(2026, 1, 1), 2: date(2026, 2, 1), 3: date(2026, 3, 1)}
    summary = returns_summary(alerts, feedback, dates).set_index(["department", "county_code"])
    education = summary.loc[("education", "510411")]
    assert education[["answered", "done", "in_progress", "disputed", "rechecks"]].tolist() == [3, 2, 1, 0, 1]
    assert education["median_days_to_done"] == (10 + 31) / 2  # 1-01 → 1-11, and 1-01 → sync 2's 2-01
    assert summary.loc[("education", "510421"), "disputed"] == 1
    assert summary.loc[("county_government", "510411"), "done"] == 1


# ------------------------------------------------------------------ end to end, on a small city

AS_OF = date(2026, 11, 30)
BOOK = "*/*_困境儿童预警_*.xlsx"


@pytest.fixture(scope="module")
def small_city(tmp_path_factory) -> Path:
    from synth import write_city

    out = tmp_path_factory.mktemp("returns_city")
    write_city(out, children=400, seed=3, as_of=AS_OF)
    return out


def _sync(inbox: Path, url: str, exports: Path) -> Path:
    from pipelines.cli import run_sync

    assert run_sync(inbox, AS_OF, url, exports) == 0, "the sync did not publish"
    return exports / AS_OF.isoformat()


def _table(url: str, sql: str) -> pd.DataFrame:
    import sqlalchemy as sa

    from warehouse.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(sa.text(sql), conn)
    finally:
        engine.dispose()


def _rows(folder: Path) -> pd.DataFrame:
    """Every alert row of every department workbook: its folder, file, sheet and cells."""
    found = []
    for path in sorted(folder.glob(BOOK)):
        wb = load_workbook(path, read_only=True)
        try:
            for ws in wb.worksheets[1:]:
                rows = list(ws.iter_rows(values_only=True))
                found += [
                    {
                        "department": path.parent.name,
                        "book": path.name,
                        "sheet": ws.title,
                        **dict(zip(rows[0], r, strict=False)),  # read-only rows end at their last value
                    }
                    for r in rows[1:]
                ]
        finally:
            wb.close()
    return pd.DataFrame(found)


def _check_each_book_holds_only_its_own(url: str, rows: pd.DataFrame) -> None:
    """A department's workbook holds only alerts sent to it; a county's only that county's children."""
    alerts = _table(url, "SELECT alert_id, child_id, departments, county_code FROM registry.gap_alerts")
    children = _table(url, "SELECT child_id, county_code FROM registry.children")
    by_id = alerts.set_index("alert_id")
    assert rows["预警编号"].isin(by_id.index).all()
    sent_to = rows["预警编号"].map(by_id["departments"]).str.split(",")
    assert all(d in s for d, s in zip(rows["department"], sent_to, strict=True))
    assert (rows["儿童编号"] == rows["预警编号"].map(by_id["child_id"])).all()
    county = rows[rows["department"].eq("county_government")]
    names = {v: k for k, v in departments.settings()["counties"].items()}
    book_county = county["book"].str.split("人民政府").str[0].map(names)
    child_county = county["儿童编号"].map(children.set_index("child_id")["county_code"])
    alert_county = county["预警编号"].map(by_id["county_code"]).fillna(child_county)
    assert len(county) and (alert_county == book_county).all()


def _check_every_child_can_be_found(rows: pd.DataFrame) -> None:
    """Each row names a township, a guardian's phone, or a department holding the child's record
    with its row."""
    township = rows["乡镇（街道）"].notna()
    phone = rows["联系电话"].notna()
    record = rows["掌握该儿童记录的部门（文件、行）"].fillna("").str.contains(r"第\d+行")
    lost = rows[~(township | phone | record)]
    assert lost.empty, f"{len(lost)} rows name no way to find the child: {sorted(set(lost['sheet']))}"


def test_returns_go_round_the_loop(small_city, warehouse_url, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(small_city / "inbox", inbox)
    first = _sync(inbox, warehouse_url, tmp_path / "exports1")
    rows = _rows(first)
    assert len(rows) > 50
    _check_each_book_holds_only_its_own(warehouse_url, rows)
    _check_every_child_can_be_found(rows)

    # education answers four of its alerts; a clerk's copy carries a forged id and another's alert
    education = rows[rows["department"].eq("education")].drop_duplicates("预警编号")
    done, doing, wrong, split = education["预警编号"].iloc[:4]
    others = rows.loc[~rows["预警编号"].isin(education["预警编号"]), "预警编号"].iloc[0]
    feedback = inbox / "feedback"
    filled = fill_as_a_clerk(
        next(first.glob("education/*.xlsx")),
        feedback / "教育局" / "2026年12月退回.xlsx",
        {
            done: (" 已办结  ", "2026年12月5日", "王", None),
            doing: ("办理中", date(2026, 12, 6), "王", None),
            wrong: ("情况不符", None, "王", "已迁往外市"),
            split: ("非同一儿童", None, "王", None),
        },
        extra=[(1, "FORGED0000:not_in_school", "已办结"), (1, others, "办理中")],
    )
    shutil.copy(filled, feedback / "教育局" / "2026年12月退回 - 副本.xlsx")  # dropped twice
    (feedback / "坏了.xlsx").write_bytes(b"this is no workbook")
    (feedback / "教育局" / "~$2026年12月退回.xlsx").write_bytes(b"\x00" * 165)

    second = _sync(inbox, warehouse_url, tmp_path / "exports2")
    answered = _table(warehouse_url, "SELECT * FROM registry.alert_feedback")
    assert sorted(answered["alert_id"]) == sorted([done, doing, wrong, split])  # each answer once
    assert set(answered["sync_id"]) == {2} and answered["file_sha256"].str.len().eq(64).all()
    assert answered["row"].notna().all() and set(answered["department"]) == {"education"}
    refused = _table(
        warehouse_url,
        "SELECT source_file, reason FROM registry.quarantine WHERE source_system = 'department_returns'",
    )
    reasons = " | ".join(sorted(refused["reason"]))
    assert len(refused) == 5, reasons
    for expected in (
        "no alert this registry sent",
        "never sent to education",
        "cannot be opened",
        "lock file",
    ):
        assert expected in reasons
    assert "counted once" in reasons
    alerts = _table(warehouse_url, "SELECT * FROM registry.gap_alerts")
    status = alerts.set_index("alert_id")
    assert status.loc[[done, doing, wrong, split], "department_status"].tolist() == [
        "已办结",
        "办理中",
        "情况不符",
        "非同一儿童",
    ]
    assert status.loc[split, "status"] == "held"
    assert status.loc[split, "child_id"] in children_to_review(alerts).tolist()  # the review queue's flag
    listed = _rows(second)
    assert not {done, wrong, split} & set(listed["预警编号"])
    assert listed.loc[listed["预警编号"].eq(doing), "跟进情况"].str.startswith("办理中").all()
    _check_each_book_holds_only_its_own(warehouse_url, listed)
