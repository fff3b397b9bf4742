"""outcomes (issue 13): close/reject outcome codes on referrals

Revision ID: r13a1outcome
Revises: 3c1e5b7a9d20
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'r13a1outcome'
down_revision = '3c1e5b7a9d20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
