"""Routing's handler tables, as cosmicpython's EVENT_HANDLERS and COMMAND_HANDLERS: each
message type routing consumes and what it does. The consumer loop
(entrypoints/consumers.py) is the bus: it hands every envelope of a type in HANDLERS to
its handler, with the dependencies that bootstrap wired once."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from safetynet.contracts import commands, events
from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.consumer import MessageHandler
from safetynet.routing.adapters.contracts import to_command, to_screened_report
from safetynet.routing.service_layer import handlers
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork


@dataclass(frozen=True)
class Dependencies:
    uow_factory: Callable[[], RoutingUnitOfWork]
    directory: CountyDirectory


async def report_screened(envelope: Envelope, deps: Dependencies) -> None:
    report = to_screened_report(envelope.payload_as(events.ReportScreened))
    # Automatic referrals happen when routing makes them.
    await handlers.open_case(event_id=envelope.event_id, report=report, at=datetime.now(UTC), uow=deps.uow_factory())


async def command(envelope: Envelope, deps: Dependencies) -> None:
    # A command happened when the person acted: the envelope's time, set by intake.
    await handlers.apply_command(
        event_id=envelope.event_id,
        command=to_command(envelope),
        at=envelope.occurred_at,
        uow=deps.uow_factory(),
        units=deps.directory,
    )


EVENT_HANDLERS: Mapping[str, MessageHandler[Dependencies]] = {
    "ReportScreened": report_screened,
}
# Every dispatcher and unit command goes to one handler: the case decides what it does.
COMMAND_HANDLERS: Mapping[str, MessageHandler[Dependencies]] = dict.fromkeys(commands.COMMAND_TYPES, command)
HANDLERS: Mapping[str, MessageHandler[Dependencies]] = {**EVENT_HANDLERS, **COMMAND_HANDLERS}
