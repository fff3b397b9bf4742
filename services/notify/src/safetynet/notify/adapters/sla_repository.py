"""Reads and writes of SLA clocks and their timers."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.clock_batch import ClockMap, to_clock
from safetynet.notify.adapters.orm import sla_clocks, timers
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.notify.domain import SlaClock, Timer
from safetynet.platform import driver
from safetynet.platform.messaging.outbox import current_trace
from safetynet.platform.messaging.uow import TransactionScope
from safetynet.platform.storage import insert_or_lock


class SlaRepository:
    """The clocks and timers of a transaction: read through the transaction's ClockMap
    (one lock for a consumer batch's reports) and written just before it commits."""

    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        self._session = session
        self._scope = scope or TransactionScope()

    @property
    def _map(self) -> ClockMap:
        return ClockMap.of(self._scope, self._session)

    async def lock(self, report_id: str, *, county: str) -> SlaClock:
        """The report's clock, locked until the transaction ends; a blank one the first
        time the report is heard of. Insert-then-lock, so two replicas that hear of the
        same report at once both end up holding the one row, one after the other. In a
        consumer batch the first call locks every report's clock (clock_batch.py)."""
        clocks = self._map
        clock = clocks.asked(report_id, county)
        if clock is None and not clocks.loaded and report_id in self._scope.report_ids:
            await clocks.lock_batch(self._scope.report_ids)
            clock = clocks.asked(report_id, county)
        if clock is None:
            clock = clocks.clocks[report_id] = await self._lock_one(report_id, county)
        return clock

    async def _lock_one(self, report_id: str, county: str) -> SlaClock:
        # On the driver: a lone unit of work (or a report new to SQLite) runs it per event.
        rows = await driver.fetch_all(
            self._session,
            *insert_or_lock(
                self._session,
                sla_clocks,
                dict(
                    report_id=report_id,
                    county=county,
                    state="open",
                    deadline_from_screening=False,
                    updated_at=_now(),
                    trace=current_trace(),
                ),
                conflict="report_id",
            ),
        )
        (row,) = rows
        return to_clock(row)

    async def save(self, clock: SlaClock) -> None:
        """Keep `clock`'s state: written with the transaction's other clocks at commit."""
        self._map.save(clock)

    async def replan(self, report_id: str, planned: Sequence[Timer]) -> None:
        """Make `planned` the report's unfired timers; a timer that already fired stays
        fired, so a new deadline never repeats a warning: a fired timer keeps its row, and
        the planned one with its key is not inserted. Written at commit."""
        self._map.replan(report_id, planned)

    async def cancel(self, report_id: str) -> None:
        """Drop the report's unfired timers (it was met or breached), at commit."""
        self._map.replan(report_id, ())

    async def lock_due(self, now: datetime, *, limit: int) -> list[tuple[SlaClock, Timer]]:
        """Unfired timers due at `now`, oldest first, each with its report's clock; both
        rows locked. On PostgreSQL, SKIP LOCKED hands each due timer to one replica and
        never waits behind a consumer that holds the report; on SQLite the transaction
        already holds the database's write lock (BEGIN IMMEDIATE)."""
        t, c = timers.c, sla_clocks.c
        query = (
            select(t.kind, t.index, t.fire_at, *[col.label(f"clock_{col.name}") for col in sla_clocks.c])
            .join_from(timers, sla_clocks, t.report_id == c.report_id)
            .where(t.fired_at.is_(None), t.fire_at <= now)
            # fire_at alone: the partial index yields rows in this order, so the scan stops
            # at `limit`. A report's warnings always fall strictly before its deadline.
            .order_by(t.fire_at)
            .limit(limit)
        )
        if is_postgresql(self._session):
            query = query.with_for_update(skip_locked=True)
        rows = (await self._session.execute(query)).all()
        clocks: dict[str, SlaClock] = {}
        due: list[tuple[SlaClock, Timer]] = []
        for row in rows:
            fields = {k.removeprefix("clock_"): v for k, v in row._mapping.items() if k.startswith("clock_")}
            # One clock object per report, so that a warning and the breach due in the
            # same tick see each other's state change.
            clock = clocks.setdefault(fields["report_id"], to_clock(fields))
            # By key: `row.index` reads as the tuple method to a type checker.
            due.append((clock, Timer(row.kind, row._mapping["index"], row.fire_at)))
        held = self._map.clocks  # this transaction holds them now, as if lock() had taken them
        for report_id, clock in clocks.items():
            held[report_id] = clock
        return due

    async def mark_fired(self, report_id: str, timer: Timer, *, at: datetime) -> None:
        t = timers.c
        await self._session.execute(
            timers.update()
            .where(t.report_id == report_id, t.kind == timer.kind, t.index == timer.index)
            .values(fired_at=at)
        )

    async def get(self, report_id: str) -> SlaClock | None:
        """The clock as this transaction has it (unlocked); None if the report has none."""
        clocks = self._map
        if report_id in clocks.unasked:
            return None  # a row the batch's lock made, deleted again at commit
        held = clocks.clocks.get(report_id)  # every clock this transaction changed is held
        if held is not None:
            return held
        row = (await self._session.execute(select(sla_clocks).where(sla_clocks.c.report_id == report_id))).one_or_none()
        return to_clock(dict(row._mapping)) if row else None


def _now() -> datetime:
    # Bookkeeping only; SLA decisions use the injected clock.
    return datetime.now(UTC)
