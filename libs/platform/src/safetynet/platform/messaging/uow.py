"""The unit of work every service builds on: one transaction that holds the state
change, the events it causes (outbox) and the event it handled (inbox).

A consumer may hand a whole batch of messages to its handlers inside one shared
transaction (`BatchTransaction`): every unit of work opened while the batch is current
joins it, and its `commit()` only says "keep my work". The batch commits once, which is
what makes a consumer cheap per message. Anything a lone transaction would have undone
(a handler that fails, or leaves without committing after it claimed its event) marks the
batch *tainted*: the consumer then rolls the whole batch back and handles its messages
one at a time, each in its own transaction, exactly as if there had been no batch.

Inside a batch the per-message statements that every handler makes are made once for
the whole batch: the first inbox claim claims every event of the batch in one statement
(each unit of work then learns whether its event was new), and the events the units of
work emit are written to the outbox in one statement just before the batch commits, in
the order they were emitted. Same rows, same transaction, fewer round trips.
"""

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.messaging.outbox import claim, claim_many, enqueue, outbox_row


class BatchTransaction:
    """One transaction shared by the units of work of a consumer batch."""

    def __init__(self, engine: AsyncEngine, *, event_ids: Sequence[str] = ()):
        """`event_ids`: the events of the batch that handlers will claim."""
        self.engine = engine
        self.connection: AsyncConnection | None = None
        self.tainted = False
        self._after_commit: list[Callable[[], None]] = []
        self._event_ids = set(event_ids)
        self._new: dict[Table, set[str]] = {}  # per inbox: the batch's events not seen before
        # Rows written just before the batch commits, one executemany per table, in order.
        self._deferred: dict[Table, list[dict[str, Any]]] = {}

    async def __aenter__(self) -> "BatchTransaction":
        self.connection = await self.engine.connect()
        self._token = _current_batch.set(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        _current_batch.reset(self._token)
        assert self.connection is not None
        try:
            await self.connection.rollback()  # a no-op after commit(); undoes a tainted batch
        finally:
            await self.connection.close()

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    async def claim(self, inbox: Table, event_id: str) -> bool:
        """Claim `event_id` in this transaction; the first claim claims the whole batch."""
        assert self.connection is not None
        if event_id not in self._event_ids:
            return await claim(self.connection, inbox, event_id)
        new = self._new.get(inbox)
        if new is None:
            new = self._new[inbox] = await claim_many(self.connection, inbox, sorted(self._event_ids))
        if event_id in new:
            new.discard(event_id)  # the same event twice in a batch: only the first is new
            return True
        return False

    def insert_later(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        self._deferred.setdefault(table, []).extend(rows)

    async def commit(self) -> None:
        assert self.connection is not None
        for table, rows in self._deferred.items():
            await self.connection.execute(table.insert(), rows)
        self._deferred.clear()
        await self.connection.commit()
        for callback in self._after_commit:
            callback()


_current_batch: ContextVar[BatchTransaction | None] = ContextVar("safetynet_batch_transaction", default=None)


class SqlUnitOfWork:
    def __init__(
        self, engine: AsyncEngine, *, outbox: Table, inbox: Table, on_commit: Callable[[], None] = lambda: None
    ):
        self._engine = engine
        self._outbox = outbox
        self._inbox = inbox
        self._on_commit = on_commit
        self._emitted = False
        self._batch: BatchTransaction | None = None
        self._kept = False  # in a batch: commit() was called
        self._duplicate = False  # in a batch: the event was handled before; nothing to keep
        # Core statements on a connection: repositories use execute() and scalar() only,
        # and an ORM session would add its bookkeeping to every statement.
        self.session: AsyncConnection

    async def __aenter__(self) -> "SqlUnitOfWork":
        self._emitted = self._kept = self._duplicate = False
        batch = _current_batch.get()
        if batch is not None and batch.engine is self._engine and batch.connection is not None:
            self._batch = batch
            self.session = batch.connection
        else:
            self._batch = None
            self.session = await self._engine.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._batch is not None:
            # Leaving without commit() would have rolled this work back alone; in a shared
            # transaction only a fresh start can do that.
            if exc[0] is not None or not (self._kept or self._duplicate):
                self._batch.tainted = True
            return
        try:
            await self.session.rollback()  # a no-op after commit(); undoes anything not committed
        finally:
            await self.session.close()

    async def commit(self) -> None:
        if self._batch is not None:
            self._kept = True
        else:
            await self.session.commit()
        if self._emitted:
            self.after_commit(self._on_commit)  # wake the relay now instead of at its next poll

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this work is committed: now, or when the batch commits."""
        if self._batch is not None:
            self._batch.after_commit(callback)
        else:
            callback()

    async def rollback(self) -> None:
        if self._batch is not None:
            self._batch.tainted = True
            return
        await self.session.rollback()

    async def claim(self, event_id: str) -> bool:
        """Record that this event is being handled; False if it already was."""
        if self._batch is not None:
            claimed = await self._batch.claim(self._inbox, event_id)
        else:
            claimed = await claim(self.session, self._inbox, event_id)
        self._duplicate = not claimed
        return claimed

    async def emit(self, topic: str, envelope: Envelope) -> None:
        if self._batch is not None:
            self._batch.insert_later(self._outbox, [outbox_row(topic, envelope)])
        else:
            await enqueue(self.session, self._outbox, topic, envelope)
        self._emitted = True


async def insert_soon(session: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` in the transaction of `session`: at once, or, inside a consumer batch,
    with the batch's other rows for `table` in one statement just before it commits. For
    rows nothing reads back before the commit (a timeline, a history)."""
    if not rows:
        return
    batch = _current_batch.get()
    if batch is not None and batch.connection is session:
        batch.insert_later(table, rows)
        return
    await session.execute(table.insert(), list(rows))
