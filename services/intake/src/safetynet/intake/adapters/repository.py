"""Reads and writes of intake's state."""

import zlib
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import bindparam, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import SEALED_COLUMNS, ReportCipher
from safetynet.intake.adapters.key_cache import LiveKey
from safetynet.intake.adapters.key_listener import announce_revocation
from safetynet.intake.adapters.views import ViewRepository
from safetynet.intake.domain.access import Principal, ReportOwnership, StoredKey
from safetynet.intake.domain.reports import AcceptedBody, IdempotentReply, NewReport, StoredReport
from safetynet.platform.messaging.uow import insert_soon
from safetynet.platform.storage import dialect_name
from safetynet.policy.repeat_window import repeat_window_start


# Statements on the request path, built once: building one costs more CPU than running
# it (every operand is coerced and the cache key is walked again on each build).
def _live_key(match: Any) -> Any:
    """The principal columns of a key that is neither revoked nor expired."""
    t = orm.api_keys.c
    return select(t.key_id, t.role, t.name, t.county, t.agency_type, t.unit).where(
        match, t.revoked_at.is_(None), or_(t.expires_at.is_(None), t.expires_at > bindparam("now"))
    )


_LIVE_KEY_BY_HASH = _live_key(orm.api_keys.c.key_hash == bindparam("key_hash"))
_LIVE_KEY_BY_ID = _live_key(orm.api_keys.c.key_id == bindparam("key_id"))
_LIVE_KEY_AND_EXPIRY_BY_HASH = _LIVE_KEY_BY_HASH.add_columns(orm.api_keys.c.expires_at)  # for the key cache
_SUBJECTS_SEEN = (
    select(orm.subject_index.c.subject_hash)
    .distinct()
    .where(
        orm.subject_index.c.subject_hash.in_(bindparam("hashes", expanding=True)),
        orm.subject_index.c.received_at < bindparam("received_at"),
        orm.subject_index.c.received_at > bindparam("window_start"),
    )
)


class KeyRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def add(self, principal: Principal, *, key_hash: str, expires_at: datetime | None = None) -> None:
        await self._session.execute(
            orm.api_keys.insert(),
            dict(**asdict(principal), key_hash=key_hash, created_at=datetime.now(UTC), expires_at=expires_at),
        )

    async def by_hash(self, key_hash: str) -> Principal | None:
        row = (await self._session.execute(_LIVE_KEY_BY_HASH, {"key_hash": key_hash, "now": datetime.now(UTC)})).first()
        return Principal(**row._mapping) if row else None

    async def live_by_hash(self, key_hash: str) -> LiveKey | None:
        """A live key's principal and when it expires: what the key cache keeps."""
        row = (
            await self._session.execute(_LIVE_KEY_AND_EXPIRY_BY_HASH, {"key_hash": key_hash, "now": datetime.now(UTC)})
        ).first()
        if row is None:
            return None
        *principal, expires_at = row
        return Principal(*principal), expires_at

    async def by_id(self, key_id: str) -> Principal | None:
        """The principal of a live key by its id: console sessions keep the id, never the secret."""
        row = (await self._session.execute(_LIVE_KEY_BY_ID, {"key_id": key_id, "now": datetime.now(UTC)})).first()
        return Principal(**row._mapping) if row else None

    async def stored(self, key_id: str) -> StoredKey | None:
        """A key as stored, live or not, without its hash: for revoking and rotating."""
        t = orm.api_keys.c
        row = (
            await self._session.execute(
                select(
                    t.key_id, t.role, t.name, t.county, t.agency_type, t.unit, t.created_at, t.revoked_at, t.expires_at
                ).where(t.key_id == key_id)
            )
        ).first()
        if row is None:
            return None
        principal = Principal(
            key_id=row.key_id,
            role=row.role,
            name=row.name,
            county=row.county,
            agency_type=row.agency_type,
            unit=row.unit,
        )
        return StoredKey(principal, created_at=row.created_at, revoked_at=row.revoked_at, expires_at=row.expires_at)

    async def revoke(self, key_id: str, *, at: datetime) -> bool:
        """Revoke a key that is not revoked yet; False if there is none."""
        t = orm.api_keys.c
        result = await self._session.execute(
            orm.api_keys.update().where(t.key_id == key_id, t.revoked_at.is_(None)).values(revoked_at=at)
        )
        if result.rowcount:
            await announce_revocation(self._session, key_id)  # every process's key cache, on commit
        return bool(result.rowcount)


class ReportRepository:
    """Reports, their personal part sealed on the way in and opened on the way out."""

    def __init__(self, session: AsyncConnection, cipher: ReportCipher | None = None):
        self._session = session
        self._cipher = cipher

    @property
    def cipher(self) -> ReportCipher:
        if self._cipher is None:
            raise RuntimeError("this unit of work has no key ring: personal data cannot be read or written")
        return self._cipher

    async def lock_subjects(self, subject_hashes: Iterable[str]) -> None:
        """Serialize acceptance per subject, so 'named in an earlier report' is exact
        even when two replicas accept reports on the same person at once."""
        if dialect_name(self._session) != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE already serializes every writer
        keys = sorted({zlib.crc32(h.encode()) for h in subject_hashes})  # one global order: no deadlocks
        if keys:  # in one round trip, taken in the order of the sorted subquery
            await self._session.execute(
                text(
                    "SELECT count(pg_advisory_xact_lock(k)) FROM "
                    "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
                ),
                {"keys": keys},
            )

    async def subjects_seen_since(self, subject_hashes: Iterable[str], *, received_at: datetime) -> set[str]:
        hashes = sorted(set(subject_hashes))
        if not hashes:
            return set()
        rows = await self._session.execute(
            _SUBJECTS_SEEN,
            {"hashes": hashes, "received_at": received_at, "window_start": repeat_window_start(received_at)},
        )
        return {r.subject_hash for r in rows}

    async def add(self, *, report: NewReport, subject_hashes: Iterable[str]) -> None:
        """Store a report; its `submission`'s personal part is sealed, never stored readable."""
        sealed = self.cipher.seal(report["report_id"], report["submission"])
        # Written at commit with the view, timeline and event (one round trip): nothing
        # in the accepting transaction reads them back.
        await insert_soon(self._session, orm.reports, [dict(**{**report, **sealed})])
        rows = [
            dict(subject_hash=h, report_id=report["report_id"], received_at=report["received_at"])
            for h in sorted(set(subject_hashes))
        ]
        await insert_soon(self._session, orm.subject_index, rows)

    async def get(self, report_id: str, *, personal: bool = True) -> StoredReport | None:
        """The report with its whole submission (`personal`), or only its non-personal
        facts; `pseudonymised_at` tells when retention purged the personal part."""
        row = (await self._session.execute(select(orm.reports).where(orm.reports.c.report_id == report_id))).first()
        if row is None:
            return None
        values = dict(row._mapping)
        if personal:
            values["submission"] = self.cipher.reveal(report_id, values)
        for column in SEALED_COLUMNS:
            values.pop(column)
        return cast(StoredReport, values)  # the row's columns, less the sealed ones

    async def traces(self, report_ids: list[str]) -> dict[str, dict[str, str]]:
        """The W3C trace context each report was accepted in."""
        if not report_ids:
            return {}
        t = orm.reports.c
        rows = await self._session.execute(select(t.report_id, t.trace).where(t.report_id.in_(report_ids)))
        return {r.report_id: r.trace for r in rows if r.trace}

    async def ownership(self, report_id: str) -> ReportOwnership | None:
        t = orm.reports.c
        row = (
            await self._session.execute(
                select(t.county, t.agency_name, t.agency_county, t.agency_type).where(t.report_id == report_id)
            )
        ).first()
        if row is None:
            return None
        view = await ViewRepository(self._session).get(report_id)
        return ReportOwnership(
            county=row.county,
            agency_name=row.agency_name,
            units=view.units if view else frozenset(),
            agency_county=row.agency_county,
            agency_type=row.agency_type,
        )


class IdempotencyRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def get(self, *, key_id: str, idempotency_key: str) -> IdempotentReply | None:
        t = orm.idempotency_keys.c
        row = (
            await self._session.execute(
                select(t.body_sha256, t.status_code, t.response).where(
                    t.key_id == key_id, t.idempotency_key == idempotency_key
                )
            )
        ).first()
        return (
            IdempotentReply(body_sha256=row.body_sha256, status_code=row.status_code, response=row.response)
            if row
            else None
        )

    async def add(
        self,
        *,
        key_id: str,
        idempotency_key: str,
        body_sha256: str,
        report_id: str,
        status_code: int,
        response: AcceptedBody,
    ) -> None:
        await self._session.execute(
            orm.idempotency_keys.insert(),
            dict(
                key_id=key_id,
                idempotency_key=idempotency_key,
                body_sha256=body_sha256,
                report_id=report_id,
                status_code=status_code,
                response=response,
                created_at=datetime.now(UTC),
            ),
        )
