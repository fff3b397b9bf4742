"""Notify's unit of work: its repositories, inbox and outbox in one transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.notify.adapters import orm
from safetynet.notify.adapters.notification_repository import NotificationRepository
from safetynet.notify.adapters.sla_repository import SlaRepository
from safetynet.platform.messaging.uow import SqlUnitOfWork


class NotifyUnitOfWork(SqlUnitOfWork):
    clocks: SlaRepository
    notifications: NotificationRepository

    def __init__(
        self,
        engine: AsyncEngine,
        on_commit: Callable[[], None] = lambda: None,
        on_notifications: Callable[[], None] = lambda: None,
    ):
        super().__init__(engine, outbox=orm.outbox, inbox=orm.inbox, on_commit=on_commit)
        self._on_notifications = on_notifications

    async def __aenter__(self) -> "NotifyUnitOfWork":
        await super().__aenter__()
        self.clocks = SlaRepository(self.session, self.scope)
        self.notifications = NotificationRepository(self.session, self.scope)
        return self

    async def commit(self) -> None:
        await super().commit()
        if self.notifications.added:
            self.after_commit(self._on_notifications)  # wake the delivery worker now instead of at its next tick
