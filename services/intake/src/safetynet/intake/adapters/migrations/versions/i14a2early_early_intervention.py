"""early intervention notices and the network-meeting list (issue 14)

Revision ID: i14a2early
Revises: i14a1ltcare
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from safetynet.platform.migrations import schema_for
import safetynet.platform.storage

revision = 'i14a2early'
down_revision = 'i14a1ltcare'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'intake_early_interventions',
        sa.Column('report_id', sa.String(length=36), nullable=False),
        sa.Column('county', sa.String(length=20), nullable=False),
        sa.Column('received_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
        sa.Column('flagged_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
        sa.Column('notices', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('notified_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('report_id'),
        schema=schema_for('intake'),
    )
    op.create_index('ix_intake_early_interventions_period', 'intake_early_interventions', ['county', 'received_at'],
                    unique=False, schema=schema_for('intake'))


def downgrade() -> None:
    op.drop_index('ix_intake_early_interventions_period', table_name='intake_early_interventions',
                  schema=schema_for('intake'))
    op.drop_table('intake_early_interventions', schema=schema_for('intake'))
