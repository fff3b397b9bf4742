"""The ASGI layer in front of intake's app: who the client is, a cap on every body, and
no body read for a request that has no valid credentials.

- Trusted proxies (SAFETYNET_TRUSTED_PROXIES): uvicorn's own ProxyHeadersMiddleware,
  applied here so the setting holds whatever server runs the app: behind those proxies
  the client address (audit trail, throttling) and the scheme (Secure cookies) are the
  forwarded ones; from anyone else the headers are ignored.
- Every body is capped (SAFETYNET_MAX_BODY_BYTES) as it streams in, chunked included:
  past the cap the request is answered 413 and nothing more is read.
- FastAPI reads and parses a route's JSON body before any dependency runs, so the
  authorization dependency alone would let anyone make intake buffer a body. Here, a
  request that carries a body to a route that needs credentials is authenticated first;
  without valid credentials the app gets an empty body instead of the client's and
  answers as it does for any unauthenticated request (401, or the console's sign-in
  redirect), while the client's body is never read.
- HSTS on every response when the settings ask for Secure (all but the embedded mode).
"""

import json
from functools import lru_cache
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from safetynet.intake.domain import policy
from safetynet.intake.entrypoints.api import throttle
from safetynet.intake.entrypoints.authentication import KeyRefused, TooManyFailures, bearer_principal

HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class BodyTooLarge(HTTPException):
    """Raised from `receive` past the cap. An HTTPException, so FastAPI's body parsing
    passes it on (it turns other errors into a 400) and the app answers 413."""

    def __init__(self, limit: int):
        super().__init__(413, f"body larger than {limit} bytes")


class RequestGuard:
    def __init__(self, app: ASGIApp, *, limit: int, hsts: bool):
        self.app, self.limit, self.hsts = app, limit, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_hsts(send)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        if _carries_body(headers) and not await self._authenticated(scope):
            receive = _no_body()
        else:
            receive = _capped(receive, self.limit)
        try:
            await self.app(scope, receive, tracked)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)

    def _with_hsts(self, send: Send) -> Send:
        if not self.hsts:
            return send

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != HSTS[0]]
                message = {**message, "headers": [*kept, HSTS]}
            await send(message)

        return sending

    async def _authenticated(self, scope: Scope) -> bool:
        """Valid credentials for the route's rule (public routes need none)."""
        template = _template(scope["app"], scope["method"], scope["path"])
        if template is None:
            return True  # the router's 404/405, or static files: nothing reads the body
        rule = policy.rule_for(scope["method"], template)
        if rule is None:
            return False  # refused by the policy anyway
        if rule.public:
            return True
        request = Request(scope)
        if throttle.blocked(request):
            return False  # the app answers 429 without reading the body
        if rule.sign_in != "api":
            from safetynet.intake.entrypoints.console.auth import principal_of

            try:
                await principal_of(request, scope["app"].state.intake, redirect=False)
            except Exception:
                return False
            return True
        try:
            # The outcome stays on the request: authz takes it from there, without a second look-up.
            await bearer_principal(request)
        except (KeyRefused, TooManyFailures):
            return False  # the app answers it, as for any request without valid credentials
        return True


@lru_cache(maxsize=1024)
def _pattern(template: str) -> Any:
    return compile_path(template)[0]


def _template(app: Any, method: str, path: str) -> str | None:
    """The path template of the route that will answer, as the policy names it."""
    for context in iter_route_contexts(app.routes):
        methods = context.methods
        if methods is None or ("GET" if method == "HEAD" else method) not in methods:
            continue  # mounts (static files) have no methods and read no body
        if _pattern(context.path).match(path):
            return context.path
    return None


def _carries_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length != "0")


def _capped(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _no_body() -> Receive:
    sent = False

    async def empty() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    return empty


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(app: Any, settings: Any) -> None:
    """The guard inside the proxy headers (so throttling and the audit see the real
    client), both outside everything else the app runs."""
    app.add_middleware(RequestGuard, limit=settings.max_body_bytes, hsts=settings.secure)
    hosts = [h.strip() for h in settings.trusted_proxies.split(",") if h.strip()]
    if hosts:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)
