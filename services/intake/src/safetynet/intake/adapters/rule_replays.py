"""The console's what-if replays (orm.rule_replays): asked for here, answered by screening."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm

_t = orm.rule_replays


class RuleReplays:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def add(
        self,
        *,
        replay_id: str,
        county: str,
        requested_by: str,
        requested_key_id: str,
        requested_at: datetime,
        first_day: str,
        last_day: str,
        candidate_version: str | None,
        candidate: dict[str, Any],
    ) -> None:
        await self._session.execute(
            _t.insert(),
            dict(
                replay_id=replay_id,
                county=county,
                requested_by=requested_by,
                requested_key_id=requested_key_id,
                requested_at=requested_at,
                first_day=first_day,
                last_day=last_day,
                candidate_version=candidate_version,
                candidate=candidate,
                status="requested",
            ),
        )

    async def complete(
        self,
        *,
        replay_id: str,
        status: str,
        candidate_version: str | None,
        error: str | None,
        summary: dict[str, Any] | None,
        completed_at: datetime,
    ) -> bool:
        """Record screening's answer; False when no such replay was asked for here."""
        done = await self._session.execute(
            _t.update()
            .where(_t.c.replay_id == replay_id)
            .values(
                status=status,
                candidate_version=candidate_version,
                error=error[:2000] if error else None,
                summary=summary,
                completed_at=completed_at,
            )
        )
        return bool(done.rowcount)

    async def of_county(self, county: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The county's latest replays, newest first, without their summaries."""
        rows = await self._session.execute(
            select(
                _t.c.replay_id,
                _t.c.requested_by,
                _t.c.requested_at,
                _t.c.first_day,
                _t.c.last_day,
                _t.c.candidate_version,
                _t.c.status,
                _t.c.completed_at,
            )
            .where(_t.c.county == county)
            .order_by(_t.c.requested_at.desc())
            .limit(limit)
        )
        return [dict(row._mapping) for row in rows]

    async def one(self, replay_id: str, *, county: str) -> dict[str, Any] | None:
        """One replay of `county` with its summary; None for another county's or an unknown id."""
        row = (
            await self._session.execute(select(_t).where(_t.c.replay_id == replay_id, _t.c.county == county))
        ).first()
        return dict(row._mapping) if row else None
