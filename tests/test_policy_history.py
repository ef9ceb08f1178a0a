"""Alerts across syncs (policy.md: an alert keeps its identity, is closed, never deleted),
and the shape of the result against the declared tables."""

import pandas as pd
from policy_builders import LEDGER, Sync

from policy import merge_alert_history
from warehouse.tables import CHILD_CATEGORIES, ENTITLEMENTS, GAP_ALERTS


def _first_sync() -> pd.DataFrame:
    sync = Sync()
    sync.child("fixed")
    sync.record(LEDGER, "fixed", ledger_categories="orphan", living_allowance=0.0)
    sync.child("kept")
    sync.record(LEDGER, "kept", father_status="dead", mother_status="dead", living_allowance=1000.0)
    return sync.run().alerts


def _second_sync() -> pd.DataFrame:
    sync = Sync()
    sync.child("fixed")
    sync.record(LEDGER, "fixed", ledger_categories="orphan", living_allowance=1000.0)
    sync.child("kept")
    sync.record(LEDGER, "kept", father_status="dead", mother_status="dead", living_allowance=1000.0)
    sync.child("new", 17)
    sync.record(LEDGER, "new", ledger_categories="left_behind", living_allowance=None)
    return sync.run().alerts


def _row(history: pd.DataFrame, alert_id: str) -> dict:
    rows = history[history["alert_id"].eq(alert_id)]
    assert len(rows) == 1
    row = rows.iloc[0]
    return {
        c: None if pd.isna(row[c]) else row[c]
        for c in ("first_raised", "last_seen", "status", "resolved_sync")
    }


def test_two_syncs_resolve_keep_and_raise() -> None:
    first = merge_alert_history(None, _first_sync(), sync_id=1)
    second = merge_alert_history(first, _second_sync(), sync_id=2)
    assert list(second.columns) == GAP_ALERTS.column_names
    assert _row(second, "fixed:living_allowance_missing") == {
        "first_raised": 1,
        "last_seen": 1,
        "status": "resolved",
        "resolved_sync": 2,
    }
    assert _row(second, "kept:orphan_unregistered") == {
        "first_raised": 1,
        "last_seen": 2,
        "status": "open",
        "resolved_sync": None,
    }
    assert _row(second, "new:aged_out") == {
        "first_raised": 2,
        "last_seen": 2,
        "status": "open",
        "resolved_sync": None,
    }
    assert set(first["alert_id"]) <= set(second["alert_id"])  # nothing deleted


def test_a_resolved_alert_raised_again_reopens_with_its_first_raised() -> None:
    first = merge_alert_history(None, _first_sync(), sync_id=1)
    second = merge_alert_history(first, _second_sync(), sync_id=2)
    third = merge_alert_history(second, _first_sync(), sync_id=3)
    assert _row(third, "fixed:living_allowance_missing") == {
        "first_raised": 1,
        "last_seen": 3,
        "status": "open",
        "resolved_sync": None,
    }
    assert _row(third, "new:aged_out")["status"] == "resolved"


def test_a_resolved_alert_not_raised_stays_as_it_was() -> None:
    first = merge_alert_history(None, _first_sync(), sync_id=1)
    second = merge_alert_history(first, _second_sync(), sync_id=2)
    third = merge_alert_history(second, _second_sync(), sync_id=3)
    assert _row(third, "fixed:living_allowance_missing")["resolved_sync"] == 2


def test_result_frames_have_the_declared_columns() -> None:
    sync = Sync()
    sync.child("c1")
    sync.record(LEDGER, "c1", ledger_categories="orphan", living_allowance=0.0)
    result = sync.run()
    assert list(result.categories.columns) == [c for c in CHILD_CATEGORIES.column_names if c != "sync_id"]
    assert list(result.entitlements.columns) == [c for c in ENTITLEMENTS.column_names if c != "sync_id"]
    history = {"first_raised", "last_seen", "status", "resolved_sync"}
    history |= {"department_status", "status_sync", "status_evidence", "status_seen"}  # the returns
    assert list(result.alerts.columns) == [c for c in GAP_ALERTS.column_names if c not in history]
