"""Intake's tables, in its own schema."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from safetynet.intake.domain.listing import OPEN_STATUSES
from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.storage import JsonDocument, UtcDateTime

SCHEMA = "intake"
metadata = MetaData(schema=SCHEMA)

api_keys = Table(
    "intake_api_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),  # SHA-256 of the secret
    Column("role", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("county", String(20), nullable=False),
    Column("agency_type", String(40), nullable=True),
    Column("unit", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),  # None: the key does not expire
)

reports = Table(
    "intake_reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("township", String(20), nullable=False),
    Column("agency_type", String(40), nullable=False),
    Column("agency_name", String(200), nullable=False),  # the reporting key's agency
    # The reporting key's county: with agency_type and agency_name, the agency's identity
    # (names repeat across counties). NULL only on rows older than the column.
    Column("agency_county", String(20), nullable=True),
    Column("key_id", String(36), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("sla_due_at", UtcDateTime, nullable=False),
    Column("categories", JsonDocument, nullable=False),
    # The report's non-personal facts; names, national IDs, birth dates, the reporter and
    # the narrative are in the sealed personal part (adapters/crypto.py).
    Column("submission", JsonDocument, nullable=False),
    Column("personal_key_id", String(64), nullable=True),  # the key ring's KEK id
    Column("personal_wrapped_key", LargeBinary, nullable=True),  # the record's data key, wrapped
    Column("personal_nonce", LargeBinary, nullable=True),
    Column("personal_ciphertext", LargeBinary, nullable=True),
    # When retention purged the personal part (crypto-shredding); None while it is kept.
    Column("pseudonymised_at", UtcDateTime, nullable=True),
    # W3C trace context of the request that accepted the report: dispatcher and unit
    # actions link their spans to it.
    Column("trace", JsonDocument, nullable=True),
    Index("ix_intake_reports_county_received", "county", "received_at"),
    Index("ix_intake_reports_agency", "agency_name", "received_at"),
)

# Every subject's keyed hash, for repeat detection at acceptance: intake sees every
# report, whichever replica takes it.
subject_index = Table(
    "intake_subject_index",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("subject_hash", String(64), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_intake_subject_index_hash", "subject_hash", "received_at"),
    Index("ix_intake_subject_index_report", "report_id"),  # a report's subjects: its history
)

idempotency_keys = Table(
    "intake_idempotency_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("body_sha256", String(64), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# The partial indexes' predicates: the list queries repeat them word for word, so the
# planner can prove a query's rows are all in the index.
QUEUED = "queue IS NOT NULL"
SLA_OPEN = f"sla_state = 'open' AND status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"

# The read model behind GET /v1/reports/{id}, projected from the other services' events.
report_views = Table(
    "intake_report_views",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("risk_level", String(10), nullable=True),
    Column("urgent", Boolean, nullable=True),
    Column("direct_dispatch", Boolean, nullable=True),
    Column("rule_version", String(20), nullable=True),
    Column("reasons", JsonDocument, nullable=False),
    Column("recommended", JsonDocument, nullable=False),
    Column("destinations", JsonDocument, nullable=False),
    Column("referrals", JsonDocument, nullable=False),
    Column("routing_seq", Integer, nullable=False),
    Column("sla", JsonDocument, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The lists' columns (domain/listing.py), written with the view by the projection so
    # the queue and the open SLAs are index range scans in SQL (issue 10). NULL only on
    # rows written around the projection: no list shows those.
    Column("county", String(20), nullable=True),
    Column("due_at", UtcDateTime, nullable=True),
    Column("sla_state", String(10), nullable=True),
    Column("queue", String(20), nullable=True),
    Column("risk_rank", SmallInteger, nullable=True),
    Column("kinds", String(200), nullable=True),
    Index(
        "ix_intake_report_views_queue",
        "county",
        "due_at",
        "risk_rank",
        "report_id",
        postgresql_where=text(QUEUED),
        sqlite_where=text(QUEUED),
    ),
    Index(
        "ix_intake_report_views_open_sla",
        "county",
        "due_at",
        "report_id",
        postgresql_where=text(SLA_OPEN),
        sqlite_where=text(SLA_OPEN),
    ),
)

timeline = Table(
    "intake_timeline",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("report_id", String(36), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(60), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("detail", Text, nullable=True),
    UniqueConstraint("event_id", "event", name="uq_intake_timeline_event"),
    Index("ix_intake_timeline_report", "report_id", "at"),
)

# Which report a referral belongs to, and which unit holds it: for the referral
# endpoints and unit keys. Kept from routing's snapshots.
referral_index = Table(
    "intake_referral_index",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("unit", String(100), nullable=False),
    # Rule 1 (併案): the open referral of an earlier report this one was linked to.
    Column("linked_to", String(36), nullable=True),
    Index("ix_intake_referral_index_unit", "unit"),
    Index("ix_intake_referral_index_linked_to", "linked_to"),
)

# When each referral was in long-term care (長期關懷戶, issue 14), from routing's events:
# a report naming its subjects meanwhile is a follow-up in the KPIs (domain/follow_ups.py).
# `until`: when it was closed; None while it is still in long-term care.
long_term_care = Table(
    "intake_long_term_care",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("until", UtcDateTime, nullable=True),
    Index("ix_intake_long_term_care_report", "report_id"),
)

# Per report, the other reports that make it count in a re-report KPI (adapters/kpi_sql.py).
# Kept on PostgreSQL by triggers on reports, the subject index and the views, in the
# writing transaction (migration p10a2kpilink defines the rules); empty on SQLite.
kpi_links = Table(
    "intake_kpi_links",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("rule", String(30), primary_key=True),  # protection_rereport | vulnerable_to_protection
    Column("linked_report_id", String(36), primary_key=True),
    Column("linked_at", UtcDateTime, primary_key=True),  # the closure, or the later report's receipt
    Column("linked_received_at", UtcDateTime, nullable=False),
)

# Each report's KPI facts, narrow (adapters/kpi_sql.py scans a period of these rather than
# the wide views); kept on PostgreSQL by the same triggers, from the report and its view.
kpi_reports = Table(
    "intake_kpi_reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("agency_type", String(40), nullable=False),
    Column("categories", JsonDocument, nullable=False),  # each once
    Column("risk_level", String(10), nullable=True),
    Column("due_at", UtcDateTime, nullable=False),  # the view's deadline, else acceptance's
    Column("sla_state", String(10), nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index("ix_intake_kpi_reports_period", "county", "received_at"),
)

# The learning KPIs' record of each referral (domain/referral_outcomes.py): where it went
# and why, when its unit answered, how it ended; with its report's county, received time
# and source, so the KPIs of a county and period read one table. No personal data, and no
# note (free text can name people: the report view keeps it).
referral_outcomes = Table(
    "intake_referral_outcomes",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("report_id", String(36), nullable=False),
    Column("county", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("agency_type", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason_codes", JsonDocument, nullable=False),  # [code], the rules that asked for the kind
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("rejected_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("outcome", String(20), nullable=True),
    Column("outcome_reason", String(40), nullable=True),
    Column("rejection_reason", String(40), nullable=True),
    # The report's BSRS-5 band (normal | mild | moderate | severe), NULL without a score.
    Column("bsrs5_band", String(10), nullable=True),
    Index("ix_intake_referral_outcomes_period", "county", "received_at"),
    Index("ix_intake_referral_outcomes_report", "report_id"),
)

# The audit trail (domain/audit.py): append-only and hash-chained. On PostgreSQL a trigger
# refuses UPDATE, DELETE and TRUNCATE; `seq` is the order of the chain.
audit_records = Table(
    "intake_audit",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_key_id", String(36), nullable=True),
    Column("actor_name", String(200), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("action", String(60), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("client", String(200), nullable=False),
    Column("county", String(20), nullable=True),
    Column("report_id", String(36), nullable=True),
    Column("referral_id", String(36), nullable=True),
    Column("detail", JsonDocument, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Which audit key's HMAC chains this record (a fingerprint, never the key); NULL: a
    # record chained before the key existed, with plain SHA-256.
    Column("key_id", String(64), nullable=True),
    Index("ix_intake_audit_report", "report_id", "seq"),
    Index("ix_intake_audit_actor_key", "actor_key_id", "seq"),
    Index("ix_intake_audit_actor_name", "actor_name", "seq"),
    Index("ix_intake_audit_county", "county", "seq"),
)

# Console sessions (entrypoints/console/session.py): the cookie names one by a random id;
# only its hash is kept. Ended by sign-out, by revoking the key, or when idle too long.
console_sessions = Table(
    "intake_console_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("key_id", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Index("ix_intake_console_sessions_key", "key_id"),
)

# What-if replays of a candidate rule version asked for in the console (issue 13): the
# request, and screening's answer once ReplayCompleted arrives.
rule_replays = Table(
    "intake_rule_replays",
    metadata,
    Column("replay_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_key_id", String(36), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("first_day", String(10), nullable=False),  # YYYY-MM-DD, Asia/Taipei
    Column("last_day", String(10), nullable=False),
    Column("candidate_version", String(60), nullable=True),
    Column("candidate", JsonDocument, nullable=False),
    Column("status", String(10), nullable=False),  # requested | done | failed
    Column("error", String(2000), nullable=True),
    Column("summary", JsonDocument, nullable=True),
    Column("completed_at", UtcDateTime, nullable=True),
    Index("ix_intake_rule_replays_county", "county", "requested_at"),
)

# Severe child-abuse cases told to prosecutors and police (v1.1 rule 4, issue 14): one row
# per report screening marked EARLY_INTERVENTION, kept by the projection of the decision and
# of notify's NotificationSent; the month's network-meeting list and the KPI "time from
# receipt to notice" read it. `notices` maps each recipient notify reported on to the time
# of its first successful delivery (null until then).
early_interventions = Table(
    "intake_early_interventions",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("flagged_at", UtcDateTime, nullable=True),  # the decision; null if a notice came first
    Column("notices", JsonDocument, nullable=False),
    Column("notified_at", UtcDateTime, nullable=True),  # every recipient told; null until then
    Index("ix_intake_early_interventions_period", "county", "received_at"),
)

outbox = outbox_table(metadata, "intake")
inbox = inbox_table(metadata, "intake")
