"""work.scoring: the model a sync scored with (its prior and carers' levels counted on
its records) and its common carers' names, so that childreg explain scores as linkage did

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoring",
        sa.Column("sync_id", sa.BigInteger(), nullable=True, comment="the sync"),
        sa.Column(
            "model",
            sa.Text(),
            nullable=True,
            comment="the trained model with the sync's prior and carers' levels, counted on its records "
            "(linkage.prior, linkage.counted.sync_carers)",
        ),
        sa.Column(
            "common_carers",
            sa.Text(),
            nullable=True,
            comment="carers' names (folded pinyin) the carers of many of the sync's children bear "
            "(linkage.prepare.common_carers)",
        ),
        schema="work",
        comment="What the last sync scored its pairs with beyond the trained model, so that childreg explain "
        "scores a pair as linkage did.",
    )


def downgrade() -> None:
    op.drop_table("scoring", schema="work")
