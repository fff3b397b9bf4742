"""outcomes (issue 13): the learning KPIs' record of each referral

Revision ID: c13a1outcome
Revises: p10a1listidx
Create Date: 2026-12-07 16:30:00

intake_referral_outcomes keeps, per referral, what the learning KPIs group and count
(domain/referral_outcomes.py). Existing referrals are filled from the report views:
their kind, unit, status, assignment, the time of their last change as the time of the
status they are in, and the decision's reason codes that asked for their kind. Before
this revision an outcome was free text and a rejection's reason was overwritten by a
reassignment: such referrals have no outcome and no codes (the KPIs count them closed
without an outcome, or rejected with an unrecorded reason).
"""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import safetynet.platform.storage

revision = "c13a1outcome"
down_revision = "p10a1listidx"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = safetynet.platform.storage.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "intake_referral_outcomes",
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("county", sa.String(length=20), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("agency_type", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason_codes", JSON, nullable=False),
        sa.Column("assigned_at", TIME, nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("rejected_at", TIME, nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_reason", sa.String(length=40), nullable=True),
        sa.Column("rejection_reason", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("referral_id"),
        schema="intake",
    )
    op.create_index(
        "ix_intake_referral_outcomes_period",
        "intake_referral_outcomes",
        ["county", "received_at"],
        unique=False,
        schema="intake",
    )
    op.create_index(
        "ix_intake_referral_outcomes_report", "intake_referral_outcomes", ["report_id"], unique=False, schema="intake"
    )
    _backfill()


def _time(value: Any) -> datetime:
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _backfill() -> None:
    # The pairing of codes and kinds is the policy's (one place); it only ever grows.
    from safetynet.policy.destination_reasons import producing_codes
    from safetynet.policy.outcomes import OUTCOMES

    bind = op.get_bind()
    schema = None if bind.dialect.name == "sqlite" else "intake"
    views = sa.table(
        "intake_report_views",
        sa.column("report_id"),
        sa.column("reasons", JSON),
        sa.column("referrals", JSON),
        schema=schema,
    )
    reports = sa.table(
        "intake_reports",
        sa.column("report_id"),
        sa.column("county"),
        sa.column("agency_type"),
        sa.column("received_at", TIME),
        schema=schema,
    )
    outcomes = sa.table(
        "intake_referral_outcomes",
        *(sa.column(c) for c in ("referral_id", "report_id", "county", "agency_type", "kind", "unit", "status")),
        sa.column("reason_codes", JSON),
        *(sa.column(c, TIME) for c in ("received_at", "assigned_at", "acknowledged_at", "rejected_at", "closed_at")),
        *(sa.column(c) for c in ("outcome", "outcome_reason", "rejection_reason")),
        schema=schema,
    )
    query = (
        sa.select(
            views.c.report_id,
            views.c.reasons,
            views.c.referrals,
            reports.c.county,
            reports.c.agency_type,
            reports.c.received_at,
        )
        .join(reports, reports.c.report_id == views.c.report_id)
        .order_by(views.c.report_id)
        .limit(PAGE)
    )
    last = ""
    while True:  # pages by report id: a large history is never held whole
        rows = bind.execute(query.where(views.c.report_id > last)).all()
        if not rows:
            return
        batch = [_record(row, r, producing_codes, OUTCOMES) for row in rows for r in _json(row.referrals) or []]
        if batch:
            op.bulk_insert(outcomes, batch)
        last = rows[-1].report_id


PAGE = 2000


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _record(row: Any, r: dict[str, Any], producing_codes: Any, outcomes: tuple[str, ...]) -> dict[str, Any]:
    codes = [c.get("code", "") for c in _json(row.reasons) or []]
    status, changed = r["status"], _time(r["updated_at"])
    closed = status == "closed"
    return {
        "referral_id": r["referral_id"],
        "report_id": row.report_id,
        "county": row.county,
        "received_at": row.received_at,
        "agency_type": row.agency_type,
        "kind": r["kind"],
        "unit": r["unit"],
        "status": status,
        "reason_codes": list(producing_codes(r["kind"], codes)),
        "assigned_at": _time(r["assigned_at"]),
        "acknowledged_at": changed if status == "acknowledged" else None,
        "rejected_at": changed if status == "rejected" else None,
        "closed_at": changed if closed else None,
        "outcome": r.get("outcome") if closed and r.get("outcome") in outcomes else None,
        "outcome_reason": r.get("outcome_reason") if closed else None,
        "rejection_reason": r.get("outcome_reason") if status == "rejected" else None,
    }


def downgrade() -> None:
    op.drop_index("ix_intake_referral_outcomes_report", table_name="intake_referral_outcomes", schema="intake")
    op.drop_index("ix_intake_referral_outcomes_period", table_name="intake_referral_outcomes", schema="intake")
    op.drop_table("intake_referral_outcomes", schema="intake")
