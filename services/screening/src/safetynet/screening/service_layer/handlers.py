"""Screening's handlers: one per event it consumes."""

from datetime import datetime
from typing import Any

from safetynet.contracts import topics
from safetynet.platform.counties import CountyDirectory
from safetynet.policy import sla
from safetynet.screening import domain
from safetynet.screening.adapters.contracts import report_screened
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork


async def active_rules(uow: ScreeningUnitOfWork) -> domain.RuleSet:
    """The version activated last, or the shipped default when none was."""
    version = await uow.repository.active_version() or domain.DEFAULT_VERSION
    rules = await uow.repository.ruleset(version)
    if rules is None:  # activation checks the version exists and versions are never deleted
        raise LookupError(f"the active rule version {version!r} is not known")
    return rules


async def screen_report(
    *,
    event_id: str,
    report: domain.ScreeningInput,
    report_input: dict[str, Any],
    uow: ScreeningUnitOfWork,
    directory: CountyDirectory,
    default_sla_seconds: int,
) -> domain.Decision | None:
    """Decide a received report under the active rule version, keep its input for replay,
    and publish the decision.

    The decision is screening's own: it does not know of closed referrals. Routing, which
    owns them, applies the re-report-after-closure rule when it opens the case. The active
    version is read in the decision's own transaction (once for a consumer batch's, whose
    reports are all decided under it; a lone unit of work reads it for its event), so
    every replica follows an activation from its next batch on."""
    async with uow:
        if not await uow.claim(event_id):
            return None
        decision = domain.decide(report, directory=directory, rules=await active_rules(uow))
        await uow.repository.add_decision(
            report_id=report.report_id,
            county=report.county,
            decision=decision,
            report_input=report_input,
            received_at=report.received_at,
        )
        seconds = directory.sla_seconds(
            county=report.county, risk_level=decision.risk_level, default=default_sla_seconds
        )
        due = sla.deadline(accepted_at=report.received_at, sla_seconds=seconds)
        await uow.emit(topics.DECISIONS, report_screened(report, decision, sla_due_at=due))
        await uow.commit()
        return decision


async def learn_referral_outcome(
    *,
    event_id: str,
    referral_id: str,
    report_id: str,
    kind: str,
    unit: str,
    status: str,
    outcome: str | None,
    outcome_reason: str | None,
    at: datetime,
    uow: ScreeningUnitOfWork,
) -> None:
    """Keep what became of a referral routing sent, for replay's over-referral counts."""
    async with uow:
        if not await uow.claim(event_id):
            return
        await uow.repository.record_referral(
            referral_id=referral_id,
            report_id=report_id,
            kind=kind,
            unit=unit,
            status=status,
            outcome=outcome,
            outcome_reason=outcome_reason,
            at=at,
        )
        await uow.commit()
