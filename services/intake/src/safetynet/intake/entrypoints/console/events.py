"""GET /console/events: Server-Sent Events that say "something in your county changed".

Design: no in-process pub/sub, so it works with any number of intake processes. Every
change to a report view comes with a timeline row, and timeline ids only grow; so the
stream asks the service layer (service_layer/changes.py) for the county's recent
timeline ids about once a second.

Ids from a sequence can commit out of order on PostgreSQL (id 10 may commit after id
11), so a plain "max id went up" check could miss one; instead the stream remembers
which ids it has seen among the newest (changes.WINDOW) and reports any it has not.

The event carries no report data: the page re-fetches its own fragment, with the
viewer's own authorization. Each event's id is the watermark, so a reconnecting
EventSource sends Last-Event-ID and misses nothing. A stream lasts STREAM_SECONDS and
the browser reconnects: that re-checks the session (a revoked key stops getting events)
and never holds a graceful server shutdown for long.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import FragmentStaff
from safetynet.intake.service_layer import changes as watched
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

router = APIRouter(prefix="/console", include_in_schema=False)

POLL_SECONDS = 1.0
STREAM_SECONDS = 25.0
KEEPALIVE_SECONDS = 10.0
RETRY_MS = 1000

UowFactory = Callable[[], IntakeUnitOfWork]


async def watermark(uow: UowFactory) -> int:
    """Where a page's event stream starts: the newest change so far."""
    return await watched.watermark(uow=uow())


def _message(event: str, event_id: int, data: str = "") -> bytes:
    return f"event: {event}\nid: {event_id}\ndata: {data}\n\n".encode()


async def changes(
    uow: UowFactory,
    county: str,
    since: int,
    *,
    is_gone: Callable[[], Awaitable[bool]],
    lifetime: float = STREAM_SECONDS,
    recent: Callable[[], Awaitable[set[int]]] | None = None,
) -> AsyncIterator[bytes]:
    """The stream: `ready` at once, then `changed` whenever a county timeline id appears
    that the viewer has not seen (any id above `since` counts as unseen). `recent` narrows
    what is watched (a unit's stream watches only the reports referred to it)."""
    recent = recent or (lambda: watched.recent_changes(county=county, uow=uow()))
    yield f"retry: {RETRY_MS}\n".encode() + _message("ready", since)
    seen = {i for i in await recent() if i <= since}
    mark, started, quiet_since = since, time.monotonic(), time.monotonic()
    while time.monotonic() - started < lifetime:
        current = await recent()
        if current - seen:
            mark = max(mark, *current)
            yield _message("changed", mark, "changed")
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            yield b": keep-alive\n\n"  # proxies close connections that stay silent
            quiet_since = time.monotonic()
        seen = current
        if await is_gone():
            return
        await asyncio.sleep(POLL_SECONDS)


class Disconnected:
    def __init__(self, request: Request):
        self._request = request

    async def __call__(self) -> bool:
        return await self._request.is_disconnected()


def start_of(request: Request, fallback: int) -> int:
    for raw in (request.headers.get("last-event-id"), request.query_params.get("since")):
        if raw and raw.isdigit() and len(raw) < 19:
            return int(raw)
    return fallback


@router.get("/events")
async def events(request: Request, ctx: Context, staff: FragmentStaff) -> StreamingResponse:
    since = start_of(request, fallback=await watermark(ctx.uow))
    return StreamingResponse(
        changes(ctx.uow, staff.principal.county, since, is_gone=Disconnected(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )  # nginx: do not buffer the stream
