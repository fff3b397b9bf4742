"""The audit trail's storage: appends chained under one lock, queries, the whole chain."""

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from safetynet.intake.adapters import orm
from safetynet.intake.domain.audit import GENESIS, Actor, AuditKey, Entry, Stored, chain_hash
from safetynet.platform.storage import dialect_name

# pg_advisory_xact_lock(int, int): the two-key form has a key space of its own, apart from
# the one-key locks that serialize acceptance per subject (repository.lock_subjects).
_LOCK = (0x534E, 0xA0D1)  # "SN", "audit"


def _stored(row: Any) -> Stored:
    v = row._mapping
    entry = Entry(
        record_id=v["record_id"],
        at=v["at"],
        actor=Actor(key_id=v["actor_key_id"], name=v["actor_name"], role=v["actor_role"]),
        action=v["action"],
        endpoint=v["endpoint"],
        client=v["client"],
        county=v["county"],
        report_id=v["report_id"],
        referral_id=v["referral_id"],
        detail=v["detail"],
    )
    return Stored(seq=v["seq"], entry=entry, prev_hash=v["prev_hash"], hash=v["hash"], key_id=v["key_id"])


class AuditRepository:
    def __init__(self, session: AsyncConnection, key: AuditKey):
        self._session = session
        self._key = key  # the chain's HMAC key: held by the process, never by the database

    async def append(self, entries: Sequence[Entry]) -> None:
        """Chain `entries` after the newest record. Appends are serialized: on PostgreSQL by
        an advisory lock held to the end of the transaction (so the newest record read
        here is the one committed last: READ COMMITTED reads after the lock is granted);
        SQLite's BEGIN IMMEDIATE already serializes every writer."""
        if not entries:
            return
        if dialect_name(self._session) == "postgresql":
            await self._session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _LOCK[0], "b": _LOCK[1]})
        t = orm.audit_records.c
        prev = await self._session.scalar(select(t.hash).order_by(t.seq.desc()).limit(1)) or GENESIS
        for entry in entries:
            digest = chain_hash(prev, entry, self._key)
            await self._session.execute(
                orm.audit_records.insert(),
                dict(
                    record_id=entry.record_id,
                    at=entry.at,
                    actor_key_id=entry.actor.key_id,
                    actor_name=entry.actor.name,
                    actor_role=entry.actor.role,
                    action=entry.action,
                    endpoint=entry.endpoint,
                    client=entry.client,
                    county=entry.county,
                    report_id=entry.report_id,
                    referral_id=entry.referral_id,
                    detail=entry.detail,
                    prev_hash=prev,
                    hash=digest,
                    key_id=self._key.id,
                ),
            )
            prev = digest

    async def query(
        self,
        *,
        county: str,
        report_id: str | None = None,
        actor: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[Stored]:
        """A county's records, newest first; `actor` is a key id or a name."""
        t = orm.audit_records.c
        query = select(orm.audit_records).where(t.county == county)
        if report_id is not None:
            query = query.where(t.report_id == report_id)
        if actor is not None:
            query = query.where(or_(t.actor_key_id == actor, t.actor_name == actor))
        if before is not None:
            query = query.where(t.seq < before)
        rows = await self._session.execute(query.order_by(t.seq.desc()).limit(limit))
        return [_stored(r) for r in rows]


async def chain(engine: AsyncEngine, *, batch: int = 1000) -> AsyncIterator[list[Stored]]:
    """The whole trail in order, a batch at a time (each batch its own short read)."""
    t = orm.audit_records.c
    after = 0
    while True:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(orm.audit_records).where(t.seq > after).order_by(t.seq).limit(batch))
            ).all()
        if not rows:
            return
        records = [_stored(r) for r in rows]
        yield records
        after = records[-1].seq
