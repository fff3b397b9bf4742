"""Screening's handler table, as cosmicpython's EVENT_HANDLERS: each event type screening
consumes and what it does. The consumer loop (entrypoints/consumers.py) is the bus: it
hands every envelope of a type in the table to its handler, with the dependencies that
bootstrap wired once."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from opentelemetry import metrics, trace

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.consumer import MessageHandler
from safetynet.screening.adapters.contracts import to_screening_input
from safetynet.screening.service_layer import handlers
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
    report = to_screening_input(envelope.payload_as(events.ReportReceived))
    decision = await handlers.screen_report(
        event_id=envelope.event_id,
        report=report,
        uow=deps.uow_factory(),
        directory=deps.directory,
        default_sla_seconds=deps.default_sla_seconds,
    )
    if decision is not None:
        _decisions.add(1, {"risk_level": decision.risk_level, "county": report.county})
        span = trace.get_current_span()
        span.set_attribute("safetynet.risk_level", decision.risk_level)
        span.set_attribute("safetynet.destinations", [d.kind for d in decision.destinations])


EVENT_HANDLERS: Mapping[str, MessageHandler[Dependencies]] = {
    "ReportReceived": report_received,
}
