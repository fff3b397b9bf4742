"""Notify's tables, in its own schema."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.storage import JsonDocument, UtcDateTime

SCHEMA = "notify"
metadata = MetaData(schema=SCHEMA)

# One SLA clock per report. Its row is also the report's lock: every transaction that
# touches a report's timers locks this row first, so the scheduler and the consumers
# never interleave on one report.
sla_clocks = Table(
    "notify_sla_clocks",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=True),  # None until intake or screening tells us
    Column("due_at", UtcDateTime, nullable=True),
    Column("state", String(10), nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("snapshot_seq", Integer, nullable=True),
    Column("deadline_from_screening", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # W3C trace context of the report, so timer-fired events join the report's trace.
    Column("trace", JsonDocument, nullable=True),
)

# Durable timers. A fired timer keeps its row with fired_at set (the record that it fired
# once); a cancelled one is deleted. The partial index holds only unfired timers, so a
# scheduler tick costs what is due, not what ever was.
timers = Table(
    "notify_timers",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("kind", String(10), primary_key=True),  # warning | deadline
    Column("index", Integer, primary_key=True),  # which warning; 0 for the deadline
    Column("fire_at", UtcDateTime, nullable=False),
    Column("fired_at", UtcDateTime, nullable=True),
    Index(
        "ix_notify_timers_due",
        "fire_at",
        postgresql_where=text("fired_at IS NULL"),
        sqlite_where=text("fired_at IS NULL"),
    ),
)

# One row per notification to send (unique per referral per channel); the delivery
# worker sends the pending ones, retrying with backoff, and dead-letters (status failed)
# one that is out of attempts.
notifications = Table(
    "notify_notifications",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("dedupe_key", String(400), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),  # referral | escalation | early_intervention
    Column("report_id", String(36), nullable=False),
    Column("referral_id", String(36), nullable=True),
    Column("county", String(20), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("address", String(500), nullable=True),
    Column("urgent", Boolean, nullable=False),
    Column("subject", String(400), nullable=False),
    Column("content", JsonDocument, nullable=False),
    # W3C trace context of the decision to notify: each attempt is told in that trace.
    Column("trace", JsonDocument, nullable=True),
    # failed = dead-lettered: out of attempts (or refused for good); `safetynet notify
    # replay` puts it back to pending with a fresh round of attempts.
    Column("status", String(10), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),  # every attempt ever made, replays included
    Column("attempts_before_replay", Integer, nullable=False, server_default=text("0")),
    Column("replayed_at", UtcDateTime, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Index("ix_notify_notifications_report", "report_id"),
    Index(
        "ix_notify_notifications_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

# Long-term care households (issue 14): each one's next review, from routing's events, and
# the review date last reminded (once it passed) so each date is reminded once.
long_term_reviews = Table(
    "notify_long_term_reviews",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("county", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("review_on", Date, nullable=False),
    Column("reminded_on", Date, nullable=True),
    Index("ix_notify_long_term_reviews_due", "review_on"),
)

# Every delivery attempt, successful or not: the audit trail of who was told what, when.
deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("notification_id", String(36), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("channel", String(40), nullable=False),
    Column("outcome", String(10), nullable=False),  # recorded | delivered | failed
    Column("detail", Text, nullable=True),
    Column("attempted_at", UtcDateTime, nullable=False),
    Index("ix_notify_deliveries_notification", "notification_id"),
)

outbox = outbox_table(metadata, "notify")
inbox = inbox_table(metadata, "notify")
