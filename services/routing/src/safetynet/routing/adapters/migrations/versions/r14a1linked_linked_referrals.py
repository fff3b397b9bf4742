"""referrals linked to open cases (issue 14)

Revision ID: r14a1linked
Revises: r13a1outcome
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'r14a1linked'
down_revision = 'r13a1outcome'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Decision model v1.1 rule 1 (併案): the open referral a new one is linked to. Referrals
    # made before have no link, which is what they were.
    op.add_column('routing_referrals', sa.Column('linked_to', sa.String(length=36), nullable=True),
                  schema=schema_for('routing'))


def downgrade() -> None:
    with op.batch_alter_table('routing_referrals', schema=schema_for('routing')) as batch:
        batch.drop_column('linked_to')
