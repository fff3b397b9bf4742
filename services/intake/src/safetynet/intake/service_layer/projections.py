"""The other services' events, projected into intake's read model: the report view and
its timeline. `EVENT_HANDLERS` maps each event type intake consumes to its handler, as
cosmicpython's service layer does; bootstrap gives each handler its unit of work and
hands the table to the consumer loop."""

from collections.abc import Awaitable, Callable
from datetime import datetime

from safetynet.contracts import events
from safetynet.contracts.commands import CommandRejected
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import contracts
from safetynet.intake.adapters.metrics import observe_referral, observe_sla
from safetynet.intake.domain.timeline import NewEntry, entry_name
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer.early_intervention import keep_decision, keep_notice
from safetynet.intake.service_layer.long_term_care import record_long_term_care
from safetynet.intake.service_layer.outcome_kpis import record_outcomes
from safetynet.intake.service_layer.rule_replays import on_replay_completed
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

EventHandler = Callable[[Envelope, IntakeUnitOfWork], Awaitable[None]]


def _unchanged(view: ReportView) -> bool:
    return False  # the event only adds to the timeline


async def project(
    envelope: Envelope,
    uow: IntakeUnitOfWork,
    change: Callable[[ReportView], bool | None],
    *timeline: NewEntry,
    then: Callable[[IntakeUnitOfWork, ReportView, datetime], Awaitable[None]] | None = None,
) -> datetime | None:
    """Apply another service's event to the report view and its timeline, once; return
    the report's received_at when the event was new to it. `then` keeps another part of
    the read model in the same transaction, given the view after the change."""
    async with uow:
        if not await uow.claim(envelope.event_id):
            return None
        found = await uow.views.get_with_received_at(envelope.report_id)
        if found is None:  # not a report this intake accepted (another installation's)
            await uow.commit()  # handled: there is nothing to show
            return None
        view, received_at = found
        indexed = {r["referral_id"] for r in view.referrals}  # indexed when the view first showed them
        if change(view) is not False:
            await uow.views.save(view)
            await uow.views.index_referrals(
                envelope.report_id, [r for r in view.referrals if r["referral_id"] not in indexed]
            )
        await uow.views.add_timeline_entries(report_id=envelope.report_id, event_id=envelope.event_id, entries=timeline)
        if then is not None:
            await then(uow, view, received_at)
        await uow.commit()
        return received_at


async def on_screened(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: events.ReportScreened = envelope.payload_as(events.ReportScreened)
    await project(
        envelope,
        uow,
        lambda v: v.apply_decision(
            risk_level=e.risk_level,
            urgent=e.urgent,
            direct_dispatch=e.direct_dispatch,
            rule_version=e.rule_version,
            reasons=contracts.reasons(e.reasons),
            recommended=contracts.destinations(e.recommended),
            sla_due_at=e.sla_due_at,
        ),
        NewEntry(
            envelope.occurred_at,
            "screened",
            "screening",
            f"{e.risk_level}; direct_dispatch={str(e.direct_dispatch).lower()}; "
            + ", ".join(r.code for r in e.reasons),
        ),
        then=keep_decision(e, at=envelope.occurred_at),  # the network-meeting list (v1.1 rule 4)
    )


async def on_status(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: events.ReportStatusChanged = envelope.payload_as(events.ReportStatusChanged)
    await project(
        envelope,
        uow,
        lambda v: v.apply_routing(
            seq=e.seq,
            status=e.status,
            recommended=contracts.destinations(e.recommended),
            destinations=contracts.destinations(e.destinations),
            referrals=contracts.referrals(e.referrals),
            direct_dispatch=e.direct_dispatch,
            reasons=None if e.reasons is None else contracts.reasons(e.reasons),
        ),
        NewEntry(e.at, f"status_{e.status}", e.actor, e.detail),
        # Every snapshot, even one older than the view's: the KPI records only move forward.
        then=lambda uow, view, received_at: record_outcomes(
            uow,
            report_id=e.report_id,
            received_at=received_at,
            referrals=e.referrals,
            decision_codes=[r.code for r in e.reasons] if e.reasons is not None else [r["code"] for r in view.reasons],
        ),
    )


async def on_referral(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: events.ReferralChanged = envelope.payload_as(events.ReferralChanged)
    detail = f"{e.kind} → {e.unit}" + (f": {e.detail}" if e.detail else "")
    received_at = await project(
        envelope,
        uow,
        _unchanged,
        NewEntry(e.at, f"referral_{e.status}", e.actor, detail),
        then=lambda uow, view, received_at: record_long_term_care(uow, envelope.type, e),
    )
    if received_at is not None:
        observe_referral(e.status, kind=e.kind, seconds=(e.at - received_at).total_seconds())


async def on_notification(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: events.NotificationSent = envelope.payload_as(events.NotificationSent)
    detail = f"{e.channel} → {e.unit}" + (f": {e.detail}" if e.detail else "")
    if e.notice == "early_intervention":
        detail = "檢警早期介入 early-intervention notice: " + detail
    event = "notification_dead_lettered" if e.dead_lettered else f"notification_{e.outcome}"
    await project(envelope, uow, _unchanged, NewEntry(e.at, event, "notify", detail), then=keep_notice(e))


async def on_sla(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: events.SlaChanged = envelope.payload_as(events.SlaChanged)
    detail = f"due {e.due_at.isoformat()}" + (f"; escalated to {', '.join(e.escalated_to)}" if e.escalated_to else "")
    if (
        await project(
            envelope,
            uow,
            lambda v: v.apply_sla(state=e.state, closed_at=e.closed_at),
            NewEntry(e.at, entry_name(envelope.type), "notify", detail),
        )
        is not None
    ):
        observe_sla(envelope.type, county=e.county)


async def on_command_rejected(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    e: CommandRejected = envelope.payload_as(CommandRejected)
    await project(
        envelope,
        uow,
        _unchanged,
        NewEntry(e.at, "command_rejected", f"{e.actor.role}:{e.actor.name}", f"{e.command_type}: {e.reason}"),
    )


EVENT_HANDLERS: dict[str, EventHandler] = {
    "ReportScreened": on_screened,
    "ReportStatusChanged": on_status,
    "CommandRejected": on_command_rejected,
    **dict.fromkeys(
        (
            "ReferralAssigned",
            "ReferralAcknowledged",
            "ReferralRejected",
            "ReferralClosed",
            "ReferralReassigned",
            "ReferralInLongTermCare",  # a welfare center kept or renewed a household (issue 14)
        ),
        on_referral,
    ),
    "NotificationSent": on_notification,
    **dict.fromkeys(("SlaStarted", "SlaWarning", "SlaBreached", "SlaMet", "SlaRescheduled"), on_sla),
    "ReplayCompleted": on_replay_completed,  # a console replay answered by screening (issue 13)
}
