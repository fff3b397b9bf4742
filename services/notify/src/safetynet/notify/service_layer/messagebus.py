"""Notify's handler table, as cosmicpython's EVENT_HANDLERS: each event type notify
consumes and what it does to the SLA clock and the notifications. The consumer loop
(entrypoints/consumers.py) is the bus: it hands every envelope of a type in the table to
its handler, with the dependencies that bootstrap wired once."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.adapters.early_intervention_contacts import EarlyInterventionDirectory
from safetynet.notify.domain import ReferralFact, SevereCase, SlaPolicy, calls_for_early_intervention
from safetynet.notify.service_layer import handlers
from safetynet.notify.service_layer.early_intervention import plan_early_intervention_notices
from safetynet.notify.service_layer.long_term_review import track_review
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.platform.messaging.consumer import MessageHandler


@dataclass(frozen=True)
class Dependencies:
    uow_factory: Callable[[], NotifyUnitOfWork]
    policy: SlaPolicy
    directory: UnitDirectory
    clock: Callable[[], datetime]
    # The county files' prosecutor and police contacts (v1.1 rule 4); None: nobody is told.
    early_intervention: EarlyInterventionDirectory | None = None


async def report_received(envelope: Envelope, deps: Dependencies) -> None:
    received = envelope.payload_as(events.ReportReceived)
    await handlers.start_clock(
        event_id=envelope.event_id,
        report_id=received.report_id,
        county=received.county,
        received_at=received.received_at,
        due_at=received.sla_due_at,
        now=deps.clock(),
        uow=deps.uow_factory(),
        policy=deps.policy,
        directory=deps.directory,
    )


async def report_screened(envelope: Envelope, deps: Dependencies) -> None:
    screened = envelope.payload_as(events.ReportScreened)
    await handlers.reschedule_clock(
        event_id=envelope.event_id,
        report_id=screened.report_id,
        county=screened.county,
        received_at=screened.received_at,
        due_at=screened.sla_due_at,
        now=deps.clock(),
        uow=deps.uow_factory(),
        policy=deps.policy,
        directory=deps.directory,
    )
    if deps.early_intervention is not None and calls_for_early_intervention([r.code for r in screened.reasons]):
        protection = next((d.unit for d in screened.recommended if d.kind == "protection"), None)
        await plan_early_intervention_notices(
            case=SevereCase(
                report_id=screened.report_id,
                county=screened.county,
                categories=screened.categories,
                risk_level=screened.risk_level,
                protection_unit=protection,
                decided_at=envelope.occurred_at,
            ),
            now=deps.clock(),
            uow=deps.uow_factory(),
            contacts=deps.early_intervention,
        )


async def report_status_changed(envelope: Envelope, deps: Dependencies) -> None:
    snapshot = envelope.payload_as(events.ReportStatusChanged)
    await handlers.observe_referrals(
        event_id=envelope.event_id,
        report_id=snapshot.report_id,
        county=snapshot.county,
        seq=snapshot.seq,
        destinations=[(d.kind, d.unit) for d in snapshot.destinations],
        referrals=[ReferralFact(kind=r.kind, unit=r.unit, status=r.status) for r in snapshot.referrals],
        at=snapshot.at,
        now=deps.clock(),
        uow=deps.uow_factory(),
        policy=deps.policy,
        directory=deps.directory,
    )


async def referral_assigned(envelope: Envelope, deps: Dependencies) -> None:
    referral = envelope.payload_as(events.ReferralChanged)
    await handlers.plan_referral_notifications(
        event_id=envelope.event_id,
        report_id=referral.report_id,
        referral_id=referral.referral_id,
        county=referral.county,
        kind=referral.kind,
        unit=referral.unit,
        urgent=referral.urgent,
        assigned_at=referral.at,
        now=deps.clock(),
        uow=deps.uow_factory(),
        directory=deps.directory,
        linked_to=referral.linked_to,  # the unit's open case, when rule 1 (併案) linked it
    )


async def long_term_care_changed(envelope: Envelope, deps: Dependencies) -> None:
    """A household placed in long-term care, renewed, or closed: its review reminders (issue 14)."""
    await track_review(
        event_id=envelope.event_id,
        event_type=envelope.type,
        referral=envelope.payload_as(events.ReferralChanged),
        uow=deps.uow_factory(),
    )


EVENT_HANDLERS: Mapping[str, MessageHandler[Dependencies]] = {
    "ReportReceived": report_received,
    "ReportScreened": report_screened,
    "ReportStatusChanged": report_status_changed,
    "ReferralAssigned": referral_assigned,
    "ReferralInLongTermCare": long_term_care_changed,
    "ReferralClosed": long_term_care_changed,
}
