"""Audit the build, then swap it in as the published registry."""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa

from expectations import validate_registry
from warehouse import tables as T
from warehouse.io import insert_frame, read_frame
from warehouse.ledger import SyncRef
from warehouse.publish import publish
from warehouse.schema import BUILD_SCHEMA

log = logging.getLogger(__name__)


def publish_step(engine: sa.Engine, ref: SyncRef) -> SyncRef:
    """Audit the build, then swap it in with the sync marked published, in one transaction."""
    with engine.connect() as conn:
        children = read_frame(conn, T.CHILDREN, schema=BUILD_SCHEMA)
    result = validate_registry(children, ref.as_of)
    problems = [
        f"registry check {o.expectation} failed ({o.observed})"
        for o in result.outcomes
        if not o.success and o.severity == "extract"
    ]
    with engine.begin() as conn:
        insert_frame(
            conn,
            T.EXPECTATION_RESULTS,
            pd.DataFrame([vars(o) for o in result.outcomes]).assign(sync_id=ref.sync_id),
        )
    with engine.begin() as conn:
        publish(conn, ref, problems)
    log.info("sync %s published", ref.sync_id)
    return ref
