"""Wires the intake service: its HTTP app, its projection consumer and its relay. Tests
call it with their own engine and broker.

It returns what every service's bootstrap returns, a ServiceRuntime; intake's HTTP app
(the API and the console) is its `app`, and the app holds the wired service, the
IntakeContext, as `app.state.intake`."""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import ReportCipher
from safetynet.intake.adapters.key_cache import KeyCache
from safetynet.intake.adapters.key_listener import KeyRevocationListener
from safetynet.intake.context import IntakeContext
from safetynet.intake.domain.audit import AuditKey
from safetynet.intake.entrypoints.app import create_app
from safetynet.intake.service_layer.projections import EVENT_HANDLERS, EventHandler
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import IntakeSettings as Settings
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.consumer import ConsumerLoop, Handler
from safetynet.platform.messaging.outbox import OutboxRelay
from safetynet.platform.messaging.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(
    *, settings: Settings, engine: AsyncEngine, broker: Broker, directory: CountyDirectory | None = None
) -> ServiceRuntime:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    cipher = ReportCipher(settings.key_ring_keys())
    audit_key = AuditKey(settings.audit_key.get_secret_value().encode())
    # API keys are cached only where revocations can be heard at once (PostgreSQL's NOTIFY);
    # on SQLite `safetynet keys revoke` runs in another process that nothing would tell.
    key_cache = KeyCache() if engine.dialect.name == "postgresql" else None
    context = IntakeContext(
        settings=settings,
        engine=engine,
        directory=directory,
        uow=lambda: IntakeUnitOfWork(
            engine, on_commit=relay.wake, cipher=cipher, audit_key=audit_key, key_cache=key_cache
        ),
        wake_relay=relay.wake,
    )
    loop = ConsumerLoop(
        service="intake",
        group="safetynet-intake-views",
        topics=[topics.DECISIONS, topics.REFERRALS, topics.NOTIFICATIONS],
        broker=broker,
        handlers=consumer_handlers(context.uow),
        engine=engine,
    )
    return ServiceRuntime(
        name="intake",
        schema=orm.SCHEMA,
        metadata=orm.metadata,
        migrations=MIGRATIONS,
        loops=[loop] if key_cache is None else [loop, KeyRevocationListener(engine, key_cache)],
        relay=relay,
        app=create_app(context),
    )


def consumer_handlers(uow: Callable[[], IntakeUnitOfWork]) -> dict[str, Handler]:
    """The service layer's EVENT_HANDLERS, each given a unit of work of its own per message."""

    def bound(handler: EventHandler) -> Handler:
        async def handle(envelope: Envelope) -> None:
            await handler(envelope, uow())

        return handle

    return {event_type: bound(handler) for event_type, handler in EVENT_HANDLERS.items()}
