"""rule versions (issue 13): versioned parameters, stored inputs, activation

Revision ID: s13a1ruleset
Revises: 5d2a8c4e6f13
Create Date: 2026-12-07 16:30:00
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage
from sqlalchemy.dialects import postgresql
from safetynet.platform.migrations import schema_for

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = 's13a1ruleset'
down_revision = '5d2a8c4e6f13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = schema_for('screening')
    with op.batch_alter_table('screening_decisions', schema=schema) as batch:
        batch.alter_column('rule_version', existing_type=sa.String(length=20), type_=sa.String(length=40),
                           existing_nullable=False)
        batch.add_column(sa.Column('input', JSON, nullable=True))
        batch.add_column(sa.Column('received_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True))
    op.create_index('ix_screening_decisions_county_received', 'screening_decisions', ['county', 'received_at'],
                    unique=False, schema='screening')
    op.create_table('screening_referral_outcomes',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_reason', sa.String(length=40), nullable=True),
    sa.Column('updated_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('referral_id'),
    schema='screening'
    )
    op.create_index('ix_screening_referral_outcomes_report', 'screening_referral_outcomes', ['report_id'],
                    unique=False, schema='screening')
    op.create_table('screening_rule_versions',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('imported_by', sa.String(length=100), nullable=False),
    sa.Column('imported_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version'),
    schema='screening'
    )
    op.create_table('screening_rule_activations',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('previous_version', sa.String(length=40), nullable=False),
    sa.Column('activated_by', sa.String(length=100), nullable=False),
    sa.Column('activated_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    schema='screening'
    )


def downgrade() -> None:
    schema = schema_for('screening')
    op.drop_table('screening_rule_activations', schema='screening')
    op.drop_table('screening_rule_versions', schema='screening')
    op.drop_index('ix_screening_referral_outcomes_report', table_name='screening_referral_outcomes',
                  schema='screening')
    op.drop_table('screening_referral_outcomes', schema='screening')
    op.drop_index('ix_screening_decisions_county_received', table_name='screening_decisions', schema='screening')
    with op.batch_alter_table('screening_decisions', schema=schema) as batch:
        batch.drop_column('received_at')
        batch.drop_column('input')
        batch.alter_column('rule_version', existing_type=sa.String(length=40), type_=sa.String(length=20),
                           existing_nullable=False)
