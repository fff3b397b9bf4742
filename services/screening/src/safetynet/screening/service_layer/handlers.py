"""Screening's handlers: one per event it consumes."""

from safetynet.contracts import topics
from safetynet.platform.counties import CountyDirectory
from safetynet.policy import sla
from safetynet.screening import domain
from safetynet.screening.adapters.contracts import report_screened
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork


async def screen_report(
    *,
    event_id: str,
    report: domain.ScreeningInput,
    uow: ScreeningUnitOfWork,
    directory: CountyDirectory,
    default_sla_seconds: int,
) -> domain.Decision | None:
    """Decide a received report by decision model v1 and publish the decision.

    The decision is screening's own: it does not know of closed referrals. Routing, which
    owns them, applies the re-report-after-closure rule when it opens the case."""
    async with uow:
        if not await uow.claim(event_id):
            return None
        decision = domain.decide(report, directory=directory)
        await uow.repository.add_decision(report_id=report.report_id, county=report.county, decision=decision)
        seconds = directory.sla_seconds(
            county=report.county, risk_level=decision.risk_level, default=default_sla_seconds
        )
        due = sla.deadline(accepted_at=report.received_at, sla_seconds=seconds)
        await uow.emit(topics.DECISIONS, report_screened(report, decision, sla_due_at=due))
        await uow.commit()
        return decision
