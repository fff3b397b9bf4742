"""Sending planned notifications through their channels, with durable retries.

A notification is planned in the transaction that decides it (the referral handler, the
breach); sending happens afterwards, outside any transaction, so a slow webhook never
holds a database lock. Each attempt is recorded; a failure is retried with backoff
until the channel's policy gives up, and that is the dead letter (status "failed").
"""

import asyncio
from datetime import datetime, timedelta
from typing import Callable, Mapping

from safetynet.contracts import topics
from safetynet.notify import domain
from safetynet.notify.adapters.channels import NotificationChannel
from safetynet.notify.adapters.contracts import notification_sent
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

DEFAULT_RETRY = domain.RetryPolicy()


async def deliver_due(*, uow_factory: Callable[[], NotifyUnitOfWork], channels: Mapping[str, NotificationChannel],
                      clock: Callable[[], datetime], limit: int = 50, lease_seconds: float = 120.0,
                      send_timeout: float = 30.0) -> int:
    """Send the notifications due now, each attempt once; return how many were tried."""
    now = clock()
    async with uow_factory() as uow:
        batch = await uow.notifications.lease_due(now, until=now + timedelta(seconds=lease_seconds), limit=limit)
        await uow.commit()

    async def attempt(notification: domain.Notification) -> None:
        channel = channels.get(notification.channel)
        result = await send_once(channel, notification, timeout=send_timeout)
        await record_delivery(notification=notification, result=result,
                              retry=channel.retry if channel else DEFAULT_RETRY, uow=uow_factory(), now=clock())

    await asyncio.gather(*(attempt(n) for n in batch))
    return len(batch)


async def send_once(channel: NotificationChannel | None, notification: domain.Notification, *,
                    timeout: float) -> domain.DeliveryResult:
    """One attempt through `channel`, whatever goes wrong inside it."""
    if channel is None:
        return domain.DeliveryResult("failed", f"channel {notification.channel!r} is not configured",
                                     retryable=False)
    try:
        async with asyncio.timeout(timeout):
            return await channel.send(notification)
    except TimeoutError:
        return domain.DeliveryResult("failed", f"no answer within {timeout:g} s")
    except Exception as error:  # a channel bug or an unexpected network error: try again later
        return domain.DeliveryResult("failed", f"{type(error).__name__}: {error}")


async def record_delivery(*, notification: domain.Notification, result: domain.DeliveryResult,
                          retry: domain.RetryPolicy, uow: NotifyUnitOfWork, now: datetime) -> None:
    """Keep the attempt; close the notification or schedule its next attempt."""
    async with uow:
        await uow.notifications.record_attempt(notification, result, at=now)
        if result.ok or retry.gives_up(notification.attempt, result):
            finished = await uow.notifications.finish(
                notification, status="delivered" if result.ok else "failed", at=now)
            # NotificationSent names a referral: escalations are on record in the
            # deliveries table and in SlaBreached's escalated_to.
            if finished and notification.kind == "referral":
                await uow.emit(topics.NOTIFICATIONS, notification_sent(notification, result, at=now))
        else:
            await uow.notifications.retry_at(
                notification, now + timedelta(seconds=retry.delay(notification.attempt)))
        await uow.commit()
