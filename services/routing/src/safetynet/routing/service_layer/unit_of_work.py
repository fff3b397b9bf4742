"""Routing's unit of work: its cases, inbox and outbox in one transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.messaging.uow import SqlUnitOfWork
from safetynet.routing.adapters import orm
from safetynet.routing.adapters.repository import CaseRepository


class RoutingUnitOfWork(SqlUnitOfWork):
    cases: CaseRepository

    def __init__(self, engine: AsyncEngine, on_commit: Callable[[], None] = lambda: None):
        super().__init__(engine, outbox=orm.outbox, inbox=orm.inbox, on_commit=on_commit)

    async def __aenter__(self) -> "RoutingUnitOfWork":
        await super().__aenter__()
        self.cases = CaseRepository(self.session, self.scope)
        return self
