"""Transactional outbox and inbox.

A service writes its state change and the events it causes in one transaction (the
outbox); a relay publishes them afterwards. A consumer records each event id it has
handled in the same transaction as its effects (the inbox), so a redelivered event
changes nothing.
"""

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import TextClause

from safetynet.contracts.envelope import Envelope
from safetynet.platform.messaging.broker import Broker, Outgoing
from safetynet.platform.storage import JsonDocument, UtcDateTime, dialect_name, insert_ignoring_conflict

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData, prefix: str) -> Table:
    table = Table(
        f"{prefix}_outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("trace", JsonDocument, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
    )
    # The relay only ever reads the unpublished tail, so index exactly that.
    Index(
        f"ix_{prefix}_outbox_unpublished",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    return table


def inbox_table(metadata: MetaData, prefix: str) -> Table:
    return Table(
        f"{prefix}_inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime, nullable=False),
    )


@contextmanager
def in_trace(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Make a stored W3C trace context current, so work done later (a timer firing, a
    delivery retry) joins the trace of what caused it."""
    if not carrier:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(carrier)))
    try:
        yield
    finally:
        otel_context.detach(token)


def current_trace() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def outbox_row(topic: str, envelope: Envelope) -> dict[str, Any]:
    """The outbox row of `envelope`, in the trace that is current now."""
    if not envelope.trace:
        envelope.trace = current_trace()
    return dict(
        event_id=envelope.event_id,
        topic=topic,
        key=envelope.report_id,
        value=envelope.to_bytes(),
        trace=envelope.trace,
        created_at=datetime.now(UTC),
    )


async def claim(session: AsyncConnection, inbox: Table, event_id: str) -> bool:
    """Record `event_id` as handled; False when it already was (a redelivery)."""
    result = await session.execute(
        *insert_ignoring_conflict(
            session, inbox, {"event_id": event_id, "processed_at": datetime.now(UTC)}, conflict="event_id"
        )
    )
    return bool(result.rowcount)


_CLAIM_MANY: dict[tuple[str, str], TextClause] = {}


async def claim_many(session: AsyncConnection, inbox: Table, event_ids: Sequence[str]) -> set[str]:
    """Record every one of `event_ids` as handled in one statement; return those that
    were new (the others are redeliveries)."""
    if not event_ids:
        return set()
    dialect = dialect_name(session)
    statement = _CLAIM_MANY.get((inbox.fullname, dialect))
    if statement is None:
        # One row per id from a single bound array (PostgreSQL) or JSON list (SQLite), so
        # the statement text, and its cached compilation, do not depend on the batch size.
        # SQLite needs `WHERE true` to tell INSERT … SELECT from its ON CONFLICT clause.
        source = (
            "SELECT e, :at FROM unnest(CAST(:ids AS text[])) AS e"
            if dialect == "postgresql"
            else "SELECT value, :at FROM json_each(:ids) WHERE true"
        )
        target = inbox.fullname if dialect == "postgresql" else inbox.name
        statement = text(
            f"INSERT INTO {target} (event_id, processed_at) {source} "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        ).bindparams(
            bindparam("at", type_=inbox.c.processed_at.type),
            bindparam("ids", type_=ARRAY(String()) if dialect == "postgresql" else String()),
        )
        _CLAIM_MANY[(inbox.fullname, dialect)] = statement
    ids = list(dict.fromkeys(event_ids))
    result = await session.execute(
        statement, {"at": datetime.now(UTC), "ids": ids if dialect == "postgresql" else json.dumps(ids)}
    )
    return {row[0] for row in result}


class OutboxRelay:
    """Publishes a service's outbox in order. One relay per service publishes at a time
    (a PostgreSQL advisory lock elects it), which keeps the order per report."""

    def __init__(
        self, engine: AsyncEngine, outbox: Table, broker: Broker, *, poll_seconds: float = 0.5, batch: int = 200
    ):
        self._engine = engine
        self._outbox = outbox
        self._broker = broker
        self._poll = poll_seconds
        self._batch = batch
        self._wakeup = asyncio.Event()
        self._is_pg = engine.dialect.name == "postgresql"
        self.pending = 0  # backlog as of the last batch, for the metrics gauge

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if self._is_pg:
                    await self._run_as_leader(stop)
                else:
                    await self._publish_until_idle(stop)
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker or database is away: keep the rows, retry later
                log.warning("outbox relay for %s failed; retrying", self._outbox.name, exc_info=True)
                await _sleep_or_stop(stop, 1.0)

    async def _run_as_leader(self, stop: asyncio.Event) -> None:
        async with self._engine.connect() as lock_conn:
            lock_id = _lock_id(self._outbox.name)
            leader = await lock_conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id})
            await lock_conn.commit()
            if not leader:
                await _sleep_or_stop(stop, 1.0)
                return
            try:
                await self._publish_until_idle(stop)
            finally:
                await lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
                await lock_conn.commit()

    async def _publish_until_idle(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wakeup.clear()
            if await self.publish_batch() < self._batch:
                # Caught up: wait for the next commit's wake-up (at once if one came while
                # this batch was out), not another SELECT that would find nothing. Every
                # row committed before the clear() above was visible to that batch's read.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll)

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished events; return how many."""
        t = self._outbox.c
        async with self._connection() as conn:
            rows = (
                await conn.execute(
                    select(t.id, t.topic, t.key, t.value, t.trace)
                    .where(t.published_at.is_(None))
                    .order_by(t.id)
                    .limit(self._batch)
                )
            ).all()
            await conn.rollback()
        # Publish outside any transaction: the embedded broker writes to the same
        # database, and a held write lock would block it. One batch, acknowledged together.
        await self._broker.publish_many([_outgoing(row) for row in rows])
        if rows:
            async with self._connection() as conn:
                await conn.execute(
                    self._outbox.update().where(t.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC))
                )
                await conn.commit()
        # A full batch means more may wait: count them (the partial index makes it cheap).
        self.pending = await self.backlog() if len(rows) == self._batch else 0
        return len(rows)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement at a time. On PostgreSQL in autocommit: each of
        the relay's statements is atomic alone, and BEGIN and COMMIT would double its
        round trips."""
        async with self._engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT") if self._is_pg else conn

    async def backlog(self) -> int:
        """Events written but not yet published."""
        async with self._engine.connect() as conn:
            return int(
                await conn.scalar(
                    select(func.count()).select_from(self._outbox).where(self._outbox.c.published_at.is_(None))
                )
                or 0
            )


def _outgoing(row: Any) -> Outgoing:
    """The message for an outbox row, carrying the W3C context of the work that wrote it
    (stored with the row): each consumer's span is that work's child, so one trace runs
    through every service. No span of the relay's own: a span per published event was
    a third of every trace's spans and a tenth of a service's CPU, to time a hand-over
    the consumer's span already dates (`safetynet.event_age_ms`)."""
    return Outgoing(row.topic, row.key, row.value, [(k, v.encode()) for k, v in (row.trace or {}).items()])


def _lock_id(name: str) -> int:
    return zlib.crc32(name.encode())


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
