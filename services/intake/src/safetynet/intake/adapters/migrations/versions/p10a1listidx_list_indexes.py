"""list queries on a loaded database (issue 10): columns and indexes for the queue, SLA and KPI lists

Revision ID: p10a1listidx
Revises: b7c2e91d4f10
Create Date: 2026-12-07 16:30:00

intake_report_views gains the columns the dispatch queue and the open-SLA list filter
and sort by (domain/listing.py): the report's county, the SLA's due time and state, the
queue the report waits in, its risk rank and its destination kinds; two partial indexes
serve the two lists. Existing rows are filled by the same rules as the projection, which
are written out here as they stand today (a migration must not change with later code):
on PostgreSQL one UPDATE … FROM intake_reports, then ANALYZE; on SQLite (embedded mode,
small) row by row.
"""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import safetynet.platform.storage
from safetynet.platform.migrations import schema_for

revision = "p10a1listidx"
down_revision = "b7c2e91d4f10"
branch_labels = None
depends_on = None

REVIEW = ("received", "awaiting_review")
OPEN = (*REVIEW, "assigned")
AWAITING_ACTION = ("assigned", "rejected")
RISK_LIGHTS = ("red", "orange", "yellow", "green")
QUEUED = "queue IS NOT NULL"
SLA_OPEN = "sla_state = 'open' AND status IN ('received', 'awaiting_review', 'assigned')"
COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("county", sa.String(length=20), nullable=True),
    sa.Column("due_at", safetynet.platform.storage.UtcDateTime(timezone=True), nullable=True),
    sa.Column("sla_state", sa.String(length=10), nullable=True),
    sa.Column("queue", sa.String(length=20), nullable=True),
    sa.Column("risk_rank", sa.SmallInteger(), nullable=True),
    sa.Column("kinds", sa.String(length=200), nullable=True),
)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


BACKFILL_POSTGRESQL = f"""
UPDATE intake.intake_report_views AS v SET
    county = r.county,
    due_at = (v.sla->>'due_at')::timestamptz,
    sla_state = v.sla->>'state',
    queue = CASE
        WHEN v.status IN ({_quoted(REVIEW)}) THEN 'review'
        WHEN v.status IN ({_quoted(OPEN)}) AND EXISTS (
            SELECT 1 FROM jsonb_array_elements(v.referrals) AS f WHERE f->>'status' IN ({_quoted(AWAITING_ACTION)})
        ) THEN 'acknowledgement'
    END,
    risk_rank = CASE v.risk_level {" ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(RISK_LIGHTS))}
        ELSE {len(RISK_LIGHTS)} END,
    kinds = ',' || coalesce((
        SELECT string_agg(k, ',' ORDER BY k COLLATE "C") || ','
        FROM (SELECT DISTINCT d->>'kind' AS k FROM jsonb_array_elements(v.destinations) AS d) AS ks
    ), '')
FROM intake.intake_reports AS r
WHERE r.report_id = v.report_id
"""


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _sqlite_values(row: Any) -> dict[str, Any]:
    sla, referrals, destinations = (_document(row[k]) for k in ("sla", "referrals", "destinations"))
    due = datetime.fromisoformat(sla["due_at"])
    due = (due if due.tzinfo else due.replace(tzinfo=UTC)).astimezone(UTC)
    queue = None
    if row["status"] in REVIEW:
        queue = "review"
    elif row["status"] in OPEN and any(f.get("status") in AWAITING_ACTION for f in referrals or []):
        queue = "acknowledgement"
    kinds = sorted({d.get("kind") for d in destinations or []})
    return {
        "id": row["report_id"],
        "county": row["county"],
        "due_at": due.strftime("%Y-%m-%d %H:%M:%S.%f"),  # as SQLAlchemy stores times on SQLite
        "sla_state": sla["state"],
        "queue": queue,
        "risk_rank": RISK_LIGHTS.index(row["risk_level"]) if row["risk_level"] in RISK_LIGHTS else len(RISK_LIGHTS),
        "kinds": "," + "".join(f"{k}," for k in kinds),
    }


def _backfill_sqlite() -> None:
    bind = op.get_bind()
    rows = (
        bind.execute(
            sa.text(
                "SELECT v.report_id, v.status, v.risk_level, v.sla, v.referrals, v.destinations, r.county "
                "FROM intake_report_views AS v JOIN intake_reports AS r ON r.report_id = v.report_id"
            )
        )
        .mappings()
        .all()
    )
    if rows:
        bind.execute(
            sa.text(
                "UPDATE intake_report_views SET county = :county, due_at = :due_at, sla_state = :sla_state, "
                "queue = :queue, risk_rank = :risk_rank, kinds = :kinds WHERE report_id = :id"
            ),
            [_sqlite_values(row) for row in rows],
        )


def upgrade() -> None:
    schema = schema_for("intake")
    for column in COLUMNS:
        op.add_column("intake_report_views", column, schema=schema)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BACKFILL_POSTGRESQL)
    else:
        _backfill_sqlite()
    op.create_index(
        "ix_intake_report_views_queue",
        "intake_report_views",
        ["county", "due_at", "risk_rank", "report_id"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text(QUEUED),
        sqlite_where=sa.text(QUEUED),
    )
    op.create_index(
        "ix_intake_report_views_open_sla",
        "intake_report_views",
        ["county", "due_at", "report_id"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text(SLA_OPEN),
        sqlite_where=sa.text(SLA_OPEN),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE intake.intake_report_views")


def downgrade() -> None:
    schema = schema_for("intake")
    op.drop_index("ix_intake_report_views_open_sla", table_name="intake_report_views", schema=schema)
    op.drop_index("ix_intake_report_views_queue", table_name="intake_report_views", schema=schema)
    for column in reversed(COLUMNS):
        op.drop_column("intake_report_views", column.name, schema=schema)
