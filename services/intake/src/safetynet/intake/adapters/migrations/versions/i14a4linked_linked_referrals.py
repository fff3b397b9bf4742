"""referrals linked to open cases (issue 14)

Revision ID: i14a4linked
Revises: i14a3bsrs
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'i14a4linked'
down_revision = 'i14a3bsrs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rule 1 (併案): which open referral of an earlier report a referral was linked to, so
    # the earlier report finds the later ones. Referrals indexed before were never linked.
    op.add_column('intake_referral_index', sa.Column('linked_to', sa.String(length=36), nullable=True),
                  schema=schema_for('intake'))
    op.create_index('ix_intake_referral_index_linked_to', 'intake_referral_index', ['linked_to'],
                    schema=schema_for('intake'))


def downgrade() -> None:
    op.drop_index('ix_intake_referral_index_linked_to', table_name='intake_referral_index',
                  schema=schema_for('intake'))
    with op.batch_alter_table('intake_referral_index', schema=schema_for('intake')) as batch:
        batch.drop_column('linked_to')
