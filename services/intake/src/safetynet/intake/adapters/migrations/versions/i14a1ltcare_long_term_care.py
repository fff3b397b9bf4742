"""long-term care households (issue 14)

Revision ID: i14a1ltcare
Revises: c13a3ruleset
Create Date: 2026-12-07 17:00:00

When each referral was in long-term care (長期關懷戶): a new report naming its subjects
in that time is a follow-up, not a re-report, in the KPIs (domain/follow_ups.py).
"""

import sqlalchemy as sa
from alembic import op

import safetynet.platform.storage
from safetynet.platform.migrations import schema_for

revision = "i14a1ltcare"
down_revision = "c13a3ruleset"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_long_term_care",
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("since", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("referral_id"),
        schema=schema_for("intake"),
    )
    op.create_index(
        "ix_intake_long_term_care_report", "intake_long_term_care", ["report_id"], schema=schema_for("intake")
    )


def downgrade() -> None:
    op.drop_index("ix_intake_long_term_care_report", table_name="intake_long_term_care", schema=schema_for("intake"))
    op.drop_table("intake_long_term_care", schema=schema_for("intake"))
