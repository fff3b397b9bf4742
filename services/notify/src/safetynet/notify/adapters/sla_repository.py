"""Reads and writes of SLA clocks and their timers."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.orm import sla_clocks, timers
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.notify.domain import SlaClock, Timer
from safetynet.platform import driver
from safetynet.platform.messaging.outbox import current_trace
from safetynet.platform.storage import insert_ignoring_conflict, insert_or_lock

# Built once: building a statement costs more CPU than running it.
_SAVE_CLOCK = sla_clocks.update().where(sla_clocks.c.report_id == bindparam("clock_report_id"))
_CANCEL_TIMERS = timers.delete().where(timers.c.report_id == bindparam("timers_report_id"), timers.c.fired_at.is_(None))


class SlaRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def lock(self, report_id: str, *, county: str) -> SlaClock:
        """The report's clock, locked until the transaction ends; a blank one the first
        time the report is heard of. Insert-then-lock, so two replicas that hear of the
        same report at once both end up holding the one row, one after the other."""
        # On the driver, as save() and cancel(): every event notify handles runs them.
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
        return _to_clock(row)

    async def save(self, clock: SlaClock) -> None:
        await driver.execute(
            self._session,
            _SAVE_CLOCK,
            dict(
                clock_report_id=clock.report_id,
                received_at=clock.received_at,
                due_at=clock.due_at,
                state=clock.state,
                closed_at=clock.closed_at,
                snapshot_seq=clock.snapshot_seq,
                deadline_from_screening=clock.deadline_from_screening,
                updated_at=_now(),
            ),
        )

    async def replan(self, report_id: str, planned: Sequence[Timer]) -> None:
        """Make `planned` the report's unfired timers; a timer that already fired stays
        fired, so a new deadline never repeats a warning: a fired timer keeps its row, and
        the planned one with its key is not inserted."""
        await self.cancel(report_id)
        rows = [dict(report_id=report_id, kind=p.kind, index=p.index, fire_at=p.fire_at) for p in planned]
        if rows:
            statement, _ = insert_ignoring_conflict(self._session, timers, rows[0], conflict="report_id, kind, index")
            await self._session.execute(statement, rows)

    async def cancel(self, report_id: str) -> None:
        """Drop the report's unfired timers (it was met or breached)."""
        await driver.execute(self._session, _CANCEL_TIMERS, {"timers_report_id": report_id})

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
            clock = clocks.setdefault(fields["report_id"], _to_clock(fields))
            # By key: `row.index` reads as the tuple method to a type checker.
            due.append((clock, Timer(row.kind, row._mapping["index"], row.fire_at)))
        return due

    async def mark_fired(self, report_id: str, timer: Timer, *, at: datetime) -> None:
        t = timers.c
        await self._session.execute(
            timers.update()
            .where(t.report_id == report_id, t.kind == timer.kind, t.index == timer.index)
            .values(fired_at=at)
        )

    async def get(self, report_id: str) -> SlaClock | None:
        row = (await self._session.execute(select(sla_clocks).where(sla_clocks.c.report_id == report_id))).one_or_none()
        return _to_clock(row) if row else None


def _to_clock(row: Row[Any] | dict[str, Any]) -> SlaClock:
    m = row._mapping if isinstance(row, Row) else row
    return SlaClock(
        report_id=m["report_id"],
        county=m["county"],
        received_at=m["received_at"],
        due_at=m["due_at"],
        state=m["state"],
        closed_at=m["closed_at"],
        snapshot_seq=m["snapshot_seq"],
        deadline_from_screening=m["deadline_from_screening"],
        trace=m.get("trace") or {},
    )


def _now() -> datetime:
    # Bookkeeping only; SLA decisions use the injected clock.
    return datetime.now(UTC)
