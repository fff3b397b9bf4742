"""Routing's tables, in its own schema (prefixed names: SQLite has no schemas)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.storage import JsonDocument, UtcDateTime

SCHEMA = "routing"
metadata = MetaData(schema=SCHEMA)

cases = Table(
    "routing_cases",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    # Derived from the referrals by the domain; stored so the queue can be queried.
    Column("status", String(20), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("direct_dispatch", Boolean, nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("recommended", JsonDocument, nullable=False),  # [{kind, unit}], the system's
    Column("destinations", JsonDocument, nullable=False),  # [{kind, unit}], the current ones
    Column("subject_hashes", JsonDocument, nullable=False),
    Column("reasons", JsonDocument, nullable=True),  # [{code, text}] of the decision acted on
    # Optimistic version: an update applies only to the seq it was read at.
    Column("seq", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_routing_cases_queue", "county", "status", "received_at"),
)

referrals = Table(
    "routing_referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), ForeignKey(cases.c.report_id), nullable=False),
    Column("county", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=True),
    Column("outcome", Text, nullable=True),  # opened | not_opened (free text before issue 13)
    # The unit's reason code for closing or rejecting (safetynet.policy.outcomes), its note.
    Column("outcome_reason", String(40), nullable=True),
    Column("note", Text, nullable=True),
    # Rule 1 (併案): the open referral of another report this one is linked to.
    Column("linked_to", String(36), nullable=True),
    Column("review_on", Date, nullable=True),  # in long-term care: the next review (issue 14)
    Index("ix_routing_referrals_report", "report_id"),
    Index("ix_routing_referrals_unit", "unit", "status"),
)

# Which subjects each case names, so a new report finds its subjects' closed referrals
# (the re-report rule) by index rather than by scanning every case's JSON.
case_subjects = Table(
    "routing_case_subjects",
    metadata,
    Column("report_id", String(36), ForeignKey(cases.c.report_id), primary_key=True),
    Column("subject_hash", String(64), primary_key=True),
    Index("ix_routing_case_subjects_hash", "subject_hash"),
)

# Who decided what, and when: every change of a case, with its reason.
actions = Table(
    "routing_actions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("report_id", String(36), ForeignKey(cases.c.report_id), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", JsonDocument, nullable=False),
    Index("ix_routing_actions_report", "report_id", "id"),
)

outbox = outbox_table(metadata, "routing")
inbox = inbox_table(metadata, "routing")
