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
    # A report's subjects by its id: the subject history starts from them.
    op.create_index('ix_intake_subject_index_report', 'intake_subject_index', ['report_id'], unique=False,
                    schema='intake')


def downgrade() -> None:
    op.drop_index('ix_intake_subject_index_report', table_name='intake_subject_index', schema='intake')
