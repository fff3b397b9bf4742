"""outcomes (issue 13): close/reject outcome codes on the referral index

Revision ID: c13a1outcome
Revises: p10a1listidx
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'c13a1outcome'
down_revision = 'p10a1listidx'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
