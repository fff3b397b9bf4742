"""Screening's per-event statements, built once at import for the driver
(platform/driver.py): on asyncpg a round trip costs the service a third of what it costs
through SQLAlchemy's async engine."""

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.storage import UtcDateTime, dialect_name
from safetynet.screening.adapters.orm import referral_outcomes, rule_activations

ACTIVE_VERSION = select(rule_activations.c.version).order_by(rule_activations.c.seq.desc()).limit(1)


def _record_referral(table: str) -> TextClause:
    """A referral's latest status, inserted or updated in one statement; a rejection
    stays the unit's answer when the dispatcher then reassigns it (the update is skipped).
    A typed text(): SQLAlchemy compiles its own ON CONFLICT construct anew every time."""
    columns = [c.name for c in referral_outcomes.c]
    updated = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "referral_id")
    return text(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
        f"ON CONFLICT (referral_id) DO UPDATE SET {updated} "
        f"WHERE NOT ({table}.status = 'rejected' AND excluded.status = 'reassigned')"
    ).bindparams(bindparam("updated_at", type_=UtcDateTime()))


# SQLite (the embedded mode) has no schemas: its tables carry the service's prefix instead.
_RECORD_REFERRAL = {"postgresql": _record_referral(referral_outcomes.fullname)}
_RECORD_REFERRAL_ELSEWHERE = _record_referral(referral_outcomes.name)


def record_referral_statement(connection: AsyncConnection) -> TextClause:
    return _RECORD_REFERRAL.get(dialect_name(connection), _RECORD_REFERRAL_ELSEWHERE)
