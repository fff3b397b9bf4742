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

Repositories may do the same with their own reads and writes through the transaction's
`TransactionScope`: read the rows of every report of the batch in one statement the first
time one is asked for (`report_ids`), keep them in `memo` (an identity map that lives
exactly as long as the transaction, so a batch handled again one by one starts afresh)
and write the changed ones in one statement just before the commit (`before_commit`).
"""

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.messaging.deferred import DeferredRows
from safetynet.platform.messaging.outbox import claim, claim_many, outbox_row


class TransactionScope:
    """What the repositories of one transaction share: the reports it will touch, an
    identity map, and the writes to make just before it commits."""

    def __init__(self, report_ids: Sequence[str] = ()):
        # A consumer batch's reports, in order; empty for a lone unit of work, whose
        # repositories then read just the report they are asked for.
        self.report_ids = tuple(dict.fromkeys(report_ids))
        self.memo: dict[object, Any] = {}
        self._before_commit: list[Callable[[], Awaitable[None]]] = []

    def before_commit(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run `write` once, just before the transaction commits (before the deferred
        rows go in: a write that must follow an insert of its own makes that insert)."""
        self._before_commit.append(write)

    async def write_before_commit(self) -> None:
        while self._before_commit:
            await self._before_commit.pop(0)()

    def clear(self) -> None:
        """Forget everything: the transaction is over (committed or rolled back)."""
        self.memo.clear()
        self._before_commit.clear()


class BatchTransaction:
    """One transaction shared by the units of work of a consumer batch."""

    def __init__(self, engine: AsyncEngine, *, event_ids: Sequence[str] = (), report_ids: Sequence[str] = ()):
        """`event_ids`: the events of the batch that handlers will claim; `report_ids`:
        the reports they are about (repositories read them together, see TransactionScope)."""
        self.engine = engine
        self.scope = TransactionScope(report_ids)
        self.connection: AsyncConnection | None = None
        self.tainted = False
        self._after_commit: list[Callable[[], None]] = []
        self._event_ids = set(event_ids)
        self._new: dict[Table, set[str]] = {}  # per inbox: the batch's events not seen before
        # Rows written just before the batch commits, in one statement, in order.
        self._deferred = DeferredRows()

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
        self._deferred.add(table, rows)

    async def commit(self) -> None:
        assert self.connection is not None
        await self.scope.write_before_commit()
        await self._deferred.write(self.connection)
        await self.connection.commit()
        for callback in self._after_commit:
            callback()


_current_batch: ContextVar[BatchTransaction | None] = ContextVar("safetynet_batch_transaction", default=None)
# The lone unit of work's connection and the rows it writes at commit (see insert_soon).
_current_lone: ContextVar[tuple[AsyncConnection, DeferredRows] | None] = ContextVar(
    "safetynet_lone_unit_of_work", default=None
)


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
        self._deferred = DeferredRows()  # alone: the rows written at commit (insert_soon)
        self.scope = TransactionScope()  # the batch's, in a batch
        # Core statements on a connection: repositories use execute() and scalar() only,
        # and an ORM session would add its bookkeeping to every statement.
        self.session: AsyncConnection

    async def __aenter__(self) -> "SqlUnitOfWork":
        self._emitted = self._kept = self._duplicate = False
        batch = _current_batch.get()
        if batch is not None and batch.engine is self._engine and batch.connection is not None:
            self._batch = batch
            self.session = batch.connection
            self.scope = batch.scope
        else:
            self._batch = None
            self.scope = TransactionScope()
            self.session = await self._engine.connect()
            self._deferred = DeferredRows()
            self._lone_token = _current_lone.set((self.session, self._deferred))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._batch is not None:
            # Leaving without commit() would have rolled this work back alone; in a shared
            # transaction only a fresh start can do that.
            if exc[0] is not None or not (self._kept or self._duplicate):
                self._batch.tainted = True
            return
        with contextlib.suppress(ValueError):  # left in another context than entered: nothing to undo
            _current_lone.reset(self._lone_token)
        self._deferred.clear()
        self.scope.clear()
        try:
            await self.session.rollback()  # a no-op after commit(); undoes anything not committed
        finally:
            await self.session.close()

    async def commit(self) -> None:
        if self._batch is not None:
            self._kept = True
        else:
            await self.scope.write_before_commit()
            await self._deferred.write(self.session)
            await self.session.commit()
            self.scope.clear()  # a unit of work used again starts from the database
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
        self._deferred.clear()
        self.scope.clear()  # what it read or meant to write is undone too
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
        await insert_soon(self.session, self._outbox, [outbox_row(topic, envelope)])
        self._emitted = True


async def insert_soon(session: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` in the transaction of `session` when it commits, with every other
    deferred row of the unit of work (or of the consumer batch) in one statement
    (deferred.py). For rows nothing reads back before the commit: events, a timeline, a
    new report. Outside any unit of work, at once."""
    if not rows:
        return
    batch = _current_batch.get()
    if batch is not None and batch.connection is session:
        batch.insert_later(table, rows)
        return
    lone = _current_lone.get()
    if lone is not None and lone[0] is session:
        lone[1].add(table, rows)
        return
    await session.execute(table.insert(), list(rows))
