"""Resources: where the warehouse is and what a sync reads. Chosen from the
environment in one place (``from_env``), so the schedule, the sensor, the CLI and
``dagster dev`` all run the same job on the same settings."""

from __future__ import annotations

import os
from datetime import date

import dagster as dg
import sqlalchemy as sa

from warehouse.engine import ensure_schema, make_engine, warehouse_url


class Warehouse(dg.ConfigurableResource):
    """The warehouse: any SQLAlchemy URL, the embedded DuckDB file when empty."""

    url: str = ""

    def engine(self) -> sa.Engine:
        engine = make_engine(self.url or None)
        ensure_schema(engine)
        return engine


class SyncSettings(dg.ConfigurableResource):
    """What one sync reads and writes. ``as_of`` empty means the run's own date (schedules)."""

    inbox: str = "var/inbox"
    as_of: str = ""
    exports: str = "var/exports"
    linkage_backend: str = "duckdb"  # or "spark"
    spark_master: str = "local[2]"
    spark_checkpoint_dir: str = ""  # shared storage on a cluster; a temporary folder in local mode

    def linkage_db_api(self):
        """Splink's backend for the linkage stage: None means DuckDB on its own database."""
        if self.linkage_backend == "duckdb":
            return None
        if self.linkage_backend != "spark":
            raise ValueError(f"linkage_backend must be duckdb or spark, not {self.linkage_backend}")
        from linkage.spark import spark_api, spark_session

        return spark_api(
            spark_session(master=self.spark_master, checkpoint_dir=self.spark_checkpoint_dir or None)
        )

    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else date.today()


def from_env() -> dict[str, dg.ConfigurableResource]:
    """Resources for a deployment, from CHILDREG_* variables."""
    return {
        "warehouse": Warehouse(url=warehouse_url()),
        "settings": SyncSettings(
            inbox=os.environ.get("CHILDREG_INBOX", "var/inbox"),
            as_of=os.environ.get("CHILDREG_AS_OF", ""),
            exports=os.environ.get("CHILDREG_EXPORTS", "var/exports"),
            linkage_backend=os.environ.get("CHILDREG_LINKAGE_BACKEND", "duckdb"),
            spark_master=os.environ.get("CHILDREG_SPARK_MASTER", "local[2]"),
            spark_checkpoint_dir=os.environ.get("CHILDREG_SPARK_CHECKPOINT_DIR", ""),
        ),
    }
