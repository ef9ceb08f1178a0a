"""restricted twins of child_records and review_pairs, and gap_alerts.restricted kept in
restricted.alert_evidence: a child's row from a restricted register, a review pair naming
one, or an alert flagged as restricted says the child is on that register, so those leave
the registry the reader role reads; review_pairs.reason names the tied reason

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


SCHEMAS = ("registry", "registry_build")  # the published registry and the build a sync writes
TWIN_COLUMNS = {
    "child_records": (
        "source_system, source_file, source_sheet, source_row, record_id, record_key, child_id, "
        "match_probability, sync_id"
    ),
    "review_pairs": (
        "pair_id, record_key_l, record_key_r, record_id_l, record_id_r, match_probability, match_weight, "
        "levels, weights, reason, reason_detail, rank, decision, sync_id, holds_alert"
    ),
}
# The rows of the register this version keeps apart (values/reference.yaml, restricted.sources).
TWIN_ROWS = {
    "child_records": "source_system = 'health_conditions'",
    "review_pairs": "record_id_l LIKE 'health_conditions:%' OR record_id_r LIKE 'health_conditions:%'",
}
_TWIN_COUNT = (
    "(SELECT count(*) FROM restricted.child_records r WHERE r.child_id = registry.children.child_id)"
)
COUNT_BEFORE = "staged rows linked to the child"
COUNT_AFTER = "staged rows linked to the child in registry.child_records (not its restricted twin)"
FLAG_BEFORE = "the reason reveals health_conditions data"
FLAG_AFTER = "the reason reveals health_conditions data; NULL once published (the flag is in restricted.alert_evidence)"
REASON_BEFORE = (
    "why the pair is asked, comma-joined, first = most pressing: held_alert (a near-miss holding an alert "
    "back) / must_link_refused (a reviewer's 'same' breaks a hard fact) / conflicting_numbers (strong pair, "
    "two different valid numbers) / twin_guard (strong pair whose names do not sound alike) / below_threshold"
)
REASON_AFTER = REASON_BEFORE.replace(
    " / twin_guard", " / tied (a row without birth date or number matching two children alike) / twin_guard"
)


def _comment(
    table: str, column: str, type_: sa.types.TypeEngine, before: str, after: str, schema: str
) -> None:
    op.alter_column(
        table,
        column,
        existing_type=type_,
        comment=after,
        existing_comment=before,
        existing_nullable=True,
        schema=schema,
    )


def upgrade() -> None:
    op.create_table(
        "child_records",
        sa.Column(
            "source_system",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="inbox folder the row came from (civil_affairs_children, ...)",
        ),
        sa.Column(
            "source_file",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="file name within its inbox folder",
        ),
        sa.Column(
            "source_sheet",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="sheet name for a workbook, NULL for a CSV",
        ),
        sa.Column(
            "source_row",
            sa.BigInteger(),
            autoincrement=False,
            nullable=True,
            comment="1-based row as a spreadsheet shows it (title rows counted; for a CSV the physical line)",
        ),
        sa.Column(
            "record_id",
            sa.Text(),
            autoincrement=False,
            nullable=False,
            comment="source_system:source_file:source_row",
        ),
        sa.Column(
            "record_key",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="content key, stable across syncs",
        ),
        sa.Column("child_id", sa.Text(), autoincrement=False, nullable=True, comment="the child"),
        sa.Column(
            "match_probability",
            sa.Float(),
            autoincrement=False,
            nullable=True,
            comment="strongest link that joined the row to its child (1 for a lone row)",
        ),
        sa.Column("sync_id", sa.BigInteger(), autoincrement=False, nullable=True, comment="sync"),
        sa.PrimaryKeyConstraint("record_id"),
        schema="restricted",
        comment="registry.child_records rows whose source is a restricted register (health_conditions).",
    )
    op.create_table(
        "review_pairs",
        sa.Column(
            "pair_id",
            sa.Text(),
            autoincrement=False,
            nullable=False,
            comment="stable: derived from both record keys",
        ),
        sa.Column(
            "record_key_l", sa.Text(), autoincrement=False, nullable=True, comment="left record's content key"
        ),
        sa.Column(
            "record_key_r",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="right record's content key",
        ),
        sa.Column(
            "record_id_l", sa.Text(), autoincrement=False, nullable=True, comment="left record in this sync"
        ),
        sa.Column(
            "record_id_r", sa.Text(), autoincrement=False, nullable=True, comment="right record in this sync"
        ),
        sa.Column(
            "match_probability",
            sa.Float(),
            autoincrement=False,
            nullable=True,
            comment="Splink's probability",
        ),
        sa.Column(
            "match_weight",
            sa.Float(),
            autoincrement=False,
            nullable=True,
            comment="Splink's match weight: log2 of the pair's odds",
        ),
        sa.Column(
            "levels", sa.Text(), autoincrement=False, nullable=True, comment="comparison → level label"
        ),
        sa.Column(
            "weights",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="comparison → match weight, and prior; they sum to match_weight",
        ),
        sa.Column(
            "reason",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="why the pair is asked, comma-joined, first = most pressing: held_alert (a near-miss holding an alert back) / must_link_refused (a reviewer's 'same' breaks a hard fact) / conflicting_numbers (strong pair, two different valid numbers) / tied (a row without birth date or number matching two children alike) / twin_guard (strong pair whose names do not sound alike) / below_threshold",
        ),
        sa.Column(
            "reason_detail",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="which hard fact refused a must-link: different_numbers / birth_dates / cannot_link",
        ),
        sa.Column(
            "rank",
            sa.BigInteger(),
            autoincrement=False,
            nullable=True,
            comment="1-based position in the queue as linkage ranks it (held alerts go first still)",
        ),
        sa.Column(
            "decision",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="NULL until reviewed; same / different",
        ),
        sa.Column(
            "sync_id", sa.BigInteger(), autoincrement=False, nullable=True, comment="sync that queued it"
        ),
        sa.Column(
            "holds_alert",
            sa.Text(),
            autoincrement=False,
            nullable=True,
            comment="comma-joined alert_ids held until this pair is decided (a near-miss record would satisfy them); such pairs are reviewed first",
        ),
        sa.PrimaryKeyConstraint("pair_id"),
        schema="restricted",
        comment="registry.review_pairs rows of which a record comes from a restricted register.",
    )
    for schema in SCHEMAS:
        _comment("gap_alerts", "restricted", sa.BOOLEAN(), FLAG_BEFORE, FLAG_AFTER, schema)
        _comment("review_pairs", "reason", sa.TEXT(), REASON_BEFORE, REASON_AFTER, schema)
        _comment("children", "n_records", sa.BIGINT(), COUNT_BEFORE, COUNT_AFTER, schema)
    op.add_column(
        "alert_evidence",
        sa.Column(
            "restricted",
            sa.Boolean(),
            autoincrement=False,
            nullable=True,
            comment="the alert's reason reveals health_conditions data (gap_alerts.restricted)",
        ),
        schema="restricted",
    )
    op.create_table_comment(
        "alert_evidence",
        "Gap alerts whose reason, evidence or sentence reveals a restricted category (diagnoses, hiv, serious illness).",
        existing_comment="Gap alerts whose evidence or sentence reveals a restricted category (diagnoses, hiv, serious illness).",
        schema="restricted",
    )

    # The sync role writes them (default privileges name it only for the owner that set them).
    op.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON restricted.child_records, restricted.review_pairs "
        "TO childreg_sync"
    )
    # What a published registry holds moves now, not at the next sync.
    for table, columns in TWIN_COLUMNS.items():
        where = TWIN_ROWS[table]
        op.execute(
            f"INSERT INTO restricted.{table} ({columns}) SELECT {columns} FROM registry.{table} WHERE {where}"
        )
        op.execute(f"DELETE FROM registry.{table} WHERE {where}")
    op.execute(f"UPDATE registry.children SET n_records = n_records - {_TWIN_COUNT}")
    op.execute(
        "INSERT INTO restricted.alert_evidence (alert_id, child_id, evidence, detail) "
        "SELECT alert_id, child_id, evidence, NULL FROM registry.gap_alerts g WHERE g.restricted "
        "AND NOT EXISTS (SELECT 1 FROM restricted.alert_evidence e WHERE e.alert_id = g.alert_id)"
    )
    op.execute(
        "UPDATE restricted.alert_evidence SET restricted = alert_id IN "
        "(SELECT alert_id FROM registry.gap_alerts WHERE restricted)"
    )
    op.execute("UPDATE registry.gap_alerts SET restricted = NULL")


def downgrade() -> None:
    op.create_table_comment(
        "alert_evidence",
        "Gap alerts whose evidence or sentence reveals a restricted category (diagnoses, hiv, serious illness).",
        existing_comment="Gap alerts whose reason, evidence or sentence reveals a restricted category (diagnoses, hiv, serious illness).",
        schema="restricted",
    )
    # The flags and the twins' rows go back where the older version reads them.
    op.execute(
        "UPDATE registry.gap_alerts SET restricted = alert_id IN "
        "(SELECT alert_id FROM restricted.alert_evidence WHERE restricted)"
    )
    op.drop_column("alert_evidence", "restricted", schema="restricted")
    op.execute(f"UPDATE registry.children SET n_records = n_records + {_TWIN_COUNT}")
    for table, columns in TWIN_COLUMNS.items():
        op.execute(f"INSERT INTO registry.{table} ({columns}) SELECT {columns} FROM restricted.{table}")
    for schema in SCHEMAS:
        _comment("gap_alerts", "restricted", sa.BOOLEAN(), FLAG_AFTER, FLAG_BEFORE, schema)
        _comment("review_pairs", "reason", sa.TEXT(), REASON_AFTER, REASON_BEFORE, schema)
        _comment("children", "n_records", sa.BIGINT(), COUNT_AFTER, COUNT_BEFORE, schema)
    op.drop_table("review_pairs", schema="restricted")
    op.drop_table("child_records", schema="restricted")
