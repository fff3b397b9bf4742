"""The early-intervention records (orm.early_interventions): kept by the projection of
screening's decision and of notify's NotificationSent (in either order), read by the
month's network-meeting list."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.early_intervention import FlaggedReport, notified_at, with_attempt
from safetynet.platform.storage import insert_or_lock

_t = orm.early_interventions


def _stored(notices: Mapping[str, datetime | None]) -> dict[str, str | None]:
    return {who: at.isoformat() if at else None for who, at in notices.items()}


def _loaded(stored: Mapping[str, str | None] | None) -> dict[str, datetime | None]:
    return {who: datetime.fromisoformat(at) if at else None for who, at in (stored or {}).items()}


class EarlyInterventionRecords:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def flag(self, report_id: str, *, received_at: datetime, at: datetime) -> None:
        """Screening marked the report a severe child-abuse case (again: no change)."""
        row = await self._locked(report_id, received_at=received_at)
        if row is not None and row.flagged_at is None:
            await self._session.execute(_t.update().where(_t.c.report_id == report_id).values(flagged_at=at))

    async def record_attempt(
        self, report_id: str, *, received_at: datetime, recipient: str, delivered_at: datetime | None
    ) -> None:
        """One delivery attempt of the notice to `recipient` (None: it failed)."""
        row = await self._locked(report_id, received_at=received_at)
        if row is None:
            return
        notices = with_attempt(_loaded(row.notices), recipient=recipient, delivered_at=delivered_at)
        await self._session.execute(
            _t.update()
            .where(_t.c.report_id == report_id)
            .values(notices=_stored(notices), notified_at=notified_at(notices))
        )

    async def month(self, county: str, start: datetime, end: datetime) -> list[FlaggedReport]:
        """The county's records of reports received in `[start, end)`, with the report's
        place, categories and routing state."""
        r, v = orm.reports.c, orm.report_views.c
        rows = await self._session.execute(
            select(
                _t.c.report_id,
                _t.c.received_at,
                _t.c.notices,
                _t.c.notified_at,
                r.township,
                r.categories,
                v.risk_level,
                v.status,
                v.referrals,
            )
            .select_from(
                _t.join(orm.reports, r.report_id == _t.c.report_id).outerjoin(
                    orm.report_views, v.report_id == _t.c.report_id
                )
            )
            .where(_t.c.county == county, _t.c.received_at >= start, _t.c.received_at < end)
            .order_by(_t.c.received_at, _t.c.report_id)
        )
        return [
            FlaggedReport(
                report_id=row.report_id,
                received_at=row.received_at,
                township=row.township,
                categories=list(row.categories),
                risk_level=row.risk_level,
                status=row.status,
                referrals=row.referrals or [],
                notices=_loaded(row.notices),
                notified_at=row.notified_at,
            )
            for row in rows
        ]

    async def _locked(self, report_id: str, *, received_at: datetime) -> Any:
        """The report's record, created if missing and locked until the transaction ends
        (a decision and a notice of one report may be projected at once); None for a
        report this intake does not hold."""
        county = (
            await self._session.execute(select(orm.reports.c.county).where(orm.reports.c.report_id == report_id))
        ).scalar()
        if county is None:
            return None
        values = dict(report_id=report_id, county=county, received_at=received_at, notices={})
        return (await self._session.execute(*insert_or_lock(self._session, _t, values, conflict="report_id"))).one()
