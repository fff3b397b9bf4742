"""Notify's consumers: turn envelopes into handler calls."""

from datetime import datetime
from typing import Callable

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.messaging.consumer import Handler
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.domain import ReferralFact, SlaPolicy
from safetynet.notify.service_layer import handlers
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork


def event_handlers(*, uow_factory: Callable[[], NotifyUnitOfWork], policy: SlaPolicy,
                   directory: UnitDirectory, clock: Callable[[], datetime]) -> dict[str, Handler]:
    async def on_report_received(envelope: Envelope) -> None:
        received = envelope.payload_as(events.ReportReceived)
        await handlers.start_clock(
            event_id=envelope.event_id, report_id=received.report_id, county=received.county,
            received_at=received.received_at, due_at=received.sla_due_at, now=clock(),
            uow=uow_factory(), policy=policy, directory=directory)

    async def on_report_screened(envelope: Envelope) -> None:
        screened = envelope.payload_as(events.ReportScreened)
        await handlers.reschedule_clock(
            event_id=envelope.event_id, report_id=screened.report_id, county=screened.county,
            received_at=screened.received_at, due_at=screened.sla_due_at, now=clock(),
            uow=uow_factory(), policy=policy, directory=directory)

    async def on_report_status_changed(envelope: Envelope) -> None:
        snapshot = envelope.payload_as(events.ReportStatusChanged)
        await handlers.observe_referrals(
            event_id=envelope.event_id, report_id=snapshot.report_id, county=snapshot.county,
            seq=snapshot.seq, destinations=[(d.kind, d.unit) for d in snapshot.destinations],
            referrals=[ReferralFact(kind=r.kind, unit=r.unit, status=r.status) for r in snapshot.referrals],
            at=snapshot.at,
            now=clock(), uow=uow_factory(), policy=policy, directory=directory)

    async def on_referral_assigned(envelope: Envelope) -> None:
        referral = envelope.payload_as(events.ReferralChanged)
        await handlers.plan_referral_notifications(
            event_id=envelope.event_id, report_id=referral.report_id, referral_id=referral.referral_id,
            county=referral.county, kind=referral.kind, unit=referral.unit, urgent=referral.urgent,
            assigned_at=referral.at, now=clock(), uow=uow_factory(), directory=directory)

    return {
        "ReportReceived": on_report_received,
        "ReportScreened": on_report_screened,
        "ReportStatusChanged": on_report_status_changed,
        "ReferralAssigned": on_referral_assigned,
    }
