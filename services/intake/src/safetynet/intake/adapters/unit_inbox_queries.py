"""The reads behind a unit's console inbox: the reports referred to one unit (through the
referral index, routing's record of which unit holds which referral) and the timeline ids
of those reports, for the unit's own event stream. No personal data is read here."""

from dataclasses import fields
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.reports import ReportFacts
from safetynet.intake.domain.views import ReportView

# The view's own columns: the table also holds columns derived for the lists (issue 10).
_VIEW_COLUMNS = tuple(orm.report_views.c[f.name] for f in fields(ReportView))


class UnitInboxQueries:
    def __init__(self, session: AsyncConnection):
        self._session = session

    def _referred_to(self, unit: str) -> Select[tuple[str]]:
        ri = orm.referral_index.c
        return select(ri.report_id).where(ri.unit == unit)

    async def referred_reports(self, unit: str, *, changed_since: datetime) -> list[tuple[ReportView, ReportFacts]]:
        """Reports referred to `unit` that are still open, or whose view changed since
        `changed_since` (a closed report drops out once its closing is older than that).
        The caller picks the unit's own referrals out of each view."""
        v, r = orm.report_views.c, orm.reports.c
        rows = await self._session.execute(
            select(*_VIEW_COLUMNS, r.county.label("report_county"), r.township, r.categories, r.received_at)
            .join(orm.reports, r.report_id == v.report_id)
            .where(
                v.report_id.in_(self._referred_to(unit)),
                or_(v.status != "closed", v.updated_at >= changed_since),
            )
        )
        out = []
        for row in rows:
            values = dict(row._mapping)
            facts = ReportFacts(
                county=values.pop("report_county"),
                township=values.pop("township"),
                categories=values.pop("categories"),
                received_at=values.pop("received_at"),
            )
            out.append((ReportView(**values), facts))
        return out

    async def recent_timeline_ids(self, unit: str, *, window: int) -> set[int]:
        """The timeline ids, among the newest `window` of all, of reports referred to `unit`."""
        t = orm.timeline.c
        newest = select(func.coalesce(func.max(t.id), 0) - window).scalar_subquery()
        query = select(t.id).where(t.id > newest, t.report_id.in_(self._referred_to(unit)))
        return set((await self._session.execute(query)).scalars())
