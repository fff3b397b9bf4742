"""BSRS-5 scores on the read model (issue 14)

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
    pass


def downgrade() -> None:
    pass
