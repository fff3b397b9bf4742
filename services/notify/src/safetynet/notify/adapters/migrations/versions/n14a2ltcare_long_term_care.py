"""long-term care review dates (issue 14)

Revision ID: n14a2ltcare
Revises: n14a1early
Create Date: 2026-12-07 17:00:00

Each long-term care household's next review, so the unit is reminded once it passes.
"""

import sqlalchemy as sa
from alembic import op

from safetynet.platform.migrations import schema_for

revision = "n14a2ltcare"
down_revision = "n14a1early"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_long_term_reviews",
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("referral_id"),
        schema=schema_for("notify"),
    )
    op.create_index(
        "ix_notify_long_term_reviews_due", "notify_long_term_reviews", ["review_on"], schema=schema_for("notify")
    )


def downgrade() -> None:
    op.drop_index("ix_notify_long_term_reviews_due", table_name="notify_long_term_reviews", schema=schema_for("notify"))
    op.drop_table("notify_long_term_reviews", schema=schema_for("notify"))
