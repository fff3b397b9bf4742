"""BSRS-5 scores on the read model (issue 14)

The learning KPIs group mental-health acceptance by the report's BSRS-5 band, so each
referral's record keeps it (intake_referral_outcomes.bsrs5_band). Nothing to fill in: a
score could not be sent before this release (the strict contract refused the field). The
score itself stays in the report's non-personal submission JSON.

Revision ID: i14a3bsrs
Revises: i14a2early
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'i14a3bsrs'
down_revision = 'i14a2early'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "intake_referral_outcomes",
        sa.Column("bsrs5_band", sa.String(length=10), nullable=True),
        schema=schema_for("intake"),
    )


def downgrade() -> None:
    op.drop_column("intake_referral_outcomes", "bsrs5_band", schema=schema_for("intake"))
