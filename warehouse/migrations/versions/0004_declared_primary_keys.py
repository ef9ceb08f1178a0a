"""the primary keys declared in warehouse/tables.py (issue 13: no table had its key)

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (schema, table, key columns), as warehouse/schema.py creates them on a new warehouse.
KEYS = [
    *(
        (schema, table, columns)
        for schema in ("registry", "registry_build")
        for table, columns in (
            ("syncs", ["sync_id"]),
            ("children", ["child_id"]),
            ("child_records", ["record_id"]),
            ("adult_records", ["record_id"]),
            ("child_id_lineage", ["sync_id", "old_child_id", "new_child_id"]),
            ("child_categories", ["child_id", "category", "basis"]),
            ("entitlements", ["child_id", "benefit"]),
            ("gap_alerts", ["alert_id"]),
            ("review_pairs", ["pair_id"]),
            ("review_decisions", ["pair_id"]),
        )
    ),
    ("work", "staged_records", ["record_id"]),
    ("work", "pairs", ["record_id_l", "record_id_r"]),
    ("restricted", "alert_evidence", ["alert_id"]),
]


def upgrade() -> None:
    for schema, table, columns in KEYS:
        op.create_primary_key(f"{table}_pkey", table, columns, schema=schema)


def downgrade() -> None:
    for schema, table, _ in reversed(KEYS):
        op.drop_constraint(f"{table}_pkey", table, schema=schema, type_="primary")
