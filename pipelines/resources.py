"""Resources: where the warehouse is and what a sync reads.

The settings are resolved in one place (``from_env``), from ``CHILDREG_*`` variables
with the defaults below, so the schedule, the sensor, ``childreg run``, ``dagster dev``
and the tests all run the same job on the same settings; the CLI only overrides what
its options name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import dagster as dg
import sqlalchemy as sa

from warehouse.engine import ensure_schema, make_engine, warehouse_url
from warehouse.lock import sync_lock


class Warehouse(dg.ConfigurableResource):
    """The warehouse: any SQLAlchemy URL, the embedded DuckDB file when empty."""

    url: str = ""

    def engine(self) -> sa.Engine:
        engine = make_engine(self.url or None)
        ensure_schema(engine)
        return engine


class SyncLock(dg.ConfigurableResource):
    """The warehouse's sync lock (``warehouse.lock``), held while the run lasts.

    The sync job runs its steps in one process, so Dagster opens this resource once,
    before the first step, and closes it after the last one or on failure.
    """

    url: str = ""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[SyncLock]:
        with sync_lock(warehouse_url(self.url or None)):
            yield self


class SyncSettings(dg.ConfigurableResource):
    """What one sync reads and writes. ``as_of`` empty means the run's own date (schedules)."""

    inbox: str = "var/inbox"
    as_of: str = ""
    exports: str = "var/exports"
    linkage_backend: str = "duckdb"  # or "spark"
    spark_master: str = "local[2]"
    spark_checkpoint_dir: str = ""  # shared storage on a cluster; a temporary folder in local mode
    # Sources whose drop in rows (or emptied folder) the operator confirms for this run
    # (registry.md): their alerts close as the data says. Never from the environment:
    # a confirmation is for one sync, recorded with it.
    confirm_drop: list[str] = []
    retention_months: int = 24  # quarantined raw rows, closed alerts' evidence, export folders
    # Great Expectations' Data Docs in <exports>/data_docs: about a second per extract per sync.
    data_docs: bool = True

    def linkage_db_api(self):
        """Splink's backend for the linkage stage: None means DuckDB on its own database."""
        if _backend(self.linkage_backend) == "duckdb":
            return None
        from linkage.spark import spark_api, spark_session  # pyspark is an optional extra

        return spark_api(
            spark_session(master=self.spark_master, checkpoint_dir=self.spark_checkpoint_dir or None)
        )

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()


def _backend(name: str) -> str:
    if name not in ("duckdb", "spark"):
        raise ValueError(f"linkage_backend must be duckdb or spark, not {name}")
    return name


# Setting → environment variable; a variable that is unset leaves the default above.
ENVIRONMENT = {
    "inbox": "CHILDREG_INBOX",
    "as_of": "CHILDREG_AS_OF",
    "exports": "CHILDREG_EXPORTS",
    "linkage_backend": "CHILDREG_LINKAGE_BACKEND",
    "spark_master": "CHILDREG_SPARK_MASTER",
    "spark_checkpoint_dir": "CHILDREG_SPARK_CHECKPOINT_DIR",
    "retention_months": "CHILDREG_RETENTION_MONTHS",
    "data_docs": "CHILDREG_DATA_DOCS",
}


def from_env(
    warehouse: str | None = None, **overrides: str | list[str] | None
) -> dict[str, dg.ConfigurableResource]:
    """Resources for a deployment, from CHILDREG_* variables; ``overrides`` (the CLI's
    options) win over the environment, and the environment over the defaults."""
    found = {field: os.environ[var] for field, var in ENVIRONMENT.items() if os.environ.get(var)}
    settings = {**found, **{k: v for k, v in overrides.items() if v is not None}}
    _backend(str(settings.get("linkage_backend", "duckdb")))  # refused before any file is read
    return {
        "warehouse": Warehouse(url=warehouse_url(warehouse)),
        "sync_lock": SyncLock(url=warehouse_url(warehouse)),
        "settings": SyncSettings(**settings),
    }
