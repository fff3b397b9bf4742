"""Notifications planned in a transaction, inserted in one statement just before it commits.

Nothing reads a planned notification back in the transaction that plans it (the delivery
worker leases committed rows in its own transaction), so a consumer batch's referral
notices, escalations and early-intervention notices go in together: one INSERT … ON
CONFLICT (dedupe_key) DO NOTHING fed by arrays on PostgreSQL, an executemany of the same
insert on SQLite. The unique key still makes a notification planned twice (the same
assignment under another event id, a redelivered decision) a no-op; within the
transaction the first one planned is kept, as the first insert would have been.
"""

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Boolean, Integer, String, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.notify.adapters.orm import notifications
from safetynet.notify.adapters.sql import is_postgresql
from safetynet.platform import driver
from safetynet.platform.storage import UtcDateTime, insert_ignoring_conflict

_PLANNED = object()  # the key of a transaction's PlannedNotifications in TransactionScope.memo

# Each column's array type on PostgreSQL; JSON documents travel as text and are cast.
_ARRAYS: dict[str, Any] = {
    "notification_id": String,
    "dedupe_key": String,
    "kind": String,
    "report_id": String,
    "referral_id": String,
    "county": String,
    "recipient": String,
    "channel": String,
    "address": String,
    "urgent": Boolean,
    "subject": String,
    "content": Text,
    "status": String,
    "attempts": Integer,
    "trace": Text,
    "next_attempt_at": UtcDateTime,
    "created_at": UtcDateTime,
}
_JSON = {"content", "trace"}
_SQL_TYPES = {String: "VARCHAR", Boolean: "BOOLEAN", Text: "TEXT", Integer: "INTEGER", UtcDateTime: "TIMESTAMPTZ"}
_COLUMNS = ", ".join(_ARRAYS)
_INSERT_ALL = text(
    f"INSERT INTO {notifications.fullname} ({_COLUMNS}) "
    f"SELECT {', '.join(f'CAST({c} AS JSONB)' if c in _JSON else c for c in _ARRAYS)} "
    f"FROM unnest({', '.join(f'CAST(:{c} AS {_SQL_TYPES[t]}[])' for c, t in _ARRAYS.items())}) "
    f"WITH ORDINALITY AS v({_COLUMNS}, n) ORDER BY n "
    "ON CONFLICT (dedupe_key) DO NOTHING"
).bindparams(*(bindparam(c, type_=ARRAY(t)) for c, t in _ARRAYS.items()))


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
        if not rows:
            return
        if is_postgresql(self._session):
            params = {c: [json.dumps(r[c]) if c in _JSON and r[c] is not None else r[c] for r in rows] for c in _ARRAYS}
            await driver.execute(self._session, _INSERT_ALL, params)
        else:
            statement, _ = insert_ignoring_conflict(self._session, notifications, rows[0], conflict="dedupe_key")
            await self._session.execute(statement, rows)


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
