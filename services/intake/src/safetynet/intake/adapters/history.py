"""The subject history's queries: which other reports of a county name the same people
as a report, matched by the keyed hashes in intake_subject_index (never by raw ID)."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.history import PastReport


class SubjectHistoryRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def subject_hashes(self, report_id: str) -> set[str]:
        """The keyed hashes of a report's subjects (those with a national ID)."""
        s = orm.subject_index.c
        return set((await self._session.execute(select(s.subject_hash).where(s.report_id == report_id))).scalars())

    async def same_subjects(self, report_id: str, *, county: str, limit: int) -> tuple[list[PastReport], int]:
        """The county's other reports naming a subject of `report_id`, newest first, at
        most `limit`, each with the hashes it shares and its current view; and how many
        there are in all."""
        mine, theirs = orm.subject_index.alias("mine"), orm.subject_index.alias("theirs")
        r = orm.reports.c
        shared_rows = await self._session.execute(
            select(theirs.c.report_id, theirs.c.subject_hash)
            .join(mine, mine.c.subject_hash == theirs.c.subject_hash)
            .join(orm.reports, r.report_id == theirs.c.report_id)
            .where(mine.c.report_id == report_id, theirs.c.report_id != report_id, r.county == county)
        )
        shared: dict[str, set[str]] = defaultdict(set)
        for row in shared_rows:
            shared[row.report_id].add(row.subject_hash)
        if not shared:
            return [], 0
        v = orm.report_views.c
        rows = await self._session.execute(
            select(
                r.report_id,
                r.received_at,
                r.categories,
                r.agency_type,
                v.status,
                v.risk_level,
                v.urgent,
                v.direct_dispatch,
                v.referrals,
            )
            .select_from(orm.reports.outerjoin(orm.report_views, v.report_id == r.report_id))
            .where(r.report_id.in_(sorted(shared)))
            .order_by(r.received_at.desc(), r.report_id)
            .limit(limit)
        )
        found = [
            PastReport(
                report_id=row.report_id,
                received_at=row.received_at,
                categories=list(row.categories),
                agency_type=row.agency_type,
                status=row.status or "received",
                risk_level=row.risk_level,
                urgent=bool(row.urgent),
                direct_dispatch=bool(row.direct_dispatch),
                referrals=list(row.referrals or []),
                shared_hashes=frozenset(shared[row.report_id]),
            )
            for row in rows
        ]
        return found, len(shared)
