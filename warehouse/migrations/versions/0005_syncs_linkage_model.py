"""registry.syncs.linkage_model: the model a sync scored its pairs with, so that a
retrained or upgraded model rescores every pair instead of keeping the last sync's

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMAS = ("registry", "registry_build")  # the published registry and the build a sync writes


def upgrade() -> None:
    for schema in SCHEMAS:
        op.add_column(
            "syncs",
            sa.Column(
                "linkage_model",
                sa.Text(),
                nullable=True,
                comment="fingerprint of the linkage model the sync scored with: pairs scored by another are scored again",
            ),
            schema=schema,
        )


def downgrade() -> None:
    for schema in SCHEMAS:
        op.drop_column("syncs", "linkage_model", schema=schema)
