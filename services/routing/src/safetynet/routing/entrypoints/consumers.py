"""Routing's consumers: turn envelopes into handler calls."""

from datetime import datetime, timezone
from typing import Callable

from safetynet.contracts import commands, events
from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.messaging.consumer import Handler
from safetynet.routing.adapters.contracts import to_command, to_screened_report
from safetynet.routing.service_layer import handlers
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork


def event_handlers(*, uow_factory: Callable[[], RoutingUnitOfWork], directory: CountyDirectory) -> dict[str, Handler]:
    async def on_report_screened(envelope: Envelope) -> None:
        report = to_screened_report(envelope.payload_as(events.ReportScreened))
        # Automatic referrals happen when routing makes them.
        await handlers.open_case(event_id=envelope.event_id, report=report, at=datetime.now(timezone.utc),
                                 uow=uow_factory())

    async def on_command(envelope: Envelope) -> None:
        # A command happened when the person acted: the envelope's time, set by intake.
        await handlers.apply_command(event_id=envelope.event_id, command=to_command(envelope),
                                     at=envelope.occurred_at, uow=uow_factory(), units=directory)

    return {"ReportScreened": on_report_screened, **{name: on_command for name in commands.COMMAND_TYPES}}
