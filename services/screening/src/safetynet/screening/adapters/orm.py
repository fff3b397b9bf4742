"""Screening's tables, in its own schema."""

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.storage import JsonDocument, UtcDateTime

SCHEMA = "screening"
metadata = MetaData(schema=SCHEMA)

decisions = Table(
    "screening_decisions",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("rule_version", String(40), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("decision", JsonDocument, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    # The ReportReceived payload decided on (facts and subject hashes, no personal data
    # beyond the event's), kept so a candidate rule version can be replayed over it.
    # None for decisions made before rule versions (issue 13): they cannot be replayed.
    Column("input", JsonDocument, nullable=True),
    Column("received_at", UtcDateTime, nullable=True),
    Index("ix_screening_decisions_county_received", "county", "received_at"),
)

# What became of each referral routing sent for a decided report (from its referral
# events): the over-referral half of a replay.
referral_outcomes = Table(
    "screening_referral_outcomes",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # assigned | rejected | closed | reassigned
    Column("outcome", String(20), nullable=True),  # opened | not_opened, on a closed one
    Column("outcome_reason", String(40), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_screening_referral_outcomes_report", "report_id"),
)

# Rule versions imported from documents (the shipped ones are package data). Immutable:
# a version's document never changes once stored.
rule_versions = Table(
    "screening_rule_versions",
    metadata,
    Column("version", String(40), primary_key=True),
    Column("document", JsonDocument, nullable=False),
    Column("imported_by", String(100), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)

# Append-only: the active version is the newest row's (none: the shipped default).
rule_activations = Table(
    "screening_rule_activations",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("version", String(40), nullable=False),
    Column("previous_version", String(40), nullable=False),
    Column("activated_by", String(100), nullable=False),
    Column("activated_at", UtcDateTime, nullable=False),
    Column("note", String(500), nullable=True),
)

outbox = outbox_table(metadata, "screening")
inbox = inbox_table(metadata, "screening")
