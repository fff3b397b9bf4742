"""Waiting out a service's dependencies (PostgreSQL, Kafka) instead of exiting.

A production service may start while the broker or the database is down or restarting
(a node reboot, a rolling restart of Kafka). Exiting then only hands the problem to the
orchestrator's crash-loop backoff; instead the service serves /healthz (it is alive),
answers /readyz with 503 while it waits, retries each dependency with capped exponential
backoff, logging every failed attempt, and starts its loops once all answer.

`unavailable` tells a dependency outage from a bug, so that intake can answer 503 with
Retry-After (try again later) rather than 500 (our fault) while its database is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[Any]]


def unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it) says a database or broker cannot be reached
    right now: refused or dropped connections, a server starting up or shutting down, a
    pool that timed out. Never true for a bug such as a bad query or a constraint."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _is_outage(current):
            return True
        # The driver's own error (SQLAlchemy's .orig) and whatever raised it.
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return False


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, (OSError, ConnectionError, TimeoutError)):  # refused, reset, unreachable
        return True
    from sqlalchemy import exc as sa  # the platform's dependency, imported when first needed

    if isinstance(error, (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, sa.DisconnectionError)):
        return True
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    # 57P0x: shutting down, crash shutdown, cannot connect now (starting up); and a
    # connection the server closed under us.
    return isinstance(
        error,
        (
            asyncpg.exceptions.OperatorInterventionError,
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            asyncpg.exceptions.ConnectionFailureError,
            asyncpg.exceptions.TooManyConnectionsError,
        ),
    )


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter (replicas do not retry in lockstep)."""

    first: float = 0.5
    cap: float = 15.0
    factor: float = 2.0

    def delays(self) -> Any:
        delay = self.first
        while True:
            yield delay * random.uniform(0.8, 1.2)
            delay = min(delay * self.factor, self.cap)


@dataclass
class Dependencies:
    """The checks a service must pass before its loops start, run in order, each until
    it succeeds. `ready` is what /readyz reports; `waiting_on` says which one is missing."""

    service: str
    checks: Sequence[tuple[str, Check]]
    backoff: Backoff = field(default_factory=Backoff)
    ready: bool = False
    waiting_on: str | None = None

    async def wait(self, stop: asyncio.Event) -> bool:
        """True once every check passed; False if `stop` was set first."""
        for name, check in self.checks:
            self.waiting_on = name
            attempt = 0
            delays = self.backoff.delays()
            while not stop.is_set():
                attempt += 1
                try:
                    await check()
                    break
                except Exception as error:
                    delay = next(delays)
                    log.warning(
                        "%s: waiting for %s (attempt %d, retry in %.1fs): %s: %s",
                        self.service,
                        name,
                        attempt,
                        delay,
                        type(error).__name__,
                        error,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return False
            if attempt > 1:
                log.info("%s: %s is reachable after %d attempts", self.service, name, attempt)
        self.waiting_on, self.ready = None, True
        return True


class Runnable(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass
class AfterDependencies:
    """A service runtime that starts only once its dependencies answer."""

    runtime: Runnable
    dependencies: Dependencies

    @property
    def name(self) -> str:
        return self.runtime.name

    async def run(self, stop: asyncio.Event) -> None:
        if await self.dependencies.wait(stop):
            await self.runtime.run(stop)


def gate_readiness(app: Starlette, dependencies: Dependencies) -> None:
    """/readyz answers 503 while the dependencies are awaited (the app's own readiness
    check applies after that); /healthz and everything else are untouched."""
    # A plain ASGI middleware: BaseHTTPMiddleware runs every request in a task group of
    # its own, which cost more CPU than the rest of a request's routing.
    app.add_middleware(_ReadinessGate, dependencies=dependencies)


class _ReadinessGate:
    def __init__(self, app: ASGIApp, *, dependencies: Dependencies):
        self.app, self.dependencies = app, dependencies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/readyz" and not self.dependencies.ready:
            from starlette.responses import JSONResponse

            waiting = {"service": self.dependencies.service, "waiting_on": self.dependencies.waiting_on}
            await JSONResponse({"status": "starting", **waiting}, status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def database_answers(engine: Any) -> None:
    """One round trip to the database (raises while it cannot be reached)."""
    from sqlalchemy import text

    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
