"""The learning KPIs' referral records (orm.referral_outcomes): kept by the projection of
routing's snapshots, read per county and period by the KPIs."""

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.referral_outcomes import ReferralOutcome, ReportFacts
from safetynet.policy.bsrs5 import band_of_indicators

_t = orm.referral_outcomes
_COLUMNS = tuple(_t.c[f.name] for f in fields(ReferralOutcome))
_OF_REPORT = select(*_COLUMNS).where(_t.c.report_id == bindparam("report_id"))
_FACTS = select(orm.reports.c.county, orm.reports.c.agency_type, orm.reports.c.submission).where(
    orm.reports.c.report_id == bindparam("report_id")
)
_UPDATE = _t.update().where(_t.c.referral_id == bindparam("key_referral_id"))


def _record(row: Any) -> ReferralOutcome:
    values = dict(row._mapping)
    values["reason_codes"] = tuple(values["reason_codes"] or ())
    return ReferralOutcome(**values)


def _row(record: ReferralOutcome) -> dict[str, Any]:
    return {**asdict(record), "reason_codes": list(record.reason_codes)}


class OutcomeRecords:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def report_facts(self, report_id: str, *, received_at: datetime) -> ReportFacts | None:
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
        rows = await self._session.execute(_OF_REPORT, {"report_id": report_id})
        return {r.referral_id: _record(r) for r in rows}

    async def save(self, records: list[ReferralOutcome], *, known: dict[str, ReferralOutcome]) -> None:
        """Insert the new records, update the changed ones (unchanged ones cost nothing)."""
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
