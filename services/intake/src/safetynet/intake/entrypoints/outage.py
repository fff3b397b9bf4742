"""While intake's database cannot be reached, requests get 503 with Retry-After, never 500.

A PostgreSQL restart or failover is an outage, not a bug: the client (a partner system,
a dispatcher's browser) should try again shortly, and 503 with Retry-After says exactly
that. Which errors count is decided once, in safetynet.platform.messaging.readiness.
"""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa

from safetynet.platform.messaging.readiness import unavailable

RETRY_AFTER_SECONDS = 5
DETAIL = "the database is unreachable for the moment: try again shortly"
# Raised by the driver or the pool when PostgreSQL is away; each is checked again by
# `unavailable`, so a bug that merely shares a class still answers 500.
OUTAGE_TYPES: tuple[type[Exception], ...] = (sa.DBAPIError, sa.TimeoutError, OSError)


def response(request: Request) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith("/console"):
        from safetynet.intake.entrypoints.console.templating import render

        return render(
            request,
            "console/error.html",
            status_code=503,
            headers=headers,
            staff=None,
            title="暫時無法服務 Temporarily unavailable",
            message="資料庫暫時無法連線，請稍後再試。 The database is unreachable: try again shortly.",
        )
    return JSONResponse({"detail": DETAIL}, status_code=503, headers=headers)


def install(app: FastAPI, fallback: Callable[[Request, Exception], Awaitable[Response]]) -> None:
    """Answer outages raised by a route or a dependency with 503; hand anything else to
    `fallback` (the app's 500 handler)."""

    async def handle(request: Request, error: Exception) -> Response:
        if unavailable(error):
            return response(request)
        return await fallback(request, error)

    for error_type in OUTAGE_TYPES:
        app.add_exception_handler(error_type, handle)
