"""The intake HTTP application."""

import logging
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.requests import ClientDisconnect
from sqlalchemy import text

from safetynet.contracts.messaging.readiness import unavailable
from safetynet.contracts.report import ReportSubmission
from safetynet.intake.entrypoints import console, guard, outage
from safetynet.intake.entrypoints.api import actions, queue, reports
from safetynet.intake.entrypoints.api import kpis, ops
from safetynet.intake.entrypoints.api import audit as audit_api
from safetynet.intake.entrypoints.api.authz import OutOfReach, authorize, document_policy
from safetynet.intake.entrypoints.api.deps import IntakeContext
from safetynet.intake.entrypoints.api.ratelimit import TokenBuckets

log = logging.getLogger(__name__)

DESCRIPTION = """
Partner agencies (police, schools, hospitals, social agencies) post reports about people
at risk; the county screening and dispatch center screens and routes each within 24 hours.
Authenticate with `Authorization: Bearer <key>`.
"""


def create_app(ctx: IntakeContext) -> FastAPI:
    # Every route runs `authorize` first: the policy of domain/policy.py, one dependency.
    app = FastAPI(title="SafetyNet Dispatch — intake API", version="1.0.0", description=DESCRIPTION,
                  dependencies=[Depends(authorize)])
    app.state.intake = ctx
    app.state.rate_limits = TokenBuckets(ctx.settings.rate_limit_per_minute)
    app.state.auth_failures = TokenBuckets(ctx.settings.auth_failures_per_minute)  # per client address
    app.include_router(reports.router)
    app.include_router(actions.router)
    app.include_router(queue.router)
    app.include_router(kpis.router)
    app.include_router(ops.router)
    app.include_router(audit_api.router)
    console.install(app)  # the dispatch staff's web console at /console
    guard.install(app, ctx.settings)  # outermost: proxies, body cap, credentials before bodies, HSTS

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        # A new user opens the bare address first: lead them to the console (which asks
        # for a key) rather than answer 404.
        return RedirectResponse("/console", status_code=307)

    @app.get("/healthz", tags=["ops"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="The database answers", responses={503: {"description": "Not ready"}})
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
            return console.pages.not_found(request, None)  # type: ignore[arg-type]
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

    _publish_request_schema(app)
    return app


def _publish_request_schema(app: FastAPI) -> None:
    """POST /v1/reports reads its body itself (to count bytes and catch parser errors),
    so add the contract's schema to the OpenAPI components by hand."""
    original = app.openapi

    def openapi() -> dict:  # type: ignore[type-arg]
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        defs = ReportSubmission.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.pop("$defs", {}))
        components["ReportSubmission"] = defs
        document_policy(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
