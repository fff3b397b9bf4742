"""long-term care review dates (issue 14)

Revision ID: n14a2ltcare
Revises: n14a1early
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'n14a2ltcare'
down_revision = 'n14a1early'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
