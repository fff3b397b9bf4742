"""Screening's tables, in its own schema."""

from sqlalchemy import Column, MetaData, String, Table

from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.storage import JsonDocument, UtcDateTime

SCHEMA = "screening"
metadata = MetaData(schema=SCHEMA)

decisions = Table(
    "screening_decisions",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("county", String(20), nullable=False),
    Column("rule_version", String(20), nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("decision", JsonDocument, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
)

outbox = outbox_table(metadata, "screening")
inbox = inbox_table(metadata, "screening")
