"""subject history and phone reports (issue 13)

Revision ID: c13a2subject
Revises: c13a1outcome
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'c13a2subject'
down_revision = 'c13a1outcome'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
