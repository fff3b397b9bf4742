"""closures move to routing: screening no longer keeps closed referrals

Revision ID: 5d2a8c4e6f13
Revises: de7b6cfcfe8a
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage

revision = '5d2a8c4e6f13'
down_revision = 'de7b6cfcfe8a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Routing applies the re-report rule against its own referrals (docs/decisions.md).
    op.drop_index('ix_screening_closed_referrals_subject', table_name='screening_closed_referrals', schema='screening')
    op.drop_table('screening_closed_referrals', schema='screening')


def downgrade() -> None:
    op.create_table('screening_closed_referrals',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('closed_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('referral_id', 'subject_hash'),
    schema='screening'
    )
    op.create_index('ix_screening_closed_referrals_subject', 'screening_closed_referrals', ['subject_hash', 'closed_at'],
                    unique=False, schema='screening')
