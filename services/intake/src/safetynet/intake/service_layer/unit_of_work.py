"""Intake's unit of work: its repositories, inbox and outbox in one transaction."""

from typing import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.messaging.uow import SqlUnitOfWork
from safetynet.intake.adapters import orm
from safetynet.intake.adapters.repository import (
    IdempotencyRepository, KeyRepository, ReportRepository, ViewRepository,
)


class IntakeUnitOfWork(SqlUnitOfWork):
    keys: KeyRepository
    reports: ReportRepository
    idempotency: IdempotencyRepository
    views: ViewRepository

    def __init__(self, engine: AsyncEngine, on_commit: Callable[[], None] = lambda: None):
        super().__init__(engine, outbox=orm.outbox, inbox=orm.inbox, on_commit=on_commit)

    async def __aenter__(self) -> "IntakeUnitOfWork":
        await super().__aenter__()
        self.keys = KeyRepository(self.session)
        self.reports = ReportRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.views = ViewRepository(self.session)
        return self
