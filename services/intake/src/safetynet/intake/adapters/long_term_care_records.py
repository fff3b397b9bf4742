"""When each referral was in long-term care (orm.long_term_care, issue 14): kept by the
projection of routing's referral events, read by the KPIs (follow-ups)."""

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm

_t = orm.long_term_care


class LongTermCareRecords:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def placed(self, *, referral_id: str, report_id: str, at: datetime) -> None:
        """The referral went into long-term care at `at`; a renewal keeps the first time."""
        # A report's events are consumed in order, one at a time (its partition): a read,
        # then an insert, cannot race another placement of the same referral.
        if await self._session.scalar(select(_t.c.since).where(_t.c.referral_id == referral_id)) is None:
            await self._session.execute(insert(_t).values(referral_id=referral_id, report_id=report_id, since=at))

    async def closed(self, *, referral_id: str, at: datetime) -> None:
        """The referral was closed at `at`: its long-term care (if any) ended then."""
        await self._session.execute(
            update(_t).where(_t.c.referral_id == referral_id, _t.c.until.is_(None)).values(until=at)
        )
