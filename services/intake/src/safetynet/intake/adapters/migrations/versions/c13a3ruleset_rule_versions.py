"""rule versions and replay results (issue 13)

Revision ID: c13a3ruleset
Revises: c13a2subject
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage
from sqlalchemy.dialects import postgresql
from safetynet.platform.migrations import schema_for

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = 'c13a3ruleset'
down_revision = 'c13a2subject'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake_rule_replays',
    sa.Column('replay_id', sa.String(length=36), nullable=False),
    sa.Column('county', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_key_id', sa.String(length=36), nullable=False),
    sa.Column('requested_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('first_day', sa.String(length=10), nullable=False),
    sa.Column('last_day', sa.String(length=10), nullable=False),
    sa.Column('candidate_version', sa.String(length=60), nullable=True),
    sa.Column('candidate', JSON, nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('summary', JSON, nullable=True),
    sa.Column('completed_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('replay_id'),
    schema='intake'
    )
    op.create_index('ix_intake_rule_replays_county', 'intake_rule_replays', ['county', 'requested_at'], unique=False,
                    schema='intake')


def downgrade() -> None:
    op.drop_index('ix_intake_rule_replays_county', table_name='intake_rule_replays', schema='intake')
    op.drop_table('intake_rule_replays', schema='intake')
