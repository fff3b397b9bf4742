"""Wires the routing service. Tests call it with their own engine and broker."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.messaging.broker import Broker
from safetynet.contracts.messaging.consumer import ConsumerLoop
from safetynet.contracts.messaging.outbox import OutboxRelay
from safetynet.contracts.messaging.runtime import ServiceRuntime
from safetynet.contracts.settings import Settings
from safetynet.routing.adapters import orm
from safetynet.routing.entrypoints.consumers import event_handlers
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(*, settings: Settings, engine: AsyncEngine, broker: Broker,
              directory: CountyDirectory | None = None) -> ServiceRuntime:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    handlers = event_handlers(uow_factory=lambda: RoutingUnitOfWork(engine, on_commit=relay.wake),
                              directory=directory)
    loop = ConsumerLoop(service="routing", group="safetynet-routing",
                        topics=[topics.DECISIONS, topics.COMMANDS], broker=broker, handlers=handlers, engine=engine)
    return ServiceRuntime(name="routing", schema=orm.SCHEMA, metadata=orm.metadata,
                          migrations=MIGRATIONS, loops=[loop], relay=relay)
