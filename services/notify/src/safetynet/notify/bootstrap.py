"""Wires the notify service. Tests call it with their own engine, broker and clock."""

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts import topics
from safetynet.contracts.messaging.broker import Broker
from safetynet.contracts.messaging.consumer import ConsumerLoop
from safetynet.contracts.messaging.outbox import OutboxRelay
from safetynet.contracts.messaging.runtime import ServiceRuntime
from safetynet.contracts.settings import Settings
from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels import NotificationChannel, RecordingChannel
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.domain import SlaPolicy
from safetynet.notify.entrypoints.consumers import event_handlers
from safetynet.notify.entrypoints.loops import DeliveryWorker, SlaScheduler
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
GROUP = "safetynet-notify"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def bootstrap(*, settings: Settings, engine: AsyncEngine, broker: Broker,
              directory: UnitDirectory | None = None,
              channels: Mapping[str, NotificationChannel] | None = None,
              clock: Callable[[], datetime] | None = None,
              tick_seconds: float = 1.0) -> ServiceRuntime:
    """The notify service: its consumer, the SLA scheduler, the delivery worker and
    the outbox relay. `channels` maps the channel names the unit directory uses to
    channel adapters (a RecordingChannel as "recording" by default)."""
    directory = directory or UnitDirectory.load()
    channels = dict(channels) if channels is not None else {"recording": RecordingChannel()}
    clock = clock or utc_now
    policy = SlaPolicy(sla_seconds=settings.sla_seconds, warn_seconds=tuple(settings.sla_warn_seconds))
    relay = OutboxRelay(engine, orm.outbox, broker)
    worker: DeliveryWorker

    def uow_factory() -> NotifyUnitOfWork:
        return NotifyUnitOfWork(engine, on_commit=relay.wake, on_notifications=worker.wake)

    worker = DeliveryWorker(uow_factory=uow_factory, channels=channels, clock=clock, interval=tick_seconds)
    scheduler = SlaScheduler(uow_factory=uow_factory, policy=policy, directory=directory, clock=clock,
                             interval=tick_seconds)
    consumer = ConsumerLoop(service="notify", group=GROUP,
                            topics=[topics.REPORTS, topics.DECISIONS, topics.REFERRALS], broker=broker,
                            handlers=event_handlers(uow_factory=uow_factory, policy=policy,
                                                    directory=directory, clock=clock))
    # ServiceRuntime runs anything with `group` and `run(stop)`: the scheduler and the
    # worker ride along with the consumer, and a crash of any stops the service.
    return ServiceRuntime(name="notify", schema=orm.SCHEMA, metadata=orm.metadata, migrations=MIGRATIONS,
                          loops=[consumer, scheduler, worker], relay=relay)  # type: ignore[list-item]
