"""Screening's unit of work: its repository, inbox and outbox in one transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.messaging.uow import SqlUnitOfWork
from safetynet.screening.adapters import orm
from safetynet.screening.adapters.repository import ScreeningRepository


class ScreeningUnitOfWork(SqlUnitOfWork):
    repository: ScreeningRepository

    def __init__(self, engine: AsyncEngine, on_commit: Callable[[], None] = lambda: None):
        super().__init__(engine, outbox=orm.outbox, inbox=orm.inbox, on_commit=on_commit)

    async def __aenter__(self) -> "ScreeningUnitOfWork":
        await super().__aenter__()
        self.repository = ScreeningRepository(self.session, self.scope)
        return self
