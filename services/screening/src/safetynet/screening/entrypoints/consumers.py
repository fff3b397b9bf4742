"""Screening's consumers: turn envelopes into handler calls."""

from typing import Callable

from opentelemetry import metrics, trace

from safetynet.contracts import events
from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.messaging.consumer import Handler
from safetynet.screening.adapters.contracts import to_screening_input
from safetynet.screening.service_layer import handlers
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork

_decisions = metrics.get_meter("safetynet.screening").create_counter(
    "safetynet_decisions", description="Screening decisions, by risk level and county")


def event_handlers(*, uow_factory: Callable[[], ScreeningUnitOfWork], directory: CountyDirectory,
                   default_sla_seconds: int) -> dict[str, Handler]:
    async def on_report_received(envelope: Envelope) -> None:
        report = to_screening_input(envelope.payload_as(events.ReportReceived))
        decision = await handlers.screen_report(event_id=envelope.event_id, report=report, uow=uow_factory(),
                                                directory=directory, default_sla_seconds=default_sla_seconds)
        if decision is not None:
            _decisions.add(1, {"risk_level": decision.risk_level, "county": report.county})
            span = trace.get_current_span()
            span.set_attribute("safetynet.risk_level", decision.risk_level)
            span.set_attribute("safetynet.destinations", [d.kind for d in decision.destinations])

    return {"ReportReceived": on_report_received}
