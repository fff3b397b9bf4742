"""Screening's handler table, as cosmicpython's EVENT_HANDLERS: each event type screening
consumes and what it does. The consumer loop (entrypoints/consumers.py) is the bus: it
hands every envelope of a type in the table to its handler, with the dependencies that
bootstrap wired once."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from opentelemetry import metrics, trace

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.rule_replays import ReplayRequested
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.consumer import MessageHandler
from safetynet.screening.adapters.contracts import stored_input, to_screening_input
from safetynet.screening.service_layer import handlers, replay_requests
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork

_decisions = metrics.get_meter("safetynet.screening").create_counter(
    "safetynet_decisions", description="Screening decisions, by risk level and county"
)


@dataclass(frozen=True)
class Dependencies:
    uow_factory: Callable[[], ScreeningUnitOfWork]
    directory: CountyDirectory
    default_sla_seconds: int


async def report_received(envelope: Envelope, deps: Dependencies) -> None:
    event = envelope.payload_as(events.ReportReceived)
    report = to_screening_input(event)
    decision = await handlers.screen_report(
        event_id=envelope.event_id,
        report=report,
        report_input=stored_input(event),
        uow=deps.uow_factory(),
        directory=deps.directory,
        default_sla_seconds=deps.default_sla_seconds,
    )
    if decision is not None:
        _decisions.add(1, {"risk_level": decision.risk_level, "county": report.county})
        span = trace.get_current_span()
        span.set_attribute("safetynet.risk_level", decision.risk_level)
        span.set_attribute("safetynet.destinations", [d.kind for d in decision.destinations])


async def referral_changed(envelope: Envelope, deps: Dependencies) -> None:
    event = envelope.payload_as(events.ReferralChanged)
    # The outcome fields are newer than the event (issue 13): read them from the raw
    # payload, so this works with producers that do and do not send them yet.
    raw = envelope.payload
    reason = raw.get("outcome_reason", raw.get("reason"))
    await handlers.learn_referral_outcome(
        event_id=envelope.event_id,
        referral_id=event.referral_id,
        report_id=event.report_id,
        kind=event.kind,
        unit=event.unit,
        status=event.status,
        outcome=raw.get("outcome") if isinstance(raw.get("outcome"), str) else None,
        outcome_reason=reason if isinstance(reason, str) else None,
        at=event.at,
        uow=deps.uow_factory(),
    )


async def replay_requested(envelope: Envelope, deps: Dependencies) -> None:
    await replay_requests.run_requested_replay(
        event_id=envelope.event_id,
        request=envelope.payload_as(ReplayRequested),
        uow=deps.uow_factory(),
        directory=deps.directory,
    )


EVENT_HANDLERS: Mapping[str, MessageHandler[Dependencies]] = {
    "ReportReceived": report_received,
    # What became of the referrals (replay's over-referral counts); acknowledgements
    # change nothing a replay reads.
    "ReferralAssigned": referral_changed,
    "ReferralRejected": referral_changed,
    "ReferralClosed": referral_changed,
    "ReferralReassigned": referral_changed,
    # A supervisor's what-if replay from intake's console (on the commands topic).
    "ReplayRequested": replay_requested,
}
