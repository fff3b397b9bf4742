"""Wires the routing service. Tests call it with their own engine and broker."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.outbox import OutboxRelay
from safetynet.platform.messaging.runtime import ServiceRuntime
from safetynet.routing.adapters import orm
from safetynet.routing.entrypoints.consumers import consumer_loop
from safetynet.routing.service_layer.messagebus import Dependencies
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork
from safetynet.routing.settings import RoutingSettings

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(
    *, settings: RoutingSettings, engine: AsyncEngine, broker: Broker, directory: CountyDirectory | None = None
) -> ServiceRuntime:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    dependencies = Dependencies(
        uow_factory=lambda: RoutingUnitOfWork(engine, on_commit=relay.wake), directory=directory
    )
    loop = consumer_loop(dependencies=dependencies, broker=broker, engine=engine)
    return ServiceRuntime(
        name="routing", schema=orm.SCHEMA, metadata=orm.metadata, migrations=MIGRATIONS, loops=[loop], relay=relay
    )
