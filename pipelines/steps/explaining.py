"""Waterfall pages of scored pairs, read from the warehouse: a child's links on demand
(``childreg explain --child-id``) and the review queue of a published sync.

Only the records involved are read and prepared; the term frequencies the pairs were
scored with are counted over every staged record the model scored, and the model as the
sync scored with it (its prior and carers' levels) and its common carers' names are read
from ``work.scoring``.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from linkage import explain
from linkage.config import load_config
from linkage.link import STAGED_COLUMNS
from linkage.prepare import linkage_frame
from linkage.roles import ROLE, child_share, role_weights
from linkage.splink_model import tf_columns
from warehouse import tables as T
from warehouse.io import read_frame
from warehouse.ledger import SyncRef, staged_as_of
from warehouse.restricted import read_whole, whole
from warehouse.scoring import read_scoring

REVIEW_FOLDER = "review/waterfalls"  # beside the review queue, apart from every department


def _term_frequencies(conn: sa.Connection, model: dict) -> dict[str, pd.DataFrame]:
    """Splink's term-frequency tables as scoring computed them: over the staged records
    linkage scores (``roles_linked``)."""
    roles = list(load_config().roles_linked)
    out = {}
    for column in tf_columns(model):
        counts = pd.read_sql(
            sa.text(
                f"SELECT {column} AS value, count(*) AS n FROM {T.STAGED_RECORDS.qualified_name} "
                f"WHERE {column} IS NOT NULL AND role IN :roles GROUP BY {column}"
            ).bindparams(sa.bindparam("roles", expanding=True)),
            conn,
            params={"roles": roles},
        )
        out[column] = pd.DataFrame({column: counts["value"], f"tf_{column}": counts["n"] / counts["n"].sum()})
    return out


def _role_weights(conn: sa.Connection, ids_sql: str, params: dict) -> pd.Series:
    """The relationship term of each record ``ids_sql`` selects (``linkage.roles``):
    what linkage put into a pair's match weight beyond the model, so that a waterfall
    ends where the pair does."""
    # the dated roster rows child_share reads, not a city's every row
    roles = read_frame(
        conn,
        T.STAGED_RECORDS,
        "relationship IS NOT NULL AND role IN ('child', 'adult')",
        columns=["relationship", "role"],
    )
    records = read_frame(
        conn,
        T.STAGED_RECORDS,
        f"record_id IN ({ids_sql})",
        params,
        columns=["record_id", "role", "relationship"],
    )
    return role_weights(records, child_share(roles))


def _terms(pairs: pd.DataFrame, weights: pd.Series) -> list[dict[str, float]]:
    """Each pair's relationship term: the sum of its two records' (``linkage.roles.weigh_roles``)."""
    term = pairs["record_id_l"].map(weights).fillna(0.0) + pairs["record_id_r"].map(weights).fillna(0.0)
    return [{ROLE: float(t)} for t in term]


def _frame(conn: sa.Connection, ids_sql: str, params: dict, common: frozenset[str]) -> pd.DataFrame:
    """The linkage frame of the records whose ids ``ids_sql`` selects, with their
    households' rows for carers (a roster member's carers include the head's spouse:
    ``household`` holds the records' own rows too) and the sync's ``common`` carers'
    names."""
    staged = read_frame(conn, T.STAGED_RECORDS, f"record_id IN ({ids_sql})", params, columns=STAGED_COLUMNS)
    household = read_frame(
        conn,
        T.STAGED_RECORDS,
        f"household_id IN (SELECT household_id FROM {T.STAGED_RECORDS.qualified_name}"
        f" WHERE record_id IN ({ids_sql}))",
        params,
        columns=STAGED_COLUMNS,
    )
    return linkage_frame(
        staged.reset_index(drop=True),
        staged_as_of(conn),
        everyone=household,
        common=common,
    )


def explain_child_step(engine: sa.Engine, child_id: str, out: Path) -> Path:
    """One page with the waterfall of every pair of ``child_id``'s records (an old id
    resolves through the lineage), as the published model scores them in this sync."""
    records = f"{whole(T.CHILD_RECORDS)} r"
    ids_sql = (
        f"SELECT record_id FROM {records} WHERE child_id = :c OR child_id IN"
        f" (SELECT new_child_id FROM {T.CHILD_ID_LINEAGE.qualified_name} WHERE old_child_id = :c)"
    )
    with engine.connect() as conn:
        model, common = read_scoring(conn)
        frame = _frame(conn, ids_sql, {"c": child_id}, common)
        if frame.empty:
            raise ValueError(f"no child {child_id!r} in the published registry")
        tf = _term_frequencies(conn, model)
        weights = _role_weights(conn, ids_sql, {"c": child_id})
    ids = sorted(frame["unique_id"])
    pairs = pd.DataFrame(list(combinations(ids, 2)), columns=["record_id_l", "record_id_r"])
    title = f"儿童 {child_id} 的记录配对 How the records of child {child_id} link"
    if pairs.empty:
        return explain.write_page(explain.page(title, [], ["只有一条记录 The child has one record."]), out)
    note = (
        "每两条记录一对，按模型评分 Every pair of the child's records, scored as the model scores them "
        "(a sync scores only the pairs its blocking rules generate)."
    )
    records = explain.pair_predictions(frame, pairs.itertuples(index=False), model, tf=tf)
    text = explain.page(
        title,
        [
            (
                "匹配权重瀑布图 Waterfall: 滑块 record_number 选择配对 the slider picks the pair",
                explain.waterfall_chart(records, model, _terms(pairs, weights)),
            )
        ],
        [note],
        pairs=[f"{a} | {b}" for a, b in pairs.itertuples(index=False)],
    )
    return explain.write_page(text, out)


def review_pages_step(engine: sa.Engine, ref: SyncRef, exports: Path) -> list[Path]:
    """The waterfall of every queued pair of the published sync ``ref``, a page per
    ``explain.PAIRS_PER_PAGE`` pairs in queue order, identity numbers masked as in
    the review workbook: ``exports/<as-of>/review_waterfalls/review-001.html``, …"""
    with engine.connect() as conn:
        queue = read_whole(conn, T.REVIEW_PAIRS, "sync_id = :s", {"s": ref.sync_id})
        if queue.empty:
            return []
        model, common = read_scoring(conn)
        review = whole(T.REVIEW_PAIRS)
        ids_sql = (
            f"SELECT record_id_l FROM {review} p WHERE sync_id = :s"
            f" UNION SELECT record_id_r FROM {review} q WHERE sync_id = :s"
        )
        frame = _frame(conn, ids_sql, {"s": ref.sync_id}, common)
        tf = _term_frequencies(conn, model)
        weights = _role_weights(conn, ids_sql, {"s": ref.sync_id})
    order = [c for c in ("rank", "pair_id") if c in queue]
    queue = queue.sort_values(order) if order else queue
    folder = Path(exports) / ref.as_of.isoformat() / REVIEW_FOLDER
    title = f"复核配对 {ref.as_of.isoformat()} Review queue"
    return explain.write_waterfalls(
        frame,
        queue[["pair_id", "record_id_l", "record_id_r"]],
        model,
        folder,
        "review",
        title,
        tf=tf,
        mask_ids=True,
        terms=_terms(queue, weights),
    )
