"""The SLA clocks and timers of one transaction, read once and written once.

A consumer batch holds events of many reports, and notify handles each of them by
locking the report's clock, moving it, saving it and re-planning its timers. Done per
event that is four or five round trips; done per batch it is a handful in all:

- the first clock asked for locks the clocks of every report of the batch in ONE
  statement (`TransactionScope.report_ids`), in report order so two replicas never
  deadlock. On PostgreSQL it is an insert-or-lock of them all: a report heard of for the
  first time gets its row inserted (and so locked) at once, which keeps the guarantee of
  the single insert-then-lock: two replicas that hear of a new report together both end
  up holding the one row, one after the other. A row inserted for a report whose events
  in the batch never ask for its clock (a referral's event, say) is deleted again before
  the commit, so nothing outside the transaction ever sees it. On SQLite the transaction
  holds the database's write lock already: the existing clocks are read in one SELECT
  and a new one is inserted when it is asked for.
- later events of the same report get the same clock object (an identity map), so the
  second sees the first's change exactly as if the first had been committed;
- saved clocks and the timers' re-plans are written just before the commit: one UPDATE
  of every changed clock, one DELETE of the unfired timers of every re-planned report and
  one INSERT of the planned ones (ignoring a key that already fired, so a fired timer is
  never planned again). A report's last re-plan in the batch wins, as it would have
  one after the other: only unfired timers are ever deleted, whatever came before.

Nothing outside the transaction reads these rows before it commits (the scheduler and
other replicas see committed rows only), and inside a consumer's transaction the clocks
are read through this map only.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Boolean, String, bindparam, column, text
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.orm import sla_clocks, timers
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.notify.domain import SlaClock, Timer
from safetynet.platform import driver
from safetynet.platform.messaging.bulk import insert_many_ignoring_conflict, update_many
from safetynet.platform.messaging.outbox import current_trace
from safetynet.platform.storage import UtcDateTime

_MAP = object()  # the key of a transaction's ClockMap in TransactionScope.memo
_REPORT_ID_LENGTH = 36  # sla_clocks.report_id: an id that does not fit never has a clock

_CLOCK = sla_clocks.fullname
_TIMERS = timers.fullname
_Ids = ARRAY(String)

# PostgreSQL; built once (a statement costs more CPU to build than to run).
_LOCK_ALL = (
    text(
        f"INSERT INTO {_CLOCK} (report_id, county, state, deadline_from_screening, updated_at) "
        "SELECT id, '', 'open', false, :now FROM unnest(CAST(:ids AS VARCHAR[])) AS u(id) ORDER BY id "
        "ON CONFLICT (report_id) DO UPDATE SET report_id = excluded.report_id "
        f"RETURNING {', '.join(c.name for c in sla_clocks.c)}, (xmax = 0) AS created"
    )
    .bindparams(bindparam("ids", type_=_Ids), bindparam("now", type_=UtcDateTime))
    .columns(*sla_clocks.c, column("created", Boolean))
)
_DELETE_UNASKED = text(f"DELETE FROM {_CLOCK} WHERE report_id = ANY(CAST(:ids AS VARCHAR[]))").bindparams(
    bindparam("ids", type_=_Ids)
)
_CANCEL_ALL = text(
    f"DELETE FROM {_TIMERS} WHERE report_id = ANY(CAST(:ids AS VARCHAR[])) AND fired_at IS NULL"
).bindparams(bindparam("ids", type_=_Ids))


class ClockMap:
    """One transaction's clocks by report, and what to write before it commits."""

    def __init__(self, session: AsyncConnection):
        self._session = session
        self.clocks: dict[str, SlaClock] = {}
        self.loaded = False  # the batch's clocks were locked together
        self.unasked: set[str] = set()  # rows inserted by that lock that no event asked for
        self.dirty: dict[str, SlaClock] = {}
        self.plans: dict[str, list[Timer]] = {}  # report → its unfired timers from now on

    @staticmethod
    def of(scope: Any, session: AsyncConnection) -> "ClockMap":
        """The transaction's map; the first use registers its write before the commit."""
        found: ClockMap | None = scope.memo.get(_MAP)
        if found is None:
            found = scope.memo[_MAP] = ClockMap(session)
            scope.before_commit(found.flush)
        return found

    async def lock_batch(self, report_ids: Sequence[str]) -> None:
        """Lock the clocks of `report_ids` (the batch's reports) in one statement."""
        self.loaded = True
        ids = sorted({r for r in report_ids if r and len(r) <= _REPORT_ID_LENGTH} - set(self.clocks))
        if not ids:
            return
        if is_postgresql(self._session):
            rows = await driver.fetch_all(self._session, _LOCK_ALL, {"ids": ids, "now": _now()})
            for fields in rows:
                self.clocks[fields["report_id"]] = to_clock(fields)
                if fields["created"]:
                    self.unasked.add(fields["report_id"])
        else:  # the transaction holds SQLite's write lock: a plain read, new clocks made when asked for
            found = await self._session.execute(sla_clocks.select().where(sla_clocks.c.report_id.in_(ids)))
            for row in found:
                self.clocks[row.report_id] = to_clock(dict(row._mapping))

    def asked(self, report_id: str, county: str) -> SlaClock | None:
        """The clock of `report_id` if this transaction holds it; a row the batch lock
        inserted becomes the report's blank clock, as the single insert would make it."""
        clock = self.clocks.get(report_id)
        if clock is not None and report_id in self.unasked:
            self.unasked.discard(report_id)
            clock.county, clock.trace = county, current_trace()
            self.dirty[report_id] = clock
        return clock

    def save(self, clock: SlaClock) -> None:
        self.clocks[clock.report_id] = self.dirty[clock.report_id] = clock

    def replan(self, report_id: str, planned: Sequence[Timer]) -> None:
        self.plans[report_id] = list(planned)

    async def flush(self) -> None:
        """Write every saved clock and every re-plan, a statement for each kind."""
        dirty, plans, unasked = list(self.dirty.values()), self.plans, sorted(self.unasked)
        self.dirty, self.plans, self.unasked = {}, {}, set()
        s, now = self._session, _now()
        await update_many(s, sla_clocks, "report_id", [_clock_row(clock, now) for clock in dirty])
        if unasked:  # only PostgreSQL's batch lock inserts rows nobody asked for
            await driver.execute(s, _DELETE_UNASKED, {"ids": unasked})
        if plans:
            if is_postgresql(s):
                await driver.execute(s, _CANCEL_ALL, {"ids": sorted(plans)})
            else:
                t = timers.c
                await s.execute(timers.delete().where(t.report_id.in_(sorted(plans)), t.fired_at.is_(None)))
        await insert_many_ignoring_conflict(s, timers, ("report_id", "kind", "index"), _timer_rows(plans))


def _clock_row(clock: SlaClock, now: datetime) -> dict[str, Any]:
    return dict(
        report_id=clock.report_id,
        county=clock.county,
        received_at=clock.received_at,
        due_at=clock.due_at,
        state=clock.state,
        closed_at=clock.closed_at,
        snapshot_seq=clock.snapshot_seq,
        deadline_from_screening=clock.deadline_from_screening,
        trace=dict(clock.trace) or None,
        updated_at=now,
    )


def _timer_rows(plans: dict[str, list[Timer]]) -> list[dict[str, Any]]:
    return [
        dict(report_id=report_id, kind=p.kind, index=p.index, fire_at=p.fire_at)
        for report_id in sorted(plans)
        for p in plans[report_id]
    ]


def to_clock(m: dict[str, Any]) -> SlaClock:
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
