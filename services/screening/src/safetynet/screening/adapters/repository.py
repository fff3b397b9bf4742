"""Reads and writes of screening's state."""

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.screening.adapters.orm import decisions
from safetynet.screening.domain import Decision


class ScreeningRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def add_decision(self, *, report_id: str, county: str, decision: Decision) -> None:
        await self._session.execute(
            decisions.insert(),
            dict(
                report_id=report_id,
                county=county,
                rule_version=decision.rule_version,
                risk_level=decision.risk_level,
                decision=asdict(decision),
                decided_at=datetime.now(UTC),
            ),
        )
