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
    # Referrals closed or rejected before: their free-text outcome and reason stay as they
    # were; they have no code (the learning KPIs count them as closed without an outcome).
    op.add_column('routing_referrals', sa.Column('outcome_reason', sa.String(length=40), nullable=True),
                  schema=schema_for('routing'))
    op.add_column('routing_referrals', sa.Column('note', sa.Text(), nullable=True), schema=schema_for('routing'))


def downgrade() -> None:
    with op.batch_alter_table('routing_referrals', schema=schema_for('routing')) as batch:
        batch.drop_column('note')
        batch.drop_column('outcome_reason')
