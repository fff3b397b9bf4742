"""The unit of work every service builds on: one transaction that holds the state
change, the events it causes (outbox) and the event it handled (inbox)."""

from typing import Callable

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from safetynet.contracts.envelope import Envelope
from safetynet.contracts.messaging.outbox import claim, enqueue


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, *, outbox: Table, inbox: Table,
                 on_commit: Callable[[], None] = lambda: None):
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._outbox = outbox
        self._inbox = inbox
        self._on_commit = on_commit
        self._emitted = False
        self.session: AsyncSession

    async def __aenter__(self) -> "SqlUnitOfWork":
        self.session = self._sessions()
        self._emitted = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.rollback()  # a no-op after commit(); undoes anything not committed
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        if self._emitted:
            self._on_commit()  # wake the relay now instead of at its next poll

    async def rollback(self) -> None:
        await self.session.rollback()

    async def claim(self, event_id: str) -> bool:
        """Record that this event is being handled; False if it already was."""
        return await claim(self.session, self._inbox, event_id)

    async def emit(self, topic: str, envelope: Envelope) -> None:
        await enqueue(self.session, self._outbox, topic, envelope)
        self._emitted = True
