"""long-term care households (issue 14)

Revision ID: r14a2ltcare
Revises: r14a1linked
Create Date: 2026-12-07 17:00:00

A referral in long-term care (長期關懷戶) keeps its next review date.
"""

import sqlalchemy as sa
from alembic import op

from safetynet.platform.migrations import schema_for

revision = "r14a2ltcare"
down_revision = "r14a1linked"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("routing_referrals", sa.Column("review_on", sa.Date(), nullable=True), schema=schema_for("routing"))


def downgrade() -> None:
    with op.batch_alter_table("routing_referrals", schema=schema_for("routing")) as batch:
        batch.drop_column("review_on")
