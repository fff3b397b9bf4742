"""personal data sealed at rest, and its retention

Revision ID: 09779389fd4f
Revises: e44c274baa2c
Create Date: 2026-11-22 20:36:29.290521

Reports written before this revision keep their personal data readable in
`submission` until `safetynet crypto rotate` seals it: run it once after upgrading.
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage
from safetynet.platform.migrations import schema_for


revision = '09779389fd4f'
down_revision = 'e44c274baa2c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = schema_for('intake')
    op.add_column('intake_reports', sa.Column('personal_key_id', sa.String(length=64), nullable=True), schema=schema)
    op.add_column('intake_reports', sa.Column('personal_wrapped_key', sa.LargeBinary(), nullable=True), schema=schema)
    op.add_column('intake_reports', sa.Column('personal_nonce', sa.LargeBinary(), nullable=True), schema=schema)
    op.add_column('intake_reports', sa.Column('personal_ciphertext', sa.LargeBinary(), nullable=True), schema=schema)
    op.add_column('intake_reports', sa.Column('pseudonymised_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True), schema=schema)


def downgrade() -> None:
    schema = schema_for('intake')
    table = f'"{schema}".intake_reports' if schema else 'intake_reports'
    sealed = op.get_bind().execute(sa.text(f'SELECT count(*) FROM {table} WHERE personal_key_id IS NOT NULL')).scalar()
    if sealed:
        # Dropping the columns would destroy the personal data of those reports.
        raise RuntimeError(f"{sealed} reports hold sealed personal data: downgrading would destroy it")
    op.drop_column('intake_reports', 'pseudonymised_at', schema=schema)
    op.drop_column('intake_reports', 'personal_ciphertext', schema=schema)
    op.drop_column('intake_reports', 'personal_nonce', schema=schema)
    op.drop_column('intake_reports', 'personal_wrapped_key', schema=schema)
    op.drop_column('intake_reports', 'personal_key_id', schema=schema)
