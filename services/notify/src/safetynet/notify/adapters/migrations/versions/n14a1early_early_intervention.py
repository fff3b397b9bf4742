"""early intervention notices (issue 14)

Revision ID: n14a1early
Revises: 405e68d58819
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa
from safetynet.platform.migrations import schema_for

revision = 'n14a1early'
down_revision = '405e68d58819'
branch_labels = None
depends_on = None


# "early_intervention" (v1.1 rule 4's notice) is longer than the 12 characters the kind
# column had room for.
def upgrade() -> None:
    with op.batch_alter_table('notify_notifications', schema=schema_for('notify')) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=12), type_=sa.String(length=24),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('notify_notifications', schema=schema_for('notify')) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=24), type_=sa.String(length=12),
                              existing_nullable=False)
