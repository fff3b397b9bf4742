"""Wires the intake service: its HTTP app, its projection consumer and its relay."""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.messaging.broker import Broker
from safetynet.contracts.messaging.consumer import ConsumerLoop
from safetynet.contracts.messaging.outbox import OutboxRelay
from safetynet.contracts.messaging.runtime import ServiceRuntime
from safetynet.contracts.settings import Settings
from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import ReportCipher
from safetynet.intake.domain.audit import AuditKey
from safetynet.intake.entrypoints.api.deps import IntakeContext
from safetynet.intake.entrypoints.app import create_app
from safetynet.intake.entrypoints.projections import event_handlers
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


@dataclass
class Intake:
    runtime: ServiceRuntime
    app: FastAPI
    context: IntakeContext


def bootstrap(*, settings: Settings, engine: AsyncEngine, broker: Broker,
              directory: CountyDirectory | None = None) -> Intake:
    directory = directory or CountyDirectory.load(settings.county_data)
    relay = OutboxRelay(engine, orm.outbox, broker)
    cipher = ReportCipher(settings.key_ring_keys())
    audit_key = AuditKey(settings.audit_key.get_secret_value().encode())
    context = IntakeContext(settings=settings, engine=engine, directory=directory,
                            uow=lambda: IntakeUnitOfWork(engine, on_commit=relay.wake, cipher=cipher,
                                                         audit_key=audit_key),
                            wake_relay=relay.wake)
    loop = ConsumerLoop(service="intake", group="safetynet-intake-views",
                        topics=[topics.DECISIONS, topics.REFERRALS, topics.NOTIFICATIONS],
                        broker=broker, handlers=event_handlers(uow_factory=context.uow), engine=engine)
    runtime = ServiceRuntime(name="intake", schema=orm.SCHEMA, metadata=orm.metadata,
                             migrations=MIGRATIONS, loops=[loop], relay=relay)
    return Intake(runtime=runtime, app=create_app(context), context=context)
