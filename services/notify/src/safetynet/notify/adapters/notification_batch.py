"""Notifications planned in a transaction, inserted in one statement just before it commits.

Nothing reads a planned notification back in the transaction that plans it (the delivery
worker leases committed rows in its own transaction), so a consumer batch's referral
notices, escalations and early-intervention notices go in together: one INSERT … ON
CONFLICT (dedupe_key) DO NOTHING (platform/messaging/bulk.py). The unique key still makes a notification planned twice (the same
assignment under another event id, a redelivered decision) a no-op; within the
transaction the first one planned is kept, as the first insert would have been.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.orm import notifications
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.platform import driver
from safetynet.platform.messaging.bulk import insert_many_ignoring_conflict
from safetynet.platform.storage import UtcDateTime

_PLANNED = object()  # the key of a transaction's PlannedNotifications in TransactionScope.memo


class PlannedNotifications:
    """One transaction's planned notification rows, by dedupe key, in the order planned."""

    def __init__(self, session: AsyncConnection):
        self._session = session
        self.rows: dict[str, dict[str, Any]] = {}

    @staticmethod
    def of(scope: Any, session: AsyncConnection) -> "PlannedNotifications":
        found: PlannedNotifications | None = scope.memo.get(_PLANNED)
        if found is None:
            found = scope.memo[_PLANNED] = PlannedNotifications(session)
            scope.before_commit(found.flush)
        return found

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            self.rows.setdefault(row["dedupe_key"], row)

    async def flush(self) -> None:
        rows, self.rows = list(self.rows.values()), {}
        await insert_many_ignoring_conflict(self._session, notifications, "dedupe_key", rows)


# The delivery worker's tick closes (or re-schedules) every notification it tried in one
# statement; each only if still pending at the attempt before (a worker whose lease ran
# out mid-send finds it taken over), and says which it closed.
_SETTLE_ALL = text(
    f"UPDATE {notifications.fullname} AS t SET status = v.status, attempts = v.attempts, "
    "next_attempt_at = v.next_attempt_at, "
    "finished_at = CASE WHEN v.status = 'pending' THEN t.finished_at ELSE v.finished_at END "
    "FROM unnest(CAST(:ids AS VARCHAR[]), CAST(:status AS VARCHAR[]), CAST(:attempts AS INTEGER[]), "
    "CAST(:next_attempt_at AS TIMESTAMPTZ[]), CAST(:finished_at AS TIMESTAMPTZ[])) "
    "AS v(notification_id, status, attempts, next_attempt_at, finished_at) "
    "WHERE t.notification_id = v.notification_id AND t.status = 'pending' AND t.attempts = v.attempts - 1 "
    "RETURNING t.notification_id"
).bindparams(
    bindparam("ids", type_=ARRAY(String)),
    bindparam("status", type_=ARRAY(String)),
    bindparam("attempts", type_=ARRAY(Integer)),
    bindparam("next_attempt_at", type_=ARRAY(UtcDateTime)),
    bindparam("finished_at", type_=ARRAY(UtcDateTime)),
)


async def settle_all(session: AsyncConnection, settled: Sequence[dict[str, Any]]) -> set[str] | None:
    """On PostgreSQL: apply every `settled` row (notification_id, status, attempts,
    next_attempt_at, finished_at) in one statement; the ids it applied to. None
    elsewhere (the caller updates one by one)."""
    if not is_postgresql(session):
        return None
    if not settled:
        return set()
    params = {
        "ids": [s["notification_id"] for s in settled],
        **{k: [s[k] for s in settled] for k in ("status", "attempts", "next_attempt_at", "finished_at")},
    }
    return {row["notification_id"] for row in await driver.fetch_all(session, _SETTLE_ALL, params)}
