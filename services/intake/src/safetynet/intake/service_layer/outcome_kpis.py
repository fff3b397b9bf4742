"""The learning KPIs: kept from routing's snapshots, computed per county and period."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import TypedDict

from safetynet.contracts import events
from safetynet.intake.adapters.outcome_records import OutcomeRecords
from safetynet.intake.domain import kpis, outcome_kpis
from safetynet.intake.domain.referral_outcomes import SnapshotReferral, merge
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

# The period the indicators are over ("from" is a keyword: the functional form).
Period = TypedDict("Period", {"county": str, "from": str, "to": str, "timezone": str, "as_of": str})


class CountyOutcomeKpis(Period, outcome_kpis.OutcomeIndicators):
    """GET /v1/kpis/outcomes's answer: the period, then the indicators."""


async def record_outcomes(
    uow: IntakeUnitOfWork,
    *,
    report_id: str,
    received_at: datetime,
    referrals: Iterable[events.ReferralSnapshot],
    decision_codes: Iterable[str],
) -> None:
    """Merge one routing snapshot's referrals into their KPI records, in the caller's
    transaction (the projection's)."""
    listed = list(referrals)
    if not listed:
        return
    records = OutcomeRecords(uow.session, uow.scope)  # the consumer batch's, read and written once
    report = await records.report_facts(report_id, received_at=received_at)
    if report is None:
        return
    codes = list(decision_codes)
    known = await records.of_report(report_id)
    merged = dict(known)
    for r in listed:
        seen = SnapshotReferral(
            referral_id=r.referral_id,
            kind=r.kind,
            unit=r.unit,
            status=r.status,
            assigned_at=r.assigned_at,
            updated_at=r.updated_at,
            outcome=r.outcome,
            outcome_reason=r.outcome_reason,
        )
        merged[r.referral_id] = merge(merged.get(r.referral_id), seen, report=report, decision_codes=codes)
    await records.save(list(merged.values()), known=known)


async def county_outcome_kpis(
    *, county: str, first: date, last: date, now: datetime, uow: IntakeUnitOfWork
) -> CountyOutcomeKpis:
    """The learning KPIs over the referrals of reports of `county` received in the Taipei
    dates `[first, last]`, as of `now`. The caller has checked the period."""
    start, end = kpis.period_bounds(first, last)
    async with uow:
        referrals = await OutcomeRecords(uow.session).in_period(county, start, end)
    return {
        "county": county,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": "Asia/Taipei",
        "as_of": now.isoformat(),
        **outcome_kpis.compute(referrals),
    }
