"""Intake's unit of work: its repositories, inbox and outbox in one transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.audit_repository import AuditRepository
from safetynet.intake.adapters.crypto import ReportCipher
from safetynet.intake.adapters.key_cache import KeyCache
from safetynet.intake.adapters.privacy import PrivacyRepository
from safetynet.intake.adapters.repository import (
    IdempotencyRepository,
    KeyRepository,
    ReportRepository,
)
from safetynet.intake.adapters.sessions import SessionRepository
from safetynet.intake.adapters.views import ViewRepository
from safetynet.intake.domain.audit import AuditKey
from safetynet.intake.settings import DEV_AUDIT_KEY as _DEV
from safetynet.platform.messaging.uow import SqlUnitOfWork

DEV_AUDIT_KEY = AuditKey(_DEV.encode())


class IntakeUnitOfWork(SqlUnitOfWork):
    keys: KeyRepository
    reports: ReportRepository
    idempotency: IdempotencyRepository
    views: ViewRepository
    audit: AuditRepository
    privacy: PrivacyRepository
    sessions: SessionRepository

    def __init__(
        self,
        engine: AsyncEngine,
        on_commit: Callable[[], None] = lambda: None,
        cipher: ReportCipher | None = None,
        audit_key: AuditKey = DEV_AUDIT_KEY,
        key_cache: KeyCache | None = None,
    ):
        # No cipher (minting keys): any read or write of a report's personal data fails.
        super().__init__(engine, outbox=orm.outbox, inbox=orm.inbox, on_commit=on_commit)
        self.cipher = cipher
        self.audit_key = audit_key  # SAFETYNET_AUDIT_KEY (the development one by default)
        self.key_cache = key_cache  # this process's cache of live keys (PostgreSQL only; None: none)

    def forget_key(self, key_id: str) -> None:
        """A committed revocation, in this process's key cache at once (other processes
        hear of it through the NOTIFY the revocation sent)."""
        if self.key_cache is not None:
            self.key_cache.forget(key_id)

    async def __aenter__(self) -> "IntakeUnitOfWork":
        await super().__aenter__()
        self.keys = KeyRepository(self.session)
        self.reports = ReportRepository(self.session, self.cipher)
        self.privacy = PrivacyRepository(self.session, self.cipher)
        self.idempotency = IdempotencyRepository(self.session)
        self.views = ViewRepository(self.session, self.scope)  # the consumer batch's views, read once
        self.audit = AuditRepository(self.session, self.audit_key)
        self.sessions = SessionRepository(self.session)
        return self
