"""notification replay: a fresh round of attempts after a dead letter

Revision ID: 7c2f9a4d1b3e
Revises: e0733e24ffa2
Create Date: 2026-11-24 10:00:00.000000
"""
from alembic import op
from safetynet.platform.migrations import schema_for
import sqlalchemy as sa
import safetynet.platform.storage

revision = '7c2f9a4d1b3e'
down_revision = 'e0733e24ffa2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notify_notifications', schema=schema_for('notify')) as batch_op:
        batch_op.add_column(sa.Column('attempts_before_replay', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('replayed_at', safetynet.platform.storage.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notify_notifications', schema=schema_for('notify')) as batch_op:
        batch_op.drop_column('replayed_at')
        batch_op.drop_column('attempts_before_replay')
