"""Console sessions as stored: only a hash of each session id, never the id itself."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from safetynet.intake.adapters import orm


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class LiveSession:
    key_id: str
    last_seen_at: datetime


class SessionRepository:
    def __init__(self, session: Any):  # a connection or session: anything that executes
        self._session = session

    async def start(self, *, session_id: str, key_id: str, now: datetime, expires_at: datetime) -> None:
        await self._session.execute(
            orm.console_sessions.insert(),
            dict(
                session_hash=session_hash(session_id),
                key_id=key_id,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            ),
        )

    async def live(self, session_id: str, *, now: datetime, idle_since: datetime) -> LiveSession | None:
        """The session if it is neither ended, expired nor idle since before `idle_since`."""
        t = orm.console_sessions.c
        row = (
            await self._session.execute(
                select(t.key_id, t.last_seen_at).where(
                    t.session_hash == session_hash(session_id),
                    t.ended_at.is_(None),
                    t.expires_at > now,
                    t.last_seen_at > idle_since,
                )
            )
        ).first()
        return LiveSession(key_id=row.key_id, last_seen_at=row.last_seen_at) if row else None

    async def touch(self, session_id: str, *, now: datetime) -> None:
        t = orm.console_sessions.c
        await self._session.execute(
            orm.console_sessions.update().where(t.session_hash == session_hash(session_id)).values(last_seen_at=now)
        )

    async def end(self, session_id: str, *, now: datetime) -> None:
        t = orm.console_sessions.c
        await self._session.execute(
            orm.console_sessions.update()
            .where(t.session_hash == session_hash(session_id), t.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def end_for_key(self, key_id: str, *, now: datetime) -> None:
        t = orm.console_sessions.c
        await self._session.execute(
            orm.console_sessions.update().where(t.key_id == key_id, t.ended_at.is_(None)).values(ended_at=now)
        )
