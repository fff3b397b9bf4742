"""Wires the screening service. Tests call it with their own engine and broker."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.outbox import OutboxRelay
from safetynet.platform.messaging.runtime import ServiceRuntime
from safetynet.screening.adapters import orm
from safetynet.screening.entrypoints.consumers import consumer_loop
from safetynet.screening.service_layer.messagebus import Dependencies
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork
from safetynet.screening.settings import ScreeningSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(
    *, settings: ScreeningSettings, engine: AsyncEngine, broker: Broker, directory: CountyDirectory | None = None
) -> ServiceRuntime:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    dependencies = Dependencies(
        uow_factory=lambda: ScreeningUnitOfWork(engine, on_commit=relay.wake),
        directory=directory,
        default_sla_seconds=settings.sla_seconds,
    )
    loop = consumer_loop(dependencies=dependencies, broker=broker, engine=engine)
    return ServiceRuntime(
        name="screening", schema=orm.SCHEMA, metadata=orm.metadata, migrations=MIGRATIONS, loops=[loop], relay=relay
    )
