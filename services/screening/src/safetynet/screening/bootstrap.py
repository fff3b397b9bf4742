"""Wires the screening service. Tests call it with their own engine and broker."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.messaging.broker import Broker
from safetynet.contracts.messaging.consumer import ConsumerLoop
from safetynet.contracts.messaging.outbox import OutboxRelay
from safetynet.contracts.messaging.runtime import ServiceRuntime
from safetynet.contracts.settings import Settings
from safetynet.screening.adapters import orm
from safetynet.screening.entrypoints.consumers import event_handlers
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(*, settings: Settings, engine: AsyncEngine, broker: Broker,
              directory: CountyDirectory | None = None) -> ServiceRuntime:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    handlers = event_handlers(uow_factory=lambda: ScreeningUnitOfWork(engine, on_commit=relay.wake),
                              directory=directory, default_sla_seconds=settings.sla_seconds)
    loop = ConsumerLoop(service="screening", group="safetynet-screening",
                        topics=[topics.REPORTS], broker=broker, handlers=handlers, engine=engine)
    return ServiceRuntime(name="screening", schema=orm.SCHEMA, metadata=orm.metadata,
                          migrations=MIGRATIONS, loops=[loop], relay=relay)
