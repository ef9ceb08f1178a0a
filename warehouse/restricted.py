"""Restricted facts apart from the registry (registry.md, Access).

``registry.*`` holds only what any department's reader may see. At publish, inside the
swap's transaction, what reveals a restricted category moves to schema ``restricted``:

- categories hiv and serious_illness (whole rows), and the restricted items of any
  other category's evidence → ``restricted.child_categories`` (the full rows);
- a gap alert's restricted evidence items, and the sentence of an alert whose reason is
  restricted → ``restricted.alert_evidence``; the registry row keeps the other items and
  the code's generic sentence (``reports/exports.yaml``, access.generic_detail);
- raw rows of quarantined rows from a restricted source → ``restricted.quarantine_rows``
  (``registry.quarantine`` keeps the row's place and reason, which name no child);
- a child's rows from a restricted source, and the review pairs naming such a row →
  ``restricted.child_records`` and ``restricted.review_pairs``, twins of the registry
  tables: either says the child is on the register;
- a restricted source's name leaves ``children.sources`` (the list of extracts holding
  the child);
- after publish, the staged rows' diagnoses → ``restricted.diagnoses``, and ``work.raw_rows``
  and the build schema are emptied: the next sync reads neither.

An evidence item is restricted when it comes from a restricted source or its value is a
restricted category's code (a ledger label ``hiv``, a roster's ``serious_illness``).
Exports, which give health and civil affairs the whole picture, read both
(``with_restricted``); so do linkage (a record's last child id), erasure and evaluation
(``whole``, ``read_whole``).
"""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from values.reference import restricted
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.schema import BUILD_SCHEMA

FALLBACK_DETAIL = "该困境儿童有一条待核实的预警。"
DIAGNOSIS_COLUMNS = ("diagnosis_code", "diagnosis_name", "diagnosis_date")


def _secret(item: dict) -> bool:
    facts = restricted()
    return item.get("system") in facts["sources"] or str(item.get("value")) in facts["categories"]


def _split(evidence: object) -> tuple[list, list]:
    """(the items any reader may see, the restricted ones) of an evidence JSON text."""
    items = json.loads(evidence) if isinstance(evidence, str) and evidence else []
    secret = [i for i in items if _secret(i)]
    return [i for i in items if not _secret(i)], secret


def _json(items: list) -> str | None:
    return json.dumps(items, ensure_ascii=False) if items else None


def _generic_details() -> dict[str, str]:
    return dict(restricted()["generic_detail"])


def _candidates(conn: sa.Connection, table: T.Table, extra: str, columns: list[str]) -> pd.DataFrame:
    """Build rows that may hold restricted facts: a cheap text filter, refined in ``_split``."""
    facts = restricted()
    likes = " OR ".join(f"evidence LIKE '%{word}%'" for word in (*facts["sources"], *facts["categories"]))
    return read_frame(conn, table, f"{extra} OR {likes}", schema=BUILD_SCHEMA, columns=columns)


def _replace_rows(conn: sa.Connection, table: T.Table, key: str, rows: pd.DataFrame) -> None:
    """Put ``rows`` in place of the build rows with the same ``key``."""
    if rows.empty:
        return
    conn.execute(
        sa.text(f"DELETE FROM {BUILD_SCHEMA}.{table.name} WHERE {key} IN :keys").bindparams(
            sa.bindparam("keys", expanding=True)
        ),
        {"keys": rows[key].unique().tolist()},
    )
    insert_frame(conn, table, rows, schema=BUILD_SCHEMA)


def split_alerts(conn: sa.Connection, sync_id: int) -> int:
    """Restricted evidence and sentences of the build's alerts → ``restricted.alert_evidence``.

    Alerts raised by this sync replace what was kept of them; an alert resolved earlier
    keeps its row until retention prunes it."""
    conn.execute(
        sa.text(
            "DELETE FROM restricted.alert_evidence WHERE alert_id IN "
            f"(SELECT alert_id FROM {BUILD_SCHEMA}.gap_alerts WHERE last_seen = :s)"
        ),
        {"s": sync_id},
    )
    alerts = _candidates(conn, T.GAP_ALERTS, "restricted", T.GAP_ALERTS.column_names)
    # Every published row's flag goes: which alerts are restricted is itself restricted.
    conn.execute(sa.text(f"UPDATE {BUILD_SCHEMA}.gap_alerts SET restricted = NULL"))
    if alerts.empty:
        return 0
    split = alerts["evidence"].map(_split)
    generic = _generic_details()
    shown = alerts["alert"].map(lambda code: generic.get(code, FALLBACK_DETAIL))
    flagged = alerts["restricted"].fillna(True).astype(bool)
    hide_detail = flagged & alerts["detail"].ne(shown)
    # An alert carried from an earlier sync keeps the row it was given then.
    moving = split.map(lambda s: bool(s[1])) | hide_detail | (flagged & alerts["last_seen"].eq(sync_id))
    if not moving.any():
        return 0
    kept = alerts.loc[moving].copy()
    secret = kept[["alert_id", "child_id", "evidence"]].assign(
        detail=kept["detail"].where(hide_detail[moving], None), restricted=flagged[moving]
    )
    conn.execute(
        sa.text("DELETE FROM restricted.alert_evidence WHERE alert_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": secret["alert_id"].tolist()},
    )
    insert_frame(conn, T.RESTRICTED_EVIDENCE, secret)
    kept["evidence"] = split[moving].map(lambda s: _json(s[0]))
    kept["detail"] = kept["detail"].where(~hide_detail[moving], shown[moving])
    kept["restricted"] = None
    _replace_rows(conn, T.GAP_ALERTS, "alert_id", kept)
    return len(secret)


def split_categories(conn: sa.Connection) -> int:
    """Restricted categories and evidence of the build → ``restricted.child_categories``."""
    codes = ", ".join(f"'{c}'" for c in restricted()["categories"])
    rows = _candidates(conn, T.CHILD_CATEGORIES, f"category IN ({codes})", T.CHILD_CATEGORIES.column_names)
    conn.exec_driver_sql("DELETE FROM restricted.child_categories")
    if rows.empty:
        return 0
    split = rows["evidence"].map(_split)
    whole = rows["category"].isin(restricted()["categories"])
    moving = whole | split.map(lambda s: bool(s[1]))
    insert_frame(conn, T.RESTRICTED_CATEGORIES, rows.loc[moving])
    conn.exec_driver_sql(f"DELETE FROM {BUILD_SCHEMA}.child_categories WHERE category IN ({codes})")
    partly = moving & ~whole
    for child_id, category, text in rows.loc[partly, ["child_id", "category", "evidence"]].itertuples(
        index=False
    ):
        conn.execute(
            sa.text(
                f"DELETE FROM {BUILD_SCHEMA}.child_categories "
                "WHERE child_id = :c AND category = :k AND evidence = :e"
            ),
            {"c": child_id, "k": category, "e": text},
        )
    stripped = rows.loc[partly].assign(evidence=split[partly].map(lambda s: _json(s[0])))
    insert_frame(conn, T.CHILD_CATEGORIES, stripped, schema=BUILD_SCHEMA)
    return int(moving.sum())


def split_quarantine(conn: sa.Connection, sync_id: int) -> None:
    """Raw rows of this sync's quarantined restricted-source rows → ``restricted.quarantine_rows``."""
    sources = ", ".join(f"'{s}'" for s in restricted()["sources"])
    columns = ", ".join(T.RESTRICTED_QUARANTINE.column_names)
    where = f"source_system IN ({sources}) AND raw_row IS NOT NULL AND sync_id = :s"
    conn.execute(sa.text("DELETE FROM restricted.quarantine_rows WHERE sync_id = :s"), {"s": sync_id})
    conn.execute(
        sa.text(
            f"INSERT INTO restricted.quarantine_rows ({columns}) SELECT {columns} "
            f"FROM {BUILD_SCHEMA}.quarantine WHERE {where}"
        ),
        {"s": sync_id},
    )
    conn.execute(
        sa.text(f"UPDATE {BUILD_SCHEMA}.quarantine SET raw_row = NULL WHERE {where}"), {"s": sync_id}
    )


# Registry tables whose rows may name a restricted source's record, and their twins.
TWINS = {T.CHILD_RECORDS.name: T.RESTRICTED_CHILD_RECORDS, T.REVIEW_PAIRS.name: T.RESTRICTED_REVIEW_PAIRS}


def _names_restricted_record(table: T.Table) -> str:
    """SQL condition: the row names a record of a restricted source (a record id is
    ``source_system:source_file:source_row``)."""
    sources = restricted()["sources"]
    if "source_system" in table.column_names:
        return "source_system IN (" + ", ".join(f"'{s}'" for s in sources) + ")"
    return " OR ".join(f"record_id_{side} LIKE '{s}:%'" for s in sources for side in "lr")


def split_twins(conn: sa.Connection) -> None:
    """This sync's rows naming a restricted source's record, out of the build into the twins."""
    for name, twin in TWINS.items():
        where = _names_restricted_record(twin)
        columns = ", ".join(twin.column_names)
        # sa.text, not the driver's own SQL: psycopg reads the LIKE patterns' % as placeholders
        conn.execute(sa.text(f"DELETE FROM {twin.qualified_name}"))
        conn.execute(
            sa.text(
                f"INSERT INTO {twin.qualified_name} ({columns}) "
                f"SELECT {columns} FROM {BUILD_SCHEMA}.{name} WHERE {where}"
            )
        )
        conn.execute(sa.text(f"DELETE FROM {BUILD_SCHEMA}.{name} WHERE {where}"))
    # A count that included them would give them away: n_records less the registry's rows.
    twin = T.RESTRICTED_CHILD_RECORDS.qualified_name
    conn.execute(
        sa.text(
            f"UPDATE {BUILD_SCHEMA}.children SET n_records = n_records - (SELECT count(*) FROM {twin} r "
            f"WHERE r.child_id = {BUILD_SCHEMA}.children.child_id) WHERE child_id IN (SELECT child_id FROM {twin})"
        )
    )


def whole(table: T.Table) -> str:
    """A registry table and its restricted twin as one SQL relation (in parentheses), for
    the steps that act for every department at once: never for what a reader is shown."""
    columns = ", ".join(table.column_names)
    twin = TWINS[table.name]
    return (
        f"(SELECT {columns} FROM {table.qualified_name} "
        f"UNION ALL SELECT {columns} FROM {twin.qualified_name})"
    )


def read_whole(
    conn: sa.Connection,
    table: T.Table,
    where: str = "",
    params: dict | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """``read_frame`` of a registry table with its restricted twin's rows (``whole``), where
    it has a twin."""
    twin = TWINS.get(table.name) if table.schema == "registry" else None
    parts = [read_frame(conn, t, where, params, columns=columns) for t in (table, twin) if t is not None]
    return pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)


def strip_sources(conn: sa.Connection) -> None:
    """Restricted sources out of each golden record's list of sources holding the child."""
    for source in restricted()["sources"]:
        conn.execute(
            sa.text(
                f"UPDATE {BUILD_SCHEMA}.children SET sources = NULLIF(ltrim(regexp_replace("
                "sources, :pattern, '', 'g'), ','), '') WHERE sources LIKE :named"
            ),
            {"pattern": f"(^|,){source}", "named": f"%{source}%"},
        )


def split_build(conn: sa.Connection, sync_id: int) -> None:
    """Everything restricted out of the build, before it is swapped in."""
    strip_sources(conn)
    split_alerts(conn, sync_id)
    split_categories(conn)
    split_quarantine(conn, sync_id)
    split_twins(conn)


def after_publish(conn: sa.Connection, sync_id: int) -> None:
    """Diagnoses into ``restricted``; raw rows and the build emptied (the next sync reads
    neither: it reads its own inbox, and ``work.staged_records`` and ``work.pairs`` stay
    for the exports and for incremental linkage)."""
    columns = ", ".join(DIAGNOSIS_COLUMNS)
    any_diagnosis = " OR ".join(f"{c} IS NOT NULL" for c in DIAGNOSIS_COLUMNS)
    conn.exec_driver_sql("DELETE FROM restricted.diagnoses")
    conn.execute(
        sa.text(
            f"INSERT INTO restricted.diagnoses (record_id, {columns}, sync_id) "
            f"SELECT record_id, {columns}, :s FROM work.staged_records WHERE {any_diagnosis}"
        ),
        {"s": sync_id},
    )
    conn.exec_driver_sql(
        "UPDATE work.staged_records SET "
        + ", ".join(f"{c} = NULL" for c in DIAGNOSIS_COLUMNS)
        + f" WHERE {any_diagnosis}"
    )
    conn.exec_driver_sql("DELETE FROM work.raw_rows")
    for table in T.REGISTRY_TABLES:
        conn.exec_driver_sql(f"DELETE FROM {BUILD_SCHEMA}.{table.name}")


def with_flags(conn: sa.Connection, alerts: pd.DataFrame) -> pd.DataFrame:
    """Published alerts with their ``restricted`` flag put back from ``restricted.alert_evidence``:
    the next sync's history and the exports' access rules read it."""
    kept = read_frame(conn, T.RESTRICTED_EVIDENCE, columns=["alert_id", "restricted"])
    return _flagged(alerts, kept.set_index("alert_id"))


def _flagged(alerts: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """``alerts`` with ``restricted`` from ``kept`` (restricted.alert_evidence by alert_id)."""
    if "alert_id" not in alerts:
        return alerts
    flag = alerts["alert_id"].map(kept["restricted"]).astype("boolean").fillna(False)
    return alerts.assign(restricted=flag.astype(bool))


def with_restricted(conn: sa.Connection, alerts: pd.DataFrame, categories: pd.DataFrame) -> tuple:
    """(alerts, categories) as the policy engine made them: the registry's rows with the
    restricted sentences, evidence and categories put back, for the exports that decide
    per department what each may see."""
    evidence = read_frame(conn, T.RESTRICTED_EVIDENCE).set_index("alert_id")
    alerts = _flagged(alerts, evidence)
    if len(evidence) and "alert_id" in alerts:
        full = alerts["alert_id"].map(evidence["evidence"])
        if "evidence" in alerts:
            alerts["evidence"] = full.where(full.notna(), alerts["evidence"])
        if "detail" in alerts:
            detail = alerts["alert_id"].map(evidence["detail"])
            alerts["detail"] = detail.where(detail.notna(), alerts["detail"])
    hidden = read_frame(conn, T.RESTRICTED_CATEGORIES, columns=list(categories.columns) or None)
    if len(hidden):
        # a row is the same row when all but its evidence agree (registered and inferred differ)
        key = [c for c in categories.columns if c in hidden and c not in ("evidence", "sync_id")]
        replaced = pd.MultiIndex.from_frame(categories[key]).isin(pd.MultiIndex.from_frame(hidden[key]))
        categories = pd.concat([categories.loc[~replaced], hidden], ignore_index=True)
    return alerts, categories
