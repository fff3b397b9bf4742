"""Revocations reach every intake process at once (issue 10), on PostgreSQL.

The transaction that revokes a key also issues `NOTIFY safetynet_api_keys, '<key id>'`
(`announce_revocation`), which PostgreSQL delivers to every listening session when, and
only if, that transaction commits. Each intake process holds one connection of its own
that LISTENs on the channel (`KeyRevocationListener`, one of the service's loops) and
forgets the key in its KeyCache.

The cache serves only while this connection is up and listening. When it is lost (a
database restart, a dropped socket, a failed ping) the cache is cleared and bypassed, and
the listener reconnects with capped backoff, forever: it never stops the service, and a
service that starts while PostgreSQL is down simply waits (looking keys up every time).
"""

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from safetynet.intake.adapters.key_cache import KeyCache
from safetynet.platform.messaging.readiness import Backoff
from safetynet.platform.storage import dialect_name

log = logging.getLogger(__name__)

CHANNEL = "safetynet_api_keys"
PING_EVERY_SECONDS = 10.0  # a connection that died silently (no FIN) is found within this
PING_TIMEOUT_SECONDS = 5.0


async def announce_revocation(session: AsyncConnection, key_id: str) -> None:
    """Tell every intake process that `key_id` is revoked, once this transaction commits.
    SQLite has no NOTIFY, and no intake process caches keys on it."""
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, key_id)))


class KeyRevocationListener:
    """A service loop: LISTEN for revocations and forget the keys in `cache`."""

    group = "key-revocations"

    def __init__(
        self,
        engine: AsyncEngine,
        cache: KeyCache,
        *,
        backoff: Backoff | None = None,
        ping_every: float = PING_EVERY_SECONDS,
    ):
        self._engine, self.cache = engine, cache
        self._backoff = backoff or Backoff()
        self._ping_every = ping_every
        self.backend_pid: int | None = None  # the listening session's, while connected
        self.connections = 0  # how many times it has started listening
        self.failures = 0  # how many attempts (or connections) failed

    async def run(self, stop: asyncio.Event) -> None:
        delays = self._backoff.delays()
        while not stop.is_set():
            try:
                await self._listen(stop)
                delays = self._backoff.delays()  # it was connected: start over from the first delay
            except Exception as error:  # an outage or not, the service must keep serving
                self.failures += 1
                log.warning("intake: key revocation listener down, keys looked up every time: %r", error)
            finally:
                self.cache.listening_lost()
                self.backend_pid = None
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=next(delays))

    async def _listen(self, stop: asyncio.Event) -> None:
        async with self._engine.connect() as conn:
            fairy = await conn.get_raw_connection()
            pg: Any = fairy.driver_connection  # the asyncpg connection
            # Out of the pool for good: it is never handed to a request, and its slot is
            # refilled. Closed (not returned) when this block ends.
            fairy.detach()
            lost = asyncio.Event()
            pg.add_termination_listener(lambda _connection: lost.set())
            await pg.add_listener(CHANNEL, self._on_notification)
            self.backend_pid = pg.get_server_pid()
            self.connections += 1
            self.cache.listening_started()  # only now: a revocation from here on is heard
            log.info("intake: listening for key revocations; API keys are cached")
            while not stop.is_set() and not lost.is_set():
                waiting = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
                done, pending = await asyncio.wait(waiting, timeout=self._ping_every, return_when="FIRST_COMPLETED")
                for task in pending:
                    task.cancel()
                if not done:
                    await asyncio.wait_for(pg.fetchval("SELECT 1"), timeout=PING_TIMEOUT_SECONDS)
            if lost.is_set() and not stop.is_set():
                raise ConnectionError("the listening connection was closed")

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, key_id: str) -> None:
        self.cache.forget(key_id)
