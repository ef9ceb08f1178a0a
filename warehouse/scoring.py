"""``work.scoring``: what the last sync scored its pairs with beyond the trained model
(its prior and carers' levels, and the carers' names common in it), kept so that
``childreg explain`` scores a pair as linkage did without counting the city again."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import pandas as pd
import sqlalchemy as sa

from warehouse import tables as T
from warehouse.io import read_frame, replace_frame
from warehouse.ledger import SyncFailed


def write_scoring(conn: sa.Connection, sync_id: int, model: dict[str, Any], common: Collection[str]) -> None:
    row = {"sync_id": sync_id, "model": json.dumps(model), "common_carers": json.dumps(sorted(common))}
    replace_frame(conn, T.SCORING, pd.DataFrame([row]))


def read_scoring(conn: sa.Connection) -> tuple[dict[str, Any], frozenset[str]]:
    """The last linked sync's model and common carers' names."""
    rows = read_frame(conn, T.SCORING)
    if rows.empty:
        raise SyncFailed("no sync has scored pairs with this code: run a sync first")
    row = rows.iloc[0]
    return json.loads(row["model"]), frozenset(json.loads(row["common_carers"]))
