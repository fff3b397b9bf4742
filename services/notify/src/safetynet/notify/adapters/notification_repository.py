"""Reads and writes of notifications and their delivery attempts."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.notification_batch import PlannedNotifications, settle_all
from safetynet.notify.adapters.orm import deliveries, notifications
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.notify.domain import DeliveryResult, Notification
from safetynet.platform.messaging.outbox import current_trace
from safetynet.platform.messaging.uow import TransactionScope, insert_soon
from safetynet.platform.storage import insert_ignoring_conflict


class NotificationRepository:
    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        self._session = session
        self._scope = scope or TransactionScope()
        self.added = 0  # planned or replayed in this unit of work: the delivery worker is woken at commit

    async def add(self, notification: Notification, *, send_at: datetime) -> bool:
        """Plan `notification` now; False when it already was (same referral and channel)."""
        result = await self._session.execute(
            *insert_ignoring_conflict(self._session, notifications, _row(notification, send_at), conflict="dedupe_key")
        )
        self.added += result.rowcount
        return bool(result.rowcount)

    def plan(self, planned: Sequence[Notification], *, send_at: datetime) -> None:
        """Plan `planned`, inserted with the transaction's other notifications just before
        it commits (notification_batch.py); one already planned (same dedupe key) is
        left as it is, as `add` leaves it."""
        if planned:
            PlannedNotifications.of(self._scope, self._session).add([_row(n, send_at) for n in planned])
            self.added += len(planned)  # at worst a wake-up that finds nothing new

    async def lease_due(self, now: datetime, *, until: datetime, limit: int) -> list[Notification]:
        """Take up to `limit` pending notifications due at `now` and hide them from other
        workers until `until`: the send happens outside this transaction (a held lock
        would stall every writer of an embedded SQLite database), and if the worker dies
        mid-send the lease runs out and another one retries."""
        t = notifications.c
        query = (
            select(notifications)
            .where(t.status == "pending", t.next_attempt_at <= now)
            .order_by(t.next_attempt_at)
            .limit(limit)
        )
        if is_postgresql(self._session):
            query = query.with_for_update(skip_locked=True)
        rows = (await self._session.execute(query)).all()
        if rows:
            await self._session.execute(
                notifications.update()
                .where(t.notification_id.in_([r.notification_id for r in rows]))
                .values(next_attempt_at=until)
            )
        return [_to_notification(r._mapping) for r in rows]

    async def record_attempt(self, notification: Notification, result: DeliveryResult, *, at: datetime) -> None:
        """Keep the attempt on record; nothing reads it back, so it is written at commit."""
        await insert_soon(
            self._session,
            deliveries,
            [
                dict(
                    notification_id=notification.notification_id,
                    attempt=notification.attempt,
                    channel=notification.channel,
                    outcome=result.outcome,
                    detail=(result.detail or None) and result.detail[:2000],
                    attempted_at=at,
                )
            ],
        )

    async def finish(self, notification: Notification, *, status: str, at: datetime) -> bool:
        """Close the notification as delivered or failed; False if another worker already
        did (its lease ran out while this one was still sending)."""
        return notification.notification_id in await self.settle([closing(notification, status=status, at=at)])

    async def retry_at(self, notification: Notification, when: datetime) -> bool:
        return notification.notification_id in await self.settle([retrying(notification, when)])

    async def settle(self, settled: Sequence[dict[str, Any]]) -> set[str]:
        """Apply each row of `closing()` / `retrying()` to its notification if it is still
        pending at the attempt before; the ids it applied to (one statement on PostgreSQL)."""
        applied = await settle_all(self._session, settled)
        if applied is not None:
            return applied
        applied = set()
        for row in settled:
            values = {k: v for k, v in row.items() if k != "notification_id"}
            if row["status"] == "pending":
                values.pop("finished_at")
            if await self._update_pending(row["notification_id"], **values):
                applied.add(row["notification_id"])
        return applied

    async def find(self, notification_ids: Sequence[str]) -> dict[str, tuple[Notification, str]]:
        """The notifications with these ids, each with its status, by id."""
        if not notification_ids:
            return {}
        rows = (
            await self._session.execute(
                select(notifications).where(notifications.c.notification_id.in_(list(notification_ids)))
            )
        ).all()
        return {r.notification_id: (_to_notification(r._mapping), r.status) for r in rows}

    async def dead_lettered(self, *, limit: int | None = None) -> list[Notification]:
        """The dead letters (status failed), oldest first."""
        t = notifications.c
        query = select(notifications).where(t.status == "failed").order_by(t.finished_at, t.notification_id)
        rows = (await self._session.execute(query.limit(limit) if limit else query)).all()
        return [_to_notification(r._mapping) for r in rows]

    async def replay(self, notification: Notification, *, at: datetime, address: str | None) -> bool:
        """Put a dead letter back to pending, due at `at`, with a fresh round of attempts;
        the attempt count goes on, so the new attempts are recorded after the old ones.
        False if it is not (or no longer) dead-lettered."""
        t = notifications.c
        result = await self._session.execute(
            notifications.update()
            .where(t.notification_id == notification.notification_id, t.status == "failed")
            .values(
                status="pending",
                attempts_before_replay=t.attempts,
                next_attempt_at=at,
                finished_at=None,
                replayed_at=at,
                address=address,
            )
        )
        self.added += result.rowcount  # wakes an in-process delivery worker at commit
        return bool(result.rowcount)

    async def _update_pending(self, notification_id: str, **values: Any) -> bool:
        t = notifications.c
        result = await self._session.execute(
            notifications.update()
            .where(
                t.notification_id == notification_id,
                t.status == "pending",
                t.attempts == values["attempts"] - 1,
            )
            .values(**values)
        )
        return bool(result.rowcount)


def closing(n: Notification, *, status: str, at: datetime) -> dict[str, Any]:
    """The settlement of an attempt that closes `n` (delivered or dead-lettered)."""
    return dict(
        notification_id=n.notification_id, status=status, attempts=n.attempt, next_attempt_at=None, finished_at=at
    )


def retrying(n: Notification, when: datetime) -> dict[str, Any]:
    """The settlement of an attempt after which `n` is tried again at `when`."""
    return dict(
        notification_id=n.notification_id, status="pending", attempts=n.attempt, next_attempt_at=when, finished_at=None
    )


def _row(n: Notification, send_at: datetime) -> dict[str, Any]:
    return dict(
        notification_id=n.notification_id,
        dedupe_key=n.dedupe_key,
        kind=n.kind,
        report_id=n.report_id,
        referral_id=n.referral_id,
        county=n.county,
        recipient=n.recipient,
        channel=n.channel,
        address=n.address,
        urgent=n.urgent,
        subject=n.subject,
        content=dict(n.content),
        status="pending",
        attempts=0,
        trace=dict(n.trace) or current_trace(),
        next_attempt_at=send_at,
        created_at=datetime.now(UTC),
    )


def _to_notification(m: Any) -> Notification:
    return Notification(
        kind=m["kind"],
        report_id=m["report_id"],
        county=m["county"],
        recipient=m["recipient"],
        channel=m["channel"],
        urgent=m["urgent"],
        subject=m["subject"],
        content=m["content"],
        referral_id=m["referral_id"],
        address=m["address"],
        attempt=m["attempts"] + 1,
        attempts_before_replay=m["attempts_before_replay"],
        trace=m.get("trace") or {},
    )
