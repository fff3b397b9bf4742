"""The learning KPIs' referral records (orm.referral_outcomes): kept by the projection of
routing's snapshots, read per county and period by the KPIs.

In the projection's consumer batch (a `TransactionScope`), the first snapshot reads the
report facts and the records of every report of the batch in one statement each; later
snapshots merge into those (and see earlier ones' merges), and the records are written
just before the commit: the new ones with the transaction's deferred inserts, the changed
ones in one UPDATE. Nothing else in that transaction reads the records."""

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.referral_outcomes import ReferralOutcome, ReportFacts
from safetynet.platform.messaging.bulk import update_many
from safetynet.platform.messaging.uow import TransactionScope, insert_soon
from safetynet.policy.bsrs5 import band_of_indicators

_t = orm.referral_outcomes
_COLUMNS = tuple(_t.c[f.name] for f in fields(ReferralOutcome))
_OF_REPORT = select(*_COLUMNS).where(_t.c.report_id == bindparam("report_id"))
_FACTS = select(orm.reports.c.county, orm.reports.c.agency_type, orm.reports.c.submission).where(
    orm.reports.c.report_id == bindparam("report_id")
)
_UPDATE = _t.update().where(_t.c.referral_id == bindparam("key_referral_id"))
_FACTS_OF_REPORTS = select(
    orm.reports.c.report_id, orm.reports.c.county, orm.reports.c.agency_type, orm.reports.c.submission
).where(orm.reports.c.report_id.in_(bindparam("report_ids", expanding=True)))
_OF_REPORTS = select(*_COLUMNS).where(_t.c.report_id.in_(bindparam("report_ids", expanding=True)))


def _record(row: Any) -> ReferralOutcome:
    values = dict(row._mapping)
    values["reason_codes"] = tuple(values["reason_codes"] or ())
    return ReferralOutcome(**values)


def _row(record: ReferralOutcome) -> dict[str, Any]:
    return {**asdict(record), "reason_codes": list(record.reason_codes)}


class _Batch:
    """One transaction's report facts and records, as read and as merged since."""

    def __init__(self, session: AsyncConnection, scope: TransactionScope):
        self._session = session
        self._scope = scope
        self.facts: dict[str, Any] = {}  # report id → its facts row (None: no such report)
        self.stored: dict[str, dict[str, ReferralOutcome]] = {}  # report id → records as read
        self.merged: dict[str, dict[str, ReferralOutcome]] = {}  # report id → records now
        scope.before_commit(self.flush)

    @classmethod
    def of(cls, session: AsyncConnection, scope: TransactionScope) -> "_Batch":
        batch = scope.memo.get(_Batch)
        if batch is None:
            batch = scope.memo[_Batch] = cls(session, scope)
        assert isinstance(batch, _Batch)
        return batch

    async def load(self, report_id: str) -> None:
        """The first miss reads every report of the batch not read yet, this one first."""
        if report_id in self.facts:
            return
        wanted = [report_id, *(r for r in self._scope.report_ids if r not in self.facts and r != report_id)]
        facts = {r.report_id: r for r in await self._session.execute(_FACTS_OF_REPORTS, {"report_ids": wanted})}
        records: dict[str, dict[str, ReferralOutcome]] = {r: {} for r in wanted}
        for row in await self._session.execute(_OF_REPORTS, {"report_ids": wanted}):
            record = _record(row)
            records[record.report_id][record.referral_id] = record
        for r in wanted:
            self.facts[r] = facts.get(r)
            self.stored[r] = records[r]
            self.merged[r] = dict(records[r])

    async def flush(self) -> None:
        new, changed = [], []
        for report_id, records in self.merged.items():
            stored = self.stored[report_id]
            for r in records.values():
                if r.referral_id not in stored:
                    new.append(_row(r))
                elif stored[r.referral_id] != r:
                    changed.append(_row(r))
        self.stored = {r: dict(records) for r, records in self.merged.items()}
        await insert_soon(self._session, _t, new)  # with the transaction's other deferred rows
        await update_many(self._session, _t, "referral_id", changed)


class OutcomeRecords:
    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        """`scope`: the projection's (read and written once per consumer batch); without
        one every read and write is its own statement."""
        self._session = session
        self._batch = _Batch.of(session, scope) if scope is not None else None

    async def report_facts(self, report_id: str, *, received_at: datetime) -> ReportFacts | None:
        if self._batch is not None:
            await self._batch.load(report_id)
            row = self._batch.facts[report_id]
        else:
            row = (await self._session.execute(_FACTS, {"report_id": report_id})).first()
        if row is None:
            return None
        return ReportFacts(
            report_id=report_id,
            county=row.county,
            received_at=received_at,
            agency_type=row.agency_type,
            # The submission's non-personal part holds the score (the KPIs group by its band).
            bsrs5_band=band_of_indicators((row.submission or {}).get("indicators")),
        )

    async def of_report(self, report_id: str) -> dict[str, ReferralOutcome]:
        if self._batch is not None:
            await self._batch.load(report_id)
            return dict(self._batch.merged[report_id])
        rows = await self._session.execute(_OF_REPORT, {"report_id": report_id})
        return {r.referral_id: _record(r) for r in rows}

    async def save(self, records: list[ReferralOutcome], *, known: dict[str, ReferralOutcome]) -> None:
        """Insert the new records, update the changed ones (unchanged ones cost nothing);
        in a batch, before the commit."""
        if self._batch is not None:
            for r in records:
                self._batch.merged.setdefault(r.report_id, {})[r.referral_id] = r
            return
        new = [_row(r) for r in records if r.referral_id not in known]
        changed = [
            {**_row(r), "key_referral_id": r.referral_id}
            for r in records
            if r.referral_id in known and known[r.referral_id] != r
        ]
        if new:
            await self._session.execute(_t.insert(), new)
        if changed:
            await self._session.execute(_UPDATE, changed)

    async def in_period(self, county: str, start: datetime, end: datetime) -> list[ReferralOutcome]:
        """Referrals of the reports of `county` received in `[start, end)`."""
        rows = await self._session.execute(
            select(*_COLUMNS).where(_t.c.county == county, _t.c.received_at >= start, _t.c.received_at < end)
        )
        return [_record(r) for r in rows]
