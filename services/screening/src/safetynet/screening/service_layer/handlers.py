"""Screening's handlers: one per event it consumes."""

from datetime import datetime, timedelta

from safetynet.contracts import topics
from safetynet.contracts.counties import CountyDirectory
from safetynet.screening import domain
from safetynet.screening.adapters.contracts import report_screened
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork


async def screen_report(*, event_id: str, report: domain.ScreeningInput, uow: ScreeningUnitOfWork,
                        directory: CountyDirectory, default_sla_seconds: int) -> domain.Decision | None:
    """Decide a received report by decision model v1 and publish the decision."""
    async with uow:
        if not await uow.claim(event_id):
            return None
        hashes = [s.subject_hash for s in report.subjects if s.subject_hash]
        history = await uow.repository.closed_referrals_for(hashes, since=report.received_at - domain.REPEAT_WINDOW)
        decision = domain.decide(report, closed_referrals=history, directory=directory)
        await uow.repository.add_decision(report_id=report.report_id, county=report.county, decision=decision)
        seconds = directory.sla_seconds(county=report.county, risk_level=decision.risk_level,
                                        default=default_sla_seconds)
        due = report.received_at + timedelta(seconds=seconds)
        await uow.emit(topics.DECISIONS, report_screened(report, decision, sla_due_at=due))
        await uow.commit()
        return decision


async def record_closed_referral(*, event_id: str, referral_id: str, subject_hashes: list[str], kind: str,
                                 unit: str, closed_at: datetime, uow: ScreeningUnitOfWork) -> None:
    """Remember a closed referral, so a re-report goes back to the same unit."""
    async with uow:
        if not await uow.claim(event_id):
            return
        await uow.repository.add_closed_referral(referral_id=referral_id, subject_hashes=subject_hashes,
                                                 kind=kind, unit=unit, closed_at=closed_at)
        await uow.commit()
