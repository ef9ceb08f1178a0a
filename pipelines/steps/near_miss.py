"""Near-miss pairs: the undecided pairs an absence alert may wait on, and putting the
pairs that hold an alert first in the review queue."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from linkage.config import load_config
from linkage.link import pair_id
from warehouse import tables as T
from warehouse.io import read_frame, replace_frame
from warehouse.ledger import SyncRef
from warehouse.schema import BUILD_SCHEMA


def undecided_pairs(conn: sa.Connection) -> pd.DataFrame:
    """The sync's pairs scored between the review floor and the match threshold that no
    reviewer has decided (a decided pair is a must-link or a cannot-link already)."""
    threshold = load_config().match_threshold
    pairs = read_frame(
        conn,
        T.PAIRS,
        where="match_probability < :t",
        params={"t": threshold},
        columns=["record_id_l", "record_id_r", "record_key_l", "record_key_r", "match_probability", "levels"],
    )
    decided = read_frame(conn, T.REVIEW_DECISIONS, schema=BUILD_SCHEMA, columns=["pair_id"])["pair_id"]
    pairs["pair_id"] = [
        pair_id(a, b) for a, b in zip(pairs["record_key_l"], pairs["record_key_r"], strict=True)
    ]
    return pairs.loc[~pairs["pair_id"].isin(set(decided))].reset_index(drop=True)


def queue_first(conn: sa.Connection, held: pd.DataFrame, pairs: pd.DataFrame, ref: SyncRef) -> None:
    """Mark each near-miss pair with the alerts it holds and put it first in the review
    queue (added when the queue's cap had left it out)."""
    if held.empty:
        return
    holds = held.groupby("pair_id")["alert_id"].agg(lambda ids: ",".join(sorted(ids)))
    queue = read_frame(conn, T.REVIEW_PAIRS, schema=BUILD_SCHEMA)
    missing = pairs.loc[pairs["pair_id"].isin(holds.index) & ~pairs["pair_id"].isin(queue["pair_id"])]
    added = missing.drop_duplicates("pair_id").assign(decision=None, sync_id=ref.sync_id)
    queue = pd.concat([q for q in (queue, added) if len(q)], ignore_index=True)
    queue["holds_alert"] = queue["pair_id"].map(holds)
    first = queue["holds_alert"].notna()
    reasons = queue.loc[first, "reason"].fillna("").str.replace("held_alert", "").str.strip(",")
    queue.loc[first, "reason"] = ("held_alert," + reasons).str.rstrip(",")
    queue = pd.concat([queue[first], queue[~first]], ignore_index=True)
    replace_frame(conn, T.REVIEW_PAIRS, queue[T.REVIEW_PAIRS.column_names], schema=BUILD_SCHEMA)
