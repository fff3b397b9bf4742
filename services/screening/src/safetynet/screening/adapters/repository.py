"""Reads and writes of screening's state."""

from dataclasses import asdict
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from safetynet.screening.adapters.orm import closed_referrals, decisions
from safetynet.screening.domain import ClosedReferral, Decision


class ScreeningRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def closed_referrals_for(self, subject_hashes: Iterable[str], *, since: datetime) -> list[ClosedReferral]:
        hashes = sorted(set(subject_hashes))
        if not hashes:
            return []
        t = closed_referrals.c
        rows = await self._session.execute(
            select(t.subject_hash, t.kind, t.unit, t.closed_at)
            .where(t.subject_hash.in_(hashes), t.closed_at >= since)
        )
        return [ClosedReferral(subject_hash=r.subject_hash, kind=r.kind, unit=r.unit, closed_at=r.closed_at)
                for r in rows]

    async def add_closed_referral(self, *, referral_id: str, subject_hashes: Iterable[str], kind: str,
                                  unit: str, closed_at: datetime) -> None:
        for subject_hash in sorted(set(subject_hashes)):
            await self._session.execute(closed_referrals.insert().values(
                referral_id=referral_id, subject_hash=subject_hash, kind=kind, unit=unit, closed_at=closed_at))

    async def add_decision(self, *, report_id: str, county: str, decision: Decision) -> None:
        await self._session.execute(decisions.insert().values(
            report_id=report_id, county=county, rule_version=decision.rule_version,
            risk_level=decision.risk_level, decision=asdict(decision),
            decided_at=datetime.now(timezone.utc)))
