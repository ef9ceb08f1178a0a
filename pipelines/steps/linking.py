"""Staged child rows → children with stable ids (the build's children, child and adult
records, review pairs, lineage); and re-training the model."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from linkage.config import load_config
from linkage.counted import counted_levels
from linkage.explain import write_model_charts
from linkage.link import STAGED_COLUMNS, link
from linkage.prepare import linkage_frame
from linkage.splink_model import load_model, model_fingerprint, save_model, train
from pipelines.memory import release_memory
from reports import DroppedDecisions, dropped_decisions
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame, replace_frame
from warehouse.ledger import SyncFailed, SyncRef, previous_pairs_model, staged_as_of, update_sync
from warehouse.moves import fill_source_columns, insert_adult_records
from warehouse.publish import carry_forward
from warehouse.restricted import read_whole
from warehouse.review_key import review_key
from warehouse.schema import BUILD_SCHEMA
from warehouse.scoring import write_scoring

log = logging.getLogger(__name__)


def link_step(engine: sa.Engine, ref: SyncRef, inbox: Path | None = None, db_api=None) -> dict[str, int]:
    """Link staged child rows into children with stable ids; write the build tables.

    Decisions already applied stay in ``registry.review_decisions``; new ones from the
    inbox join them (``_dropped``), so a pair is never asked again unless a hard fact
    refuses a reviewer's must-link.
    """
    release_memory()
    config = load_config()
    model = load_model(config.model_file)
    fingerprint = model_fingerprint(model)
    with engine.connect() as conn:
        previous = read_whole(conn, T.CHILD_RECORDS, columns=["record_key", "child_id"])
        old_children = read_frame(conn, T.CHILDREN, columns=["child_id", "first_seen_sync"])
        lineage_ids = read_frame(conn, T.CHILD_ID_LINEAGE, columns=["old_child_id"])["old_child_id"]
        decisions = read_frame(conn, T.REVIEW_DECISIONS)
        reusable = previous_pairs_model(conn, ref) == fingerprint
        previous_pairs = read_frame(conn, T.PAIRS) if reusable else None
    dropped = _dropped(engine, inbox, decisions)
    new = dropped.decisions.reindex(columns=T.REVIEW_DECISIONS.column_names).assign(sync_id=ref.sync_id)
    decisions = pd.concat([decisions.loc[~decisions["pair_id"].isin(new["pair_id"])], new], ignore_index=True)

    def load_staged() -> pd.DataFrame:
        with engine.connect() as conn:
            return read_frame(conn, T.STAGED_RECORDS, columns=STAGED_COLUMNS)

    linked = link(
        load_staged,
        model,
        config,
        previous.drop_duplicates("record_key"),
        decisions,
        set(old_children["child_id"]) | set(lineage_ids),
        ref.as_of,
        db_api=db_api,
        previous_pairs=previous_pairs,
    )
    children = linked.children.merge(old_children, on="child_id", how="left")
    children["first_seen_sync"] = (
        pd.to_numeric(children["first_seen_sync"]).fillna(ref.sync_id).astype("int64")
    )
    children["last_seen_sync"] = ref.sync_id
    child_records = linked.records[["record_id", "record_key", "child_id", "match_probability"]]
    refused = linked.refused.set_index("pair_id")["reason_detail"]
    log_rows = dropped.decisions.assign(
        sync_id=ref.sync_id,
        outcome=dropped.decisions["pair_id"].isin(refused.index).map({True: "refused", False: "applied"}),
        reason=dropped.decisions["pair_id"].map(refused),
    )
    with engine.begin() as conn:
        replace_frame(conn, T.PAIRS, linked.pairs)
        write_scoring(conn, ref.sync_id, linked.model, linked.common_carers)
        carry_forward(conn, T.CHILD_ID_LINEAGE)
        for table in (T.REVIEW_DECISION_LOG, T.REVIEW_FILES):
            carry_forward(conn, table)
        insert_frame(conn, T.REVIEW_DECISIONS, decisions, schema=BUILD_SCHEMA)
        insert_frame(conn, T.REVIEW_DECISION_LOG, log_rows, schema=BUILD_SCHEMA)
        insert_frame(conn, T.REVIEW_FILES, dropped.files.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA)
        insert_frame(
            conn, T.CHILD_ID_LINEAGE, linked.lineage.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA
        )
        insert_frame(conn, T.CHILDREN, children, schema=BUILD_SCHEMA)
        insert_frame(conn, T.CHILD_RECORDS, child_records.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA)
        fill_source_columns(conn)
        n_adults = insert_adult_records(conn)
        insert_frame(conn, T.REVIEW_PAIRS, linked.review.assign(sync_id=ref.sync_id), schema=BUILD_SCHEMA)
        update_sync(conn, ref, linkage_mode=linked.mode, linkage_model=fingerprint)
    log.info("sync %s: linkage %s", ref.sync_id, linked.mode)
    return {
        "children": len(children),
        "child_records": len(child_records),
        "adult_records": n_adults,
        "pairs": len(linked.pairs),
        "review_pairs": len(linked.review),
        "review_decisions_read": len(dropped.decisions),
        "review_workbooks_quarantined": int((dropped.files["status"] == "quarantined").sum()),
        **{f"seconds_{part}": t for part, t in linked.seconds.items()},
    }


def _dropped(engine: sa.Engine, inbox: Path | None, decisions: pd.DataFrame) -> DroppedDecisions:
    """The reviewers' workbooks in the inbox not accepted before, checked against the
    pairs the last published sync issued and those decided before."""
    with engine.begin() as conn:
        key = review_key(conn)
        issued = read_whole(conn, T.REVIEW_PAIRS, columns=["pair_id", "record_key_l", "record_key_r"])
        accepted = read_frame(conn, T.REVIEW_FILES, "status = 'accepted'", columns=["file_sha256"])
    issued = pd.concat([issued, decisions[issued.columns]], ignore_index=True)
    dropped = dropped_decisions(inbox, key, issued, set(accepted["file_sha256"]))
    quarantined = int((dropped.files["status"] == "quarantined").sum())
    if quarantined:
        log.warning("%d review workbook(s) quarantined: see registry.review_files", quarantined)
    return dropped


def train_step(engine: sa.Engine, out: Path | None = None, db_api=None) -> Path:
    """Re-estimate the linkage model on the staged records of the latest sync.

    Unlabelled: no truth is read. The JSON is written where ``linkage/config.yaml``
    says (versioned in the repo) unless ``out`` is given, its charts beside it
    (``model.html``). Training fails on a level left at the probability floor with
    no reason stated in ``linkage.comparisons`` (``splink_model.check_floor_levels``).
    """
    config = load_config()
    with engine.connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS)
        as_of = staged_as_of(conn)
    candidates = staged.loc[staged["role"].isin(config.roles_linked)].reset_index(drop=True)
    if candidates.empty:
        raise SyncFailed("no staged records to train on: run a sync first")
    frame = linkage_frame(candidates, as_of, everyone=staged)
    model = train(frame, config, counted_levels(candidates, frame, as_of), db_api=db_api)
    path = out or config.model_file
    save_model(model, path)
    # Splink's match-weights and m/u charts of the model, beside it (opens offline).
    write_model_charts(model, path.with_suffix(".html"))
    return path
