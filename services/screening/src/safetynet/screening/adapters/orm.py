"""Screening's tables, in its own schema."""

from sqlalchemy import Column, Index, MetaData, String, Table

from safetynet.contracts.messaging.outbox import inbox_table, outbox_table
from safetynet.contracts.storage import JsonDocument, UtcDateTime

SCHEMA = "screening"
metadata = MetaData(schema=SCHEMA)

decisions = Table(
    "screening_decisions", metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("rule_version", String(20), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("decision", JsonDocument, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
)

# Screening's own record of closed referrals (from routing's events), so that a
# re-report after closure goes back to the unit that held the case.
closed_referrals = Table(
    "screening_closed_referrals", metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("subject_hash", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Index("ix_screening_closed_referrals_subject", "subject_hash", "closed_at"),
)

outbox = outbox_table(metadata, "screening")
inbox = inbox_table(metadata, "screening")
