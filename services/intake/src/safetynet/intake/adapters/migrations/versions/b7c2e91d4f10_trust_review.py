"""trust review (issue 11): console sessions, agency identity, keyed audit chain, app role

Revision ID: b7c2e91d4f10
Revises: a0a63f717698
Create Date: 2026-11-30 10:00:00

- intake_console_sessions: server-side console sessions, so signing out, revoking a key
  and an idle timeout end them (the cookie only names one).
- intake_reports.agency_county: an agency owns its reports by its identity (county,
  type, name), not by its free-text name alone. Filled from the reporting key.
- intake_audit.key_id: which audit key's HMAC chains the record; NULL for the records
  chained before, with plain SHA-256.
- On PostgreSQL, a role `safetynet_intake_app` (NOLOGIN) that may read and write intake's
  tables but only SELECT and INSERT the audit trail: grant it to the login role intake
  runs as (docs/decisions.md). Created only when the migrating role may create roles.
"""
from alembic import op
import sqlalchemy as sa
import safetynet.platform.storage
from safetynet.platform.migrations import schema_for

revision = 'b7c2e91d4f10'
down_revision = 'a0a63f717698'
branch_labels = None
depends_on = None

APP_ROLE = "safetynet_intake_app"

# One statement each: asyncpg runs no multi-statement strings.
GRANTS = (
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        END IF;
    END $$""",
    f"GRANT USAGE ON SCHEMA intake TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA intake TO {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA intake TO {APP_ROLE}",
    # The trail: read and append, nothing else (the trigger stays as a second guard).
    f"REVOKE UPDATE, DELETE, TRUNCATE ON intake.intake_audit FROM {APP_ROLE}",
    f"REVOKE ALL ON intake.alembic_version FROM {APP_ROLE}",
    f"GRANT SELECT ON intake.alembic_version TO {APP_ROLE}",
)


def _may_create_roles() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()) \
        or bool(bind.execute(sa.text(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'")).scalar())


def upgrade() -> None:
    op.create_table('intake_console_sessions',
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('session_hash'),
    schema='intake'
    )
    op.create_index('ix_intake_console_sessions_key', 'intake_console_sessions', ['key_id'], unique=False,
                    schema='intake')
    op.add_column('intake_reports', sa.Column('agency_county', sa.String(length=20), nullable=True),
                  schema=schema_for('intake'))
    prefix = "" if schema_for('intake') is None else "intake."
    op.execute(f"UPDATE {prefix}intake_reports SET agency_county = (SELECT k.county FROM {prefix}intake_api_keys k "
               f"WHERE k.key_id = {prefix}intake_reports.key_id)")
    op.add_column('intake_audit', sa.Column('key_id', sa.String(length=64), nullable=True),
                  schema=schema_for('intake'))
    if _may_create_roles():
        for statement in GRANTS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_column('intake_audit', 'key_id', schema=schema_for('intake'))
    op.drop_column('intake_reports', 'agency_county', schema=schema_for('intake'))
    op.drop_index('ix_intake_console_sessions_key', table_name='intake_console_sessions', schema='intake')
    op.drop_table('intake_console_sessions', schema='intake')
