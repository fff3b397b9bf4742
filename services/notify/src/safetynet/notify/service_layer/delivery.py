"""Sending planned notifications through their channels, with durable retries.

A notification is planned in the transaction that decides it (the referral handler, the
breach); sending happens afterwards, outside any transaction, so a slow webhook never
holds a database lock. Each attempt is recorded and told to the report's timeline (a
NotificationSent per attempt); a failure is retried with exponential backoff and jitter
until the channel's policy gives up, and that is the dead letter (status "failed"),
which `safetynet notify replay` puts back in the queue.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from safetynet.contracts import topics
from safetynet.notify import domain
from safetynet.notify.adapters.channels import NotificationChannel
from safetynet.notify.adapters.contracts import notification_sent
from safetynet.notify.adapters.notification_repository import closing, retrying
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.platform.messaging.outbox import in_trace

DEFAULT_RETRY = domain.RetryPolicy()


async def deliver_due(
    *,
    uow_factory: Callable[[], NotifyUnitOfWork],
    channels: Mapping[str, NotificationChannel],
    clock: Callable[[], datetime],
    limit: int = 50,
    lease_seconds: float = 120.0,
    send_timeout: float = 30.0,
) -> int:
    """Send the notifications due now, each attempt once; return how many were tried."""
    now = clock()
    async with uow_factory() as uow:
        batch = await uow.notifications.lease_due(now, until=now + timedelta(seconds=lease_seconds), limit=limit)
        await uow.commit()

    async def attempt(notification: domain.Notification) -> domain.DeliveryResult:
        with in_trace(notification.trace):  # each attempt is told in the report's trace
            return await send_once(channels.get(notification.channel), notification, timeout=send_timeout)

    # Send concurrently, then keep every attempt in one transaction: a transaction per
    # attempt cost more than the attempts themselves on the recording channel.
    results = await asyncio.gather(*(attempt(n) for n in batch))
    if batch:
        await record_deliveries(
            [
                (n, r, channels[n.channel].retry if n.channel in channels else DEFAULT_RETRY)
                for n, r in zip(batch, results)
            ],
            uow=uow_factory(),
            now=clock(),
        )
    return len(batch)


async def send_once(
    channel: NotificationChannel | None, notification: domain.Notification, *, timeout: float
) -> domain.DeliveryResult:
    """One attempt through `channel`, whatever goes wrong inside it."""
    if channel is None:
        return domain.DeliveryResult("failed", f"channel {notification.channel!r} is not configured", retryable=False)
    try:
        async with asyncio.timeout(timeout):
            return await channel.send(notification)
    except TimeoutError:
        return domain.DeliveryResult("failed", f"no answer within {timeout:g} s")
    except Exception as error:  # a channel bug or an unexpected network error: try again later
        return domain.DeliveryResult("failed", f"{type(error).__name__}: {error}")


async def record_deliveries(
    attempts: Sequence[tuple[domain.Notification, domain.DeliveryResult, domain.RetryPolicy]],
    *,
    uow: NotifyUnitOfWork,
    now: datetime,
) -> None:
    """Keep each attempt; close its notification (delivered, or dead-lettered when out of
    attempts) or schedule its next attempt; tell the report's timeline about the attempt."""
    async with uow:
        settled, summaries = [], []
        for n, result, retry in attempts:
            await uow.notifications.record_attempt(n, result, at=now)
            dead = not result.ok and retry.gives_up(n.attempt_in_round, result)
            if result.ok or dead:
                settled.append(closing(n, status="delivered" if result.ok else "failed", at=now))
                summaries.append(attempt_summary(n, result, dead_lettered=dead, retryable=result.retryable))
            else:
                delay = retry.delay(n.attempt_in_round)
                settled.append(retrying(n, now + timedelta(seconds=delay)))
                summaries.append(attempt_summary(n, result, retry_in=delay))
        # Every notification of the tick in one statement (on PostgreSQL).
        current = await uow.notifications.settle(settled)
        for (n, result, _), row, summary in zip(attempts, settled, summaries, strict=True):
            # Not current when this worker's lease ran out mid-send and another worker
            # took the notification over: its attempt stays on record, but the timeline
            # hears of the notification from the worker that owns it. NotificationSent
            # names a referral, an early-intervention notice or a long-term care review
            # reminder: escalations are on record in the deliveries table and in SlaBreached.
            if n.notification_id in current and n.kind in ("referral", "early_intervention", "long_term_review"):
                with in_trace(n.trace):
                    dead = row["status"] == "failed"
                    sent = notification_sent(n, result, at=now, dead_lettered=dead, detail=summary)
                    await uow.emit(topics.NOTIFICATIONS, sent)
        await uow.commit()


def attempt_summary(
    notification: domain.Notification,
    result: domain.DeliveryResult,
    *,
    dead_lettered: bool = False,
    retryable: bool = True,
    retry_in: float | None = None,
) -> str:
    """One line for the timeline: "attempt 2: HTTP 503; retrying in 24 s"."""
    text = f"attempt {notification.attempt}: {result.detail or result.outcome}"
    if retry_in is not None:
        text += f"; retrying in {retry_in:.0f} s"
    if dead_lettered:
        tries = notification.attempt_in_round
        text += (
            f"; dead-lettered after {tries} attempt{'s' if tries != 1 else ''}"
            if retryable
            else "; dead-lettered (not retryable)"
        )
    return text
