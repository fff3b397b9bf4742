"""Reads and writes of the report views, the referral index and the timeline: the read
model the other services' events are projected into (service_layer/projections.py)."""

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.case_links import read_case_links
from safetynet.intake.adapters.view_batch import VIEW_COLUMNS, ViewBatch, read_views, view_row
from safetynet.intake.domain.case_links import CaseLinks
from safetynet.intake.domain.timeline import NewEntry, TimelineEntry
from safetynet.intake.domain.views import Referral, ReportView
from safetynet.platform import driver
from safetynet.platform.messaging.uow import TransactionScope, insert_soon
from safetynet.platform.storage import insert_ignoring_conflict

_VIEW = select(*VIEW_COLUMNS).where(orm.report_views.c.report_id == bindparam("report_id"))
_SAVE_VIEW = orm.report_views.update().where(orm.report_views.c.report_id == bindparam("view_report_id"))


class ViewRepository:
    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        """`scope`: the unit of work's (view_batch.py: the batch's views read once, written
        before commit); without one every read and write is its own statement."""
        self._session = session
        self._scope = scope

    def _batch(self) -> ViewBatch | None:
        return ViewBatch.of(self._session, self._scope) if self._scope is not None else None

    async def get(self, report_id: str) -> ReportView | None:
        batch = self._scope.memo.get(ViewBatch) if self._scope is not None else None
        if isinstance(batch, ViewBatch) and report_id in batch.found:
            return batch.known(report_id)  # as this transaction changed it, not yet written
        row = (await self._session.execute(_VIEW, {"report_id": report_id})).first()
        return ReportView(**row._mapping) if row else None

    async def get_with_received_at(self, report_id: str) -> tuple[ReportView, datetime] | None:
        """The view and when its report was received; in a consumer batch, read with
        every other report's of the batch in one round trip (view_batch.py)."""
        batch = self._batch()
        if batch is not None:
            return await batch.get(report_id)
        return (await read_views(self._session, [report_id])).get(report_id)

    async def save(self, view: ReportView) -> None:
        """The view, with the lists' columns derived from it (before commit in a batch)."""
        batch = self._batch()
        if batch is not None and batch.save(view):
            return
        values = view_row(view, updated_at=datetime.now(UTC))
        await driver.execute(self._session, _SAVE_VIEW, {**values, "view_report_id": view.report_id})

    async def add(self, view: ReportView, *, county: str) -> None:
        """A new report's view, written at commit with the report (see ReportRepository.add)."""
        values = {**view_row(view, updated_at=datetime.now(UTC)), "county": county}
        await insert_soon(self._session, orm.report_views, [values])

    async def index_referrals(self, report_id: str, referrals: list[Referral]) -> None:
        """Remember which report and unit each referral belongs to (idempotent)."""
        if not referrals:
            return
        rows = [
            dict(referral_id=r["referral_id"], report_id=report_id, unit=r["unit"], linked_to=r.get("linked_to"))
            for r in referrals
        ]
        batch = self._batch()
        if batch is not None:  # nothing in the projection's transaction reads the index back
            batch.index_referrals(rows)
            return
        statement, _ = insert_ignoring_conflict(self._session, orm.referral_index, rows[0], conflict="referral_id")
        await self._session.execute(statement, rows)

    async def case_links(self, referrals: list[Referral]) -> CaseLinks:
        """The links of rule 1 (併案) both ways, for a report with these referrals."""
        return await read_case_links(self._session, referrals)

    async def report_of_referral(self, referral_id: str) -> str | None:
        t = orm.referral_index.c
        return await self._session.scalar(select(t.report_id).where(t.referral_id == referral_id))

    async def referral_holder(self, referral_id: str) -> tuple[str, str] | None:
        """(report id, unit) of a referral intake knows of."""
        t = orm.referral_index.c
        row = (await self._session.execute(select(t.report_id, t.unit).where(t.referral_id == referral_id))).first()
        return (row.report_id, row.unit) if row else None

    async def add_timeline(
        self, *, report_id: str, event_id: str, at: datetime, event: str, actor: str, detail: str | None = None
    ) -> None:
        await self.add_timeline_entries(
            report_id=report_id, event_id=event_id, entries=[NewEntry(at, event, actor, detail)]
        )

    async def add_timeline_entries(self, *, report_id: str, event_id: str, entries: Iterable[NewEntry]) -> None:
        rows = [
            dict(report_id=report_id, event_id=event_id, at=at, event=event, actor=actor, detail=detail)
            for at, event, actor, detail in entries
        ]
        # Within a consumer batch, one insert for the whole batch's entries.
        await insert_soon(self._session, orm.timeline, rows)

    async def timeline(self, report_id: str) -> list[TimelineEntry]:
        t = orm.timeline.c
        rows = await self._session.execute(
            select(t.at, t.event, t.actor, t.detail).where(t.report_id == report_id).order_by(t.at, t.id)
        )
        return [TimelineEntry(at=r.at, event=r.event, actor=r.actor, detail=r.detail) for r in rows]

    async def newest_timeline_id(self) -> int:
        """Timeline ids only grow: the newest is a watermark of every change so far."""
        return int(await self._session.scalar(select(func.coalesce(func.max(orm.timeline.c.id), 0))) or 0)

    async def recent_timeline_ids(self, county: str, *, window: int) -> set[int]:
        """The county's timeline ids among the newest `window` of all counties: an index
        range scan on the primary key, however long the timeline."""
        t, r = orm.timeline.c, orm.reports.c
        newest = select(func.coalesce(func.max(t.id), 0) - window).scalar_subquery()
        query = (
            select(t.id)
            .select_from(orm.timeline.join(orm.reports, r.report_id == t.report_id))
            .where(t.id > newest, r.county == county)
        )
        return set((await self._session.execute(query)).scalars())
