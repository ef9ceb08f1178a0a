"""The warehouse: bulk writes round-trip on both dialects; publishing is all or nothing."""

from datetime import date

import pandas as pd
import pytest

from warehouse import tables as T
from warehouse.io import insert_frame, read_frame, replace_frame
from warehouse.ledger import SyncFailed
from warehouse.publish import clear_build, swap_in
from warehouse.schema import BUILD_SCHEMA
from warehouse.scoring import read_scoring, write_scoring


def _children(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_id": ids,
            "name": "测试",
            "sex": "F",
            "birth_date": date(2015, 3, 2),
            "n_records": 2,
            "first_seen_sync": 1,
        }
    )


def test_frames_round_trip_with_nulls_dates_and_booleans(engine):
    frame = pd.DataFrame(
        {
            "alert_id": ["a1", "a2"],
            "child_id": ["C1", "C2"],
            "alert": ["dropout", "not_in_school"],
            "restricted": [True, None],
            "first_raised": [1, 2],
            "resolved_sync": [None, 3],
            "detail": ["该儿童辍学", None],
        }
    )
    with engine.begin() as conn:
        replace_frame(conn, T.GAP_ALERTS, frame)
    with engine.connect() as conn:
        back = read_frame(conn, T.GAP_ALERTS).sort_values("alert_id").reset_index(drop=True)
    assert back["detail"].tolist()[0] == "该儿童辍学" and pd.isna(back["detail"][1])
    assert bool(back["restricted"][0]) is True
    assert pd.isna(back["resolved_sync"][0]) and back["resolved_sync"][1] == 3
    assert list(back.columns) == T.GAP_ALERTS.column_names


def test_undeclared_column_is_refused(engine):
    with engine.begin() as conn, pytest.raises(ValueError, match="not declared"):
        insert_frame(conn, T.CHILDREN, _children(["C1"]).assign(secret="x"))


def test_swap_replaces_every_published_table_in_one_transaction(engine):
    with engine.begin() as conn:
        insert_frame(conn, T.CHILDREN, _children(["OLD"]))
        insert_frame(
            conn, T.SYNCS, pd.DataFrame([{"sync_id": 7, "as_of": date(2026, 11, 30), "status": "running"}])
        )
        clear_build(conn)
        insert_frame(conn, T.CHILDREN, _children(["N1", "N2"]), schema=BUILD_SCHEMA)
    # A swap that fails midway leaves the published table as it was.
    with pytest.raises(RuntimeError), engine.begin() as conn:
        swap_in(conn, 7, None)
        raise RuntimeError("killed during publish")
    with engine.connect() as conn:
        assert read_frame(conn, T.CHILDREN)["child_id"].tolist() == ["OLD"]
    with engine.begin() as conn:
        swap_in(conn, 7, None)
    with engine.connect() as conn:
        assert sorted(read_frame(conn, T.CHILDREN)["child_id"]) == ["N1", "N2"]
        assert read_frame(conn, T.SYNCS)["status"].tolist() == ["published"]


def test_alembic_migrations_match_the_table_declarations(engine):
    """Issue 6: PostgreSQL is created by Alembic; the migrations must equal tables.py."""
    if engine.dialect.name != "postgresql":
        pytest.skip("Alembic migrates the PostgreSQL warehouse; DuckDB is created directly")
    from alembic import command

    from warehouse.engine import alembic_config

    with engine.connect() as conn:
        command.check(alembic_config(conn))  # raises when autogenerate finds a difference
        tables = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'registry'"
        ).scalar()
    assert tables == len(T.REGISTRY_TABLES) + len(T.HISTORY_TABLES) + 1  # + alembic_version


def test_migration_0006_moves_a_published_registrys_flags_and_twin_rows_and_back(engine):
    """A PostgreSQL warehouse published by an older version keeps nothing restricted in
    ``registry`` once migrated, and a downgrade puts it back where the older version reads it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("Alembic migrates the PostgreSQL warehouse; DuckDB is created directly")
    from alembic import command

    from warehouse.engine import alembic_config

    def migrate_to(revision: str) -> None:
        with engine.connect() as conn:
            (command.downgrade if revision != "head" else command.upgrade)(alembic_config(conn), revision)

    def published() -> tuple[dict, list, int]:
        """(alert flags, child_records rows, the child's n_records) in registry."""
        with engine.connect() as conn:
            flags = dict(conn.exec_driver_sql("SELECT alert_id, restricted FROM registry.gap_alerts").all())
            rows = conn.exec_driver_sql("SELECT record_id FROM registry.child_records ORDER BY 1").scalars()
            count = conn.exec_driver_sql("SELECT n_records FROM registry.children").scalar()
            return flags, list(rows), count

    health, school = "health_conditions:h.xlsx:3", "education_students:e.csv:2"
    migrate_to("0005")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO registry.gap_alerts (alert_id, child_id, alert, restricted) "
            "VALUES ('a1', 'C1', 'medical_insurance_missing', true), ('a2', 'C1', 'dropout', false)"
        )
        conn.exec_driver_sql(
            "INSERT INTO registry.child_records (source_system, record_id, child_id) VALUES "
            f"('health_conditions', '{health}', 'C1'), ('education_students', '{school}', 'C1')"
        )
        conn.exec_driver_sql("INSERT INTO registry.children (child_id, n_records) VALUES ('C1', 2)")
        conn.exec_driver_sql(
            "INSERT INTO registry.review_pairs (pair_id, record_id_l, record_id_r) VALUES "
            f"('p1', '{school}', '{health}')"
        )
    migrate_to("head")
    assert published() == ({"a1": None, "a2": None}, [school], 1)
    with engine.connect() as conn:
        kept = read_frame(conn, T.RESTRICTED_EVIDENCE, columns=["alert_id", "restricted"])
        twins = [
            conn.exec_driver_sql(f"SELECT count(*) FROM {t.qualified_name}").scalar()
            for t in (T.REVIEW_PAIRS, T.RESTRICTED_REVIEW_PAIRS, T.RESTRICTED_CHILD_RECORDS)
        ]
    assert kept.set_index("alert_id")["restricted"].astype(bool).to_dict() == {"a1": True}
    assert twins == [0, 1, 1]
    migrate_to("0005")
    assert published() == ({"a1": True, "a2": False}, [school, health], 2)
    migrate_to("head")


def test_the_last_syncs_scoring_is_kept_for_explain(engine):
    """work.scoring holds one sync's model and common carers' names; explain refuses a
    warehouse no sync has scored in (it would score with another model)."""
    with engine.connect() as conn, pytest.raises(SyncFailed, match="run a sync first"):
        read_scoring(conn)
    with engine.begin() as conn:
        write_scoring(conn, 1, {"probability_two_random_records_match": 0.1}, {"zhangwei"})
        write_scoring(conn, 2, {"probability_two_random_records_match": 0.2}, {"liuyang", "wangfang"})
    with engine.connect() as conn:
        model, common = read_scoring(conn)
    assert model == {"probability_two_random_records_match": 0.2}
    assert common == {"liuyang", "wangfang"}
