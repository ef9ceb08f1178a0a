"""The warehouse's own secret for signing review workbooks.

Generated once, on first use, and kept in ``work.review_key``: outside ``registry``,
so a reader of the registry (or of a workbook) cannot sign a pair of their own, and
in the warehouse itself, so DuckDB and PostgreSQL keep it alike and a copied or
restored warehouse still verifies the workbooks it issued.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from warehouse.tables import REVIEW_KEY


def review_key(conn: sa.Connection) -> bytes:
    """The signing key, created in the caller's transaction when there is none yet."""
    table = REVIEW_KEY.qualified_name
    found = conn.execute(sa.text(f"SELECT secret FROM {table} ORDER BY created_at LIMIT 1")).scalar()
    if found is None:
        found = secrets.token_hex(32)
        conn.execute(
            sa.text(f"INSERT INTO {table} (secret, created_at) VALUES (:s, :t)"),
            {"s": found, "t": datetime.now(UTC).replace(tzinfo=None)},
        )
    return bytes.fromhex(found)
