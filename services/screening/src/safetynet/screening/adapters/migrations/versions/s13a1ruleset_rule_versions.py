"""rule versions (issue 13): versioned parameters, stored inputs, activation

Revision ID: s13a1ruleset
Revises: 5d2a8c4e6f13
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 's13a1ruleset'
down_revision = '5d2a8c4e6f13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
