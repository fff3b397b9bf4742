"""units in the console (issue 13)

Revision ID: c13a4unitcon
Revises: c13a3ruleset
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'c13a4unitcon'
down_revision = 'c13a3ruleset'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
