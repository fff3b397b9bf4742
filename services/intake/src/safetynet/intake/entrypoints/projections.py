"""Intake's consumers: the other services' events become the report view and timeline."""

from datetime import datetime
from typing import Callable

from safetynet.contracts import events
from safetynet.contracts.commands import CommandRejected
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.messaging.consumer import Handler
from safetynet.intake.domain.timeline import entry_name
from safetynet.intake.entrypoints.metrics import observe_referral, observe_sla
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


def _dump(items: list) -> list[dict]:  # type: ignore[type-arg]
    return [i.model_dump(mode="json") for i in items]


def event_handlers(*, uow_factory: Callable[[], IntakeUnitOfWork]) -> dict[str, Handler]:
    async def apply(envelope: Envelope, change: Callable[[ReportView], bool | None],
                    *entries: tuple) -> datetime | None:  # type: ignore[type-arg]
        return await handlers.project(event_id=envelope.event_id, report_id=envelope.report_id,
                                      uow=uow_factory(), change=change, timeline=list(entries))

    async def on_screened(envelope: Envelope) -> None:
        e = envelope.payload_as(events.ReportScreened)
        await apply(envelope, lambda v: v.apply_decision(
            risk_level=e.risk_level, urgent=e.urgent, direct_dispatch=e.direct_dispatch,
            rule_version=e.rule_version, reasons=_dump(e.reasons), recommended=_dump(e.recommended),
            sla_due_at=e.sla_due_at),
            (envelope.occurred_at, "screened", "screening",
             f"{e.risk_level}; direct_dispatch={str(e.direct_dispatch).lower()}; "
             + ", ".join(r.code for r in e.reasons)))

    async def on_status(envelope: Envelope) -> None:
        e = envelope.payload_as(events.ReportStatusChanged)
        await apply(envelope, lambda v: v.apply_routing(
            seq=e.seq, status=e.status, recommended=_dump(e.recommended),
            destinations=_dump(e.destinations), referrals=_dump(e.referrals), direct_dispatch=e.direct_dispatch,
            reasons=None if e.reasons is None else _dump(e.reasons)),
            (e.at, f"status_{e.status}", e.actor, e.detail))

    async def on_referral(envelope: Envelope) -> None:
        e = envelope.payload_as(events.ReferralChanged)
        detail = f"{e.kind} → {e.unit}" + (f": {e.detail}" if e.detail else "")
        received_at = await apply(envelope, lambda v: False, (e.at, f"referral_{e.status}", e.actor, detail))
        if received_at is not None:
            observe_referral(e.status, kind=e.kind, seconds=(e.at - received_at).total_seconds())

    async def on_notification(envelope: Envelope) -> None:
        e = envelope.payload_as(events.NotificationSent)
        detail = f"{e.channel} → {e.unit}" + (f": {e.detail}" if e.detail else "")
        event = "notification_dead_lettered" if e.dead_lettered else f"notification_{e.outcome}"
        await apply(envelope, lambda v: False, (e.at, event, "notify", detail))

    async def on_sla(envelope: Envelope) -> None:
        e = envelope.payload_as(events.SlaChanged)
        detail = f"due {e.due_at.isoformat()}" + (f"; escalated to {', '.join(e.escalated_to)}" if e.escalated_to else "")
        if await apply(envelope, lambda v: v.apply_sla(state=e.state, due_at=e.due_at, closed_at=e.closed_at),
                       (e.at, entry_name(envelope.type), "notify", detail)) is not None:
            observe_sla(envelope.type, county=e.county)

    async def on_command_rejected(envelope: Envelope) -> None:
        e = envelope.payload_as(CommandRejected)
        await apply(envelope, lambda v: False,
                    (e.at, "command_rejected", f"{e.actor.role}:{e.actor.name}", f"{e.command_type}: {e.reason}"))

    return {
        "ReportScreened": on_screened, "CommandRejected": on_command_rejected, "ReportStatusChanged": on_status,
        **{t: on_referral for t in ("ReferralAssigned", "ReferralAcknowledged", "ReferralRejected",
                                    "ReferralClosed", "ReferralReassigned")},
        "NotificationSent": on_notification,
        **{t: on_sla for t in ("SlaStarted", "SlaWarning", "SlaBreached", "SlaMet", "SlaRescheduled")},
    }
