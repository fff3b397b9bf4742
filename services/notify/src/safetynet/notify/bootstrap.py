"""Wires the notify service. Tests call it with their own engine, broker and clock."""

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels import EmailChannel, NotificationChannel, RecordingChannel, WebhookChannel
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.adapters.early_intervention_contacts import EarlyInterventionDirectory
from safetynet.notify.domain import SlaPolicy
from safetynet.notify.entrypoints.consumers import consumer_loop
from safetynet.notify.entrypoints.loops import DeliveryWorker, SlaScheduler
from safetynet.notify.entrypoints.review_loop import ReviewReminder
from safetynet.notify.service_layer.messagebus import Dependencies
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.notify.settings import NotifySettings
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Broker
from safetynet.platform.messaging.outbox import OutboxRelay
from safetynet.platform.messaging.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def channels_from(settings: NotifySettings) -> dict[str, NotificationChannel]:
    """The channels the settings configure: "recording" always, "webhook" when
    SAFETYNET_WEBHOOK_SECRET is set, "email" when SAFETYNET_SMTP_URL is. Each keeps its
    own backoff and dead-letters after SAFETYNET_NOTIFY_MAX_ATTEMPTS attempts."""
    channels: dict[str, NotificationChannel] = {"recording": RecordingChannel()}
    if settings.webhook_secret is not None:
        channels["webhook"] = WebhookChannel(secret=settings.webhook_secret.get_secret_value())
    if settings.smtp_url:
        channels["email"] = EmailChannel.from_url(settings.smtp_url, sender=settings.smtp_sender)
    for channel in channels.values():
        channel.retry = dataclasses.replace(channel.retry, max_attempts=settings.notify_max_attempts)
    return channels


def bootstrap(
    *,
    settings: NotifySettings,
    engine: AsyncEngine,
    broker: Broker,
    directory: UnitDirectory | None = None,
    channels: Mapping[str, NotificationChannel] | None = None,
    clock: Callable[[], datetime] | None = None,
    tick_seconds: float = 1.0,
    counties: CountyDirectory | None = None,
) -> ServiceRuntime:
    """The notify service: its consumer, the SLA scheduler, the delivery worker and
    the outbox relay. The unit directory is SAFETYNET_NOTIFY_DIRECTORY's (the packaged
    one by default); `channels` maps the channel names the directory uses to channel
    adapters, by default those the settings configure (`channels_from`)."""
    directory = directory or UnitDirectory.load(settings.notify_directory)
    channels = dict(channels) if channels is not None else channels_from(settings)
    # Loaded (and so validated) at start: a malformed contact stops the service here.
    early_intervention = EarlyInterventionDirectory(counties or CountyDirectory.load(settings.county_data))
    if missing := sorted((directory.channel_names() | early_intervention.channel_names()) - set(channels)):
        # Not fatal (the rest of the directory works), but every notification on these
        # channels is dead-lettered at once as "not configured" until it is set up.
        log.warning(
            "notify: the unit directory or the county files' early-intervention contacts use channels "
            "that are not configured: %s "
            "(webhook needs SAFETYNET_WEBHOOK_SECRET, email SAFETYNET_SMTP_URL)",
            ", ".join(missing),
        )
    clock = clock or utc_now
    policy = SlaPolicy(sla_seconds=settings.sla_seconds, warn_seconds=tuple(settings.sla_warn_seconds))
    relay = OutboxRelay(engine, orm.outbox, broker)
    worker: DeliveryWorker

    def uow_factory() -> NotifyUnitOfWork:
        return NotifyUnitOfWork(engine, on_commit=relay.wake, on_notifications=worker.wake)

    worker = DeliveryWorker(uow_factory=uow_factory, channels=channels, clock=clock, interval=tick_seconds)
    scheduler = SlaScheduler(
        uow_factory=uow_factory, policy=policy, directory=directory, clock=clock, interval=tick_seconds
    )
    consumer = consumer_loop(
        dependencies=Dependencies(
            uow_factory=uow_factory,
            policy=policy,
            directory=directory,
            clock=clock,
            early_intervention=early_intervention,
        ),
        broker=broker,
        engine=engine,
    )
    # The scheduler and the worker are loops as the consumer is (runtime.Loop: `group` and
    # `run(stop)`): they ride along with it, and a crash of any stops the service.
    return ServiceRuntime(
        name="notify",
        schema=orm.SCHEMA,
        metadata=orm.metadata,
        migrations=MIGRATIONS,
        loops=[consumer, scheduler, worker, ReviewReminder(uow_factory=uow_factory, directory=directory, clock=clock)],
        relay=relay,
    )
