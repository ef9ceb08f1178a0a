"""review_pairs.reason names the sole_candidate reason: a roster row joined below the
threshold to the one child its pairs reach (linkage.sole)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMAS = ("registry", "registry_build", "restricted")  # review_pairs and its restricted twin
BEFORE = (
    "why the pair is asked, comma-joined, first = most pressing: held_alert (a near-miss holding an alert "
    "back) / must_link_refused (a reviewer's 'same' breaks a hard fact) / conflicting_numbers (strong pair, "
    "two different valid numbers) / tied (a row without birth date or number matching two children alike) "
    "/ twin_guard (strong pair whose names do not sound alike) / below_threshold"
)
AFTER = BEFORE.replace(
    " / twin_guard",
    " / sole_candidate (joined below the threshold: a roster row's one candidate child) / twin_guard",
)


def _comment(before: str, after: str) -> None:
    for schema in SCHEMAS:
        op.alter_column(
            "review_pairs",
            "reason",
            existing_type=sa.TEXT(),
            comment=after,
            existing_comment=before,
            existing_nullable=True,
            schema=schema,
        )


def upgrade() -> None:
    _comment(BEFORE, AFTER)


def downgrade() -> None:
    _comment(AFTER, BEFORE)
