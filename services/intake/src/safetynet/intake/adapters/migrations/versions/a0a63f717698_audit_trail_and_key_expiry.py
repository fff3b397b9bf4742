"""audit trail and key expiry

Revision ID: a0a63f717698
Revises: 09779389fd4f
Create Date: 2026-11-22 20:36:44.328373

The audit trail is append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and
TRUNCATE on it, whoever asks (only its owner can drop the trigger, and that leaves a
trace in the server's DDL log). SQLite has no such guard; `safetynet audit verify` shows
any change there.
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage
from safetynet.platform.migrations import schema_for
from sqlalchemy.dialects import postgresql

revision = 'a0a63f717698'
down_revision = '09779389fd4f'
branch_labels = None
depends_on = None

# One statement each: asyncpg runs no multi-statement strings.
APPEND_ONLY = (
    """CREATE FUNCTION intake.intake_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP;
    END
    $$""",
    """CREATE TRIGGER intake_audit_no_update_or_delete BEFORE UPDATE OR DELETE ON intake.intake_audit
    FOR EACH ROW EXECUTE FUNCTION intake.intake_audit_append_only()""",
    """CREATE TRIGGER intake_audit_no_truncate BEFORE TRUNCATE ON intake.intake_audit
    FOR EACH STATEMENT EXECUTE FUNCTION intake.intake_audit_append_only()""",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table('intake_audit',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor_key_id', sa.String(length=36), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('client', sa.String(length=200), nullable=False),
    sa.Column('county', sa.String(length=20), nullable=True),
    sa.Column('report_id', sa.String(length=36), nullable=True),
    sa.Column('referral_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('record_id'),
    schema='intake'
    )
    op.create_index('ix_intake_audit_actor_key', 'intake_audit', ['actor_key_id', 'seq'], unique=False, schema='intake')
    op.create_index('ix_intake_audit_actor_name', 'intake_audit', ['actor_name', 'seq'], unique=False, schema='intake')
    op.create_index('ix_intake_audit_county', 'intake_audit', ['county', 'seq'], unique=False, schema='intake')
    op.create_index('ix_intake_audit_report', 'intake_audit', ['report_id', 'seq'], unique=False, schema='intake')
    op.add_column('intake_api_keys', sa.Column('expires_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True), schema=schema_for('intake'))
    if _postgresql():
        for statement in APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    schema = schema_for('intake')
    table = f'"{schema}".intake_audit' if schema else 'intake_audit'
    kept = op.get_bind().execute(sa.text(f'SELECT count(*) FROM {table}')).scalar()
    if kept:
        raise RuntimeError(f"the audit trail holds {kept} records: downgrading would destroy it")
    op.drop_column('intake_api_keys', 'expires_at', schema=schema)
    if _postgresql():
        op.execute("DROP TRIGGER intake_audit_no_truncate ON intake.intake_audit")
        op.execute("DROP TRIGGER intake_audit_no_update_or_delete ON intake.intake_audit")
        op.execute("DROP FUNCTION intake.intake_audit_append_only()")
    op.drop_index('ix_intake_audit_report', table_name='intake_audit', schema='intake')
    op.drop_index('ix_intake_audit_county', table_name='intake_audit', schema='intake')
    op.drop_index('ix_intake_audit_actor_name', table_name='intake_audit', schema='intake')
    op.drop_index('ix_intake_audit_actor_key', table_name='intake_audit', schema='intake')
    op.drop_table('intake_audit', schema='intake')
