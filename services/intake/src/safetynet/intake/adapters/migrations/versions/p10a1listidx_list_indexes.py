"""list queries on a loaded database (issue 10): columns and indexes for the queue, SLA and KPI lists

Revision ID: p10a1listidx
Revises: b7c2e91d4f10
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'p10a1listidx'
down_revision = 'b7c2e91d4f10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
