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
        ),
    }
