"""The report views of one transaction, read once and written once (issue 10).

The projection handles a consumer batch of many reports' events in one transaction
(platform/messaging/uow.py). Each event reads its report's view and writes it back; one
statement each, that was most of the projection's round trips. Here the first read of
the transaction reads the views of every report of the batch (`scope.report_ids`) in one
statement into an identity map kept in the scope's memo; every later event of the batch,
of the same report or not, is served from it and sees what earlier events changed. A
saved view is only marked dirty: one statement writes every dirty view, with the lists'
columns derived from it (domain/listing.py), just before the transaction commits; so do
the new referrals' index rows (insert-ignoring-conflict, as one by one).

Same concurrency as one event at a time: the read takes no lock (it never did), the
UPDATE takes the row locks, now for every view of the batch in one statement, in the
order of the report id. The PostgreSQL KPI triggers on the views run at that UPDATE, in
the same transaction, before the commit; nothing else the projection's transaction runs
reads the views or the referral index through SQL (the views' own `get` is served from
the map). A batch that fails is rolled back whole and handled again one event per
transaction, each with a fresh scope: the map never outlives its transaction.
"""

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.listing import list_columns
from safetynet.intake.domain.views import ReportView
from safetynet.platform import driver
from safetynet.platform.messaging.bulk import insert_many_ignoring_conflict, update_many
from safetynet.platform.messaging.uow import TransactionScope
from safetynet.platform.storage import dialect_name

_v, _r = orm.report_views.c, orm.reports.c
# The view's own columns (the lists' columns are derived from them: domain/listing.py).
VIEW_COLUMNS = tuple(_v[f.name] for f in fields(ReportView))
_WITH_RECEIVED_AT = select(*VIEW_COLUMNS, _r.received_at).join(orm.reports, _r.report_id == _v.report_id)
# Several reports' views in one statement: an array on PostgreSQL (on the driver, one
# statement whatever the count), an expanded IN on SQLite.
_VIEWS_OF_REPORTS_PG = _WITH_RECEIVED_AT.where(_v.report_id == any_(bindparam("report_ids", type_=ARRAY(String))))
_VIEWS_OF_REPORTS = _WITH_RECEIVED_AT.where(_v.report_id.in_(bindparam("report_ids", expanding=True)))

_VIEW_FIELDS = tuple(column.name for column in VIEW_COLUMNS)
Found = tuple[ReportView, datetime]  # a view and when its report was received


def view_row(view: ReportView, *, updated_at: datetime) -> dict[str, Any]:
    """What a save writes: the view, the lists' columns derived from it, when."""
    # Field by field, not asdict(): the view's lists hold plain dicts (TypedDicts) that
    # the JSON columns serialize as they are, and asdict's deep copy of them was a fifth
    # of the projection's CPU. The row is built when it is written, so nothing changes
    # the view between the copy and the write.
    return {**{name: getattr(view, name) for name in _VIEW_FIELDS}, **list_columns(view), "updated_at": updated_at}


async def read_views(session: AsyncConnection, report_ids: list[str]) -> dict[str, Found]:
    """The views of `report_ids` that exist, with their reports' received_at, in one statement."""
    postgresql = dialect_name(session) == "postgresql"
    statement = _VIEWS_OF_REPORTS_PG if postgresql else _VIEWS_OF_REPORTS
    found = {}
    for values in await driver.fetch_all(session, statement, {"report_ids": report_ids}):
        received_at = values.pop("received_at")
        found[values["report_id"]] = (ReportView(**values), received_at)
    return found


class ViewBatch:
    """One transaction's identity map of views, and the writes it owes before commit."""

    def __init__(self, session: AsyncConnection, scope: TransactionScope):
        self._session = session
        self._scope = scope
        self.found: dict[str, Found | None] = {}  # None: no view (not a report this intake holds)
        self._dirty: dict[str, datetime] = {}  # report id → when it was last saved
        self._referrals: list[dict[str, Any]] = []  # referral index rows, in the order indexed
        scope.before_commit(self.flush)

    @classmethod
    def of(cls, session: AsyncConnection, scope: TransactionScope) -> "ViewBatch":
        """The scope's batch, made (and its flush registered) on first use."""
        batch = scope.memo.get(ViewBatch)
        if batch is None:
            batch = scope.memo[ViewBatch] = cls(session, scope)
        assert isinstance(batch, ViewBatch)
        return batch

    async def get(self, report_id: str) -> Found | None:
        if report_id not in self.found:
            # The first miss reads every report of the batch not read yet, this one first.
            wanted = [report_id, *(r for r in self._scope.report_ids if r not in self.found and r != report_id)]
            read = await read_views(self._session, wanted)
            for r in wanted:
                self.found[r] = read.get(r)
        return self.found[report_id]

    def known(self, report_id: str) -> ReportView | None:
        """The view as this transaction has it, if it read it."""
        found = self.found.get(report_id)
        return found[0] if found is not None else None

    def save(self, view: ReportView) -> bool:
        """Mark `view` to be written before commit; False if it was not read through this
        map (the caller writes it at once: a later read must not see the stored one)."""
        found = self.found.get(view.report_id)
        if found is None:
            return False
        self.found[view.report_id] = (view, found[1])
        self._dirty[view.report_id] = datetime.now(UTC)
        return True

    def index_referrals(self, rows: list[dict[str, Any]]) -> None:
        self._referrals.extend(rows)

    async def flush(self) -> None:
        """Every dirty view in one UPDATE, every new referral in one insert."""
        rows = []
        for report_id, updated_at in self._dirty.items():
            found = self.found[report_id]
            assert found is not None
            rows.append(view_row(found[0], updated_at=updated_at))
        referrals, self._dirty, self._referrals = self._referrals, {}, []
        await update_many(self._session, orm.report_views, "report_id", rows)
        await insert_many_ignoring_conflict(self._session, orm.referral_index, "referral_id", referrals)
