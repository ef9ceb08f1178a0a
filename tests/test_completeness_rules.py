"""Issue 11 (4): which source arrived whole, judged against its baseline; which alerts
an incomplete source freezes (the rules file's ``reads``); how the history keeps them.

Fast tests on literal counts and hand-made alerts; the fault classes on real broken
files are in test_completeness.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from policy import merge_alert_history
from policy.completeness import FileFacts, judge
from policy.ruleset import RULES_DIR, RulesError, load_rules
from warehouse.tables import GAP_ALERTS

EDU = "education_students"
AS_OF = date(2026, 11, 30)
FIELDS = frozenset({"name", "id_number", "enrolment_status", "school_stage"})


def _files(*rows: int, fields: frozenset[str] = FIELDS) -> list[FileFacts]:
    return [FileFacts(f"县{i}.csv", n, fields) for i, n in enumerate(rows) if n]


def _counts(rows: int, files: int, **more: object) -> dict:
    return {EDU: {"files": files, "rows_read": rows, "rows_staged": rows, **more}}


def _baseline() -> list[tuple[int, dict]]:
    """Sync 1 judged whole: three files of 100 rows, each with FIELDS."""
    first = judge(_counts(300, 3), {EDU: _files(100, 100, 100)}, [])
    return [(1, {s: v.record() for s, v in first.items()})]


def _reasons(counts: dict, files: list[FileFacts], history=None, confirmed=()) -> dict[str, bool]:
    verdict = judge(counts, {EDU: files}, _baseline() if history is None else history, confirmed)[EDU]
    return {r["code"]: r["confirmed"] for r in verdict.reasons}


def test_the_same_delivery_again_is_whole() -> None:
    verdict = judge(_counts(290, 3), {EDU: _files(100, 95, 95)}, _baseline())[EDU]
    assert verdict.whole and verdict.reasons == [] and verdict.baseline_sync == 1


@pytest.mark.parametrize(
    ("counts", "files", "code"),
    [
        (_counts(0, 0), [], "folder_empty"),
        (_counts(0, 3), [], "folder_empty"),
        (
            _counts(200, 3, file_errors=["县2.csv: the text is neither UTF-8 nor GB18030"]),
            _files(100, 100),
            "file_refused",
        ),
        (
            _counts(200, 3, files_refused=[{"file": "县2.csv", "reason": "empty"}]),
            _files(100, 100),
            "file_refused",
        ),
        (_counts(300, 3, blocked="id_validity_floor failed"), _files(100, 100, 100), "blocked"),
        (_counts(200, 3), _files(100, 100, 0), "file_without_rows"),
        (_counts(140, 3), _files(100, 20, 20), "rows_dropped"),
        (_counts(300, 3, rows_staged=100), _files(100, 100, 100), "rows_quarantined"),
    ],
)
def test_each_fault_makes_the_source_incomplete(counts, files, code) -> None:
    assert code in _reasons(counts, files)
    assert not judge(counts, {EDU: files}, _baseline())[EDU].whole


def test_a_file_lacking_a_field_every_file_carried_is_a_missing_column() -> None:
    files = [*_files(100, 100), FileFacts("县2.csv", 100, FIELDS - {"enrolment_status"})]
    verdict = judge(_counts(300, 3), {EDU: files}, _baseline())[EDU]
    [reason] = verdict.reasons
    assert reason["code"] == "column_missing" and "enrolment_status" in reason["detail"]


def test_a_confirmed_drop_is_whole_but_a_refused_file_is_not_confirmed_away() -> None:
    dropped = judge(_counts(0, 0), {}, _baseline(), confirmed=[EDU])[EDU]
    assert dropped.whole and dropped.reasons[0]["confirmed"]
    refused = _counts(200, 3, file_errors=["县2.csv: broken"])
    assert not judge(refused, {EDU: _files(100, 100)}, _baseline(), confirmed=[EDU])[EDU].whole


def test_the_baseline_is_the_last_sync_where_the_source_was_whole() -> None:
    history = _baseline()
    second = judge(_counts(100, 3), {EDU: _files(100)}, history)  # broken: rows dropped
    history.append((2, {s: v.record() for s, v in second.items()}))
    third = judge(_counts(100, 3), {EDU: _files(100)}, history)[EDU]
    assert third.baseline_sync == 1 and not third.whole  # the broken sync 2 is no baseline


def test_a_first_sync_has_no_baseline_but_refusals_still_count() -> None:
    assert judge(_counts(0, 0), {}, [])[EDU].whole
    assert not judge(_counts(100, 1, file_errors=["x"]), {EDU: _files(100)}, [])[EDU].whole


def test_a_sync_recorded_before_completeness_counts_as_a_whole_baseline() -> None:
    verdict = judge(_counts(100, 3), {EDU: _files(100)}, [(1, _counts(300, 3))])[EDU]
    assert verdict.baseline_sync == 1 and "rows_dropped" in {r["code"] for r in verdict.reasons}


# ------------------------------------------------------------------ the rules file's reads


def test_alerts_reading_a_source_come_from_the_rules_file() -> None:
    rules = load_rules(AS_OF)
    assert rules.alerts_reading({EDU}) == {
        "not_in_school",
        "dropout",
        "boarding_subsidy_missing",
        "boarding_subsidy_underpaid",
        "disabled_student_subsidy_missing",
    }
    # distressed stands for the sources of its six categories
    assert "health_conditions" in rules.alert("medical_insurance_missing").reads
    assert "aged_out" not in rules.alerts_reading({"health_insurance"})
    assert rules.alerts_reading({"civil_affairs_staff"}) == frozenset()


def test_a_rule_reading_an_unknown_source_fails_at_load(tmp_path: Path) -> None:
    data = yaml.safe_load((RULES_DIR / "2017-12-28.yaml").read_text(encoding="utf-8"))
    data["alerts"]["not_in_school"]["reads"] = ["education_student"]
    (tmp_path / "2017-12-28.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError, match="not_in_school"):
        load_rules(AS_OF, tmp_path)


# ------------------------------------------------------------------ the history


def _alerts(*pairs: tuple[str, str]) -> pd.DataFrame:
    rows = [
        {"alert_id": f"{child}:{code}", "child_id": child, "alert": code, "restricted": False}
        for child, code in pairs
    ]
    return pd.DataFrame(rows).reindex(columns=[c for c in GAP_ALERTS.column_names if c not in {"status"}])


def _status(history: pd.DataFrame) -> dict[str, str]:
    return dict(zip(history["alert_id"], history["status"], strict=True))


def test_a_frozen_code_closes_nothing_and_sends_nothing_new() -> None:
    first = merge_alert_history(None, _alerts(("a", "not_in_school"), ("b", "aged_out")), 1)
    # sync 2: education broken — a stays open though not raised, c is held; aged_out moves on
    second = merge_alert_history(first, _alerts(("c", "not_in_school")), 2, frozen={"not_in_school"})
    assert _status(second) == {"a:not_in_school": "open", "b:aged_out": "resolved", "c:not_in_school": "held"}
    # sync 3: education whole again — the data decides
    third = merge_alert_history(second, _alerts(("c", "not_in_school")), 3)
    assert _status(third)["a:not_in_school"] == "resolved"
    assert _status(third)["c:not_in_school"] == "open"
    assert third.set_index("alert_id").loc["c:not_in_school", "first_raised"] == 2


def test_an_open_alert_raised_under_a_frozen_code_stays_open() -> None:
    first = merge_alert_history(None, _alerts(("a", "not_in_school")), 1)
    second = merge_alert_history(first, _alerts(("a", "not_in_school")), 2, frozen={"not_in_school"})
    assert _status(second) == {"a:not_in_school": "open"}
    assert second["last_seen"].tolist() == [2]


def test_a_near_miss_holds_until_released_or_closed() -> None:
    first = merge_alert_history(
        None,
        _alerts(("a", "not_in_school"), ("b", "not_in_school")),
        1,
        near_miss={"a:not_in_school", "b:not_in_school"},
    )
    assert set(_status(first).values()) == {"held"}
    # the reviewer: a is another child (released), b's records merged (no longer raised: closed)
    second = merge_alert_history(first, _alerts(("a", "not_in_school")), 2)
    assert _status(second) == {"a:not_in_school": "open", "b:not_in_school": "resolved"}
    assert second.set_index("alert_id").loc["b:not_in_school", "resolved_sync"] == 2


def test_a_frozen_open_alert_of_a_child_no_longer_in_the_registry_is_held_not_closed() -> None:
    first = merge_alert_history(None, _alerts(("a", "dropout"), ("b", "dropout")), 1)
    # education did not arrive: b was held by education rows only, and is gone this sync
    second = merge_alert_history(first, _alerts(), 2, frozen={"dropout"}, children={"a"})
    assert _status(second) == {"a:dropout": "open", "b:dropout": "held"}
    third = merge_alert_history(second, _alerts(("b", "dropout")), 3, children={"a", "b"})
    assert _status(third) == {"a:dropout": "resolved", "b:dropout": "open"}
