"""The intake HTTP application."""

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text
from starlette.requests import ClientDisconnect

from safetynet.intake.context import IntakeContext
from safetynet.intake.entrypoints import console, guard, outage
from safetynet.intake.entrypoints.api import actions, kpis, openapi, ops, queue, reports
from safetynet.intake.entrypoints.api import audit as audit_api
from safetynet.intake.entrypoints.api import history as history_api
from safetynet.intake.entrypoints.api import network_meeting as network_meeting_api
from safetynet.intake.entrypoints.api import outcome_kpis as outcome_kpis_api
from safetynet.intake.entrypoints.api.authz import OutOfReach, authorize
from safetynet.intake.entrypoints.api.ratelimit import TokenBuckets
from safetynet.intake.entrypoints.api.schemas import Health
from safetynet.intake.version import API_VERSION
from safetynet.platform.messaging.readiness import unavailable

log = logging.getLogger(__name__)

DESCRIPTION = """
Partner agencies (police, schools, hospitals, social agencies) post reports about people
at risk; the county screening and dispatch center screens and routes each within 24 hours.
Authenticate with `Authorization: Bearer <key>`.
"""


def create_app(ctx: IntakeContext) -> FastAPI:
    # Every route runs `authorize` first: the policy of domain/policy.py, one dependency.
    app = FastAPI(
        title="SafetyNet Dispatch — intake API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=openapi.TAGS,
        generate_unique_id_function=openapi.operation_id,
        dependencies=[Depends(authorize)],
    )
    app.state.intake = ctx
    app.state.rate_limits = TokenBuckets(ctx.settings.rate_limit_per_minute)
    app.state.auth_failures = TokenBuckets(ctx.settings.auth_failures_per_minute)  # per client address
    app.include_router(reports.router)
    app.include_router(history_api.router)  # GET /v1/reports/{report_id}/history
    app.include_router(actions.router)
    app.include_router(queue.router)
    app.include_router(kpis.router)
    app.include_router(outcome_kpis_api.router)  # GET /v1/kpis/outcomes
    app.include_router(network_meeting_api.router)  # GET /v1/network-meeting (issue 14)
    app.include_router(ops.router)
    app.include_router(audit_api.router)
    console.install(app)  # the dispatch staff's web console at /console
    guard.install(app, ctx.settings)  # outermost: proxies, body cap, credentials before bodies, HSTS

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        # A new user opens the bare address first: lead them to the console (which asks
        # for a key) rather than answer 404.
        return RedirectResponse("/console", status_code=307)

    @app.get(
        "/healthz", tags=["ops"], summary="The process is alive", operation_id="check_liveness", response_model=Health
    )
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="The database answers",
        operation_id="check_readiness",
        response_model=Health,
        responses={503: {"model": Health, "description": "Not ready"}},
    )
    async def readyz() -> JSONResponse:
        try:
            async with ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.exception_handler(OutOfReach)
    async def out_of_reach(request: Request, error: OutOfReach) -> Response:
        if request.url.path.startswith("/console"):  # the console's own page, as for an unknown id
            return console.pages.not_found(request, None)
        return JSONResponse({"detail": error.detail}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's standard body, minus `input`: a refused value may be a name or an ID.
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, error: RecursionError) -> JSONResponse:
        # FastAPI's own body parsing raises this for deeply nested JSON.
        return JSONResponse({"detail": "body is nested too deeply"}, status_code=400)

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, error: ClientDisconnect) -> Response:
        # The client hung up mid-body (its timeout, a closed tab): nothing was accepted,
        # and there is nobody left to answer. Not a server error.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        if unavailable(error):  # raised in a middleware: still an outage, not our bug
            log.warning("database unreachable on %s %s: %s", request.method, request.url.path, error)
            return outage.response(request)
        # Never leak internals; the log has the trace id to find it.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    outage.install(app, fallback=unexpected)  # 503 with Retry-After while PostgreSQL is away

    openapi.install(app)
    return app
