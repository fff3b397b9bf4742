"""Security headers on every /console response, including redirects, errors and static
files. A plain ASGI middleware (not BaseHTTPMiddleware) so the event stream is passed
through unbuffered, and the API's responses are left as they are."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/console"
STATIC_PREFIX = "/console/static/"

# Scripts and styles come only from /console/static: no inline script can run, even if
# some text ever slipped past the template's escaping.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)

COMMON = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # for browsers that predate frame-ancestors
    (b"cross-origin-opener-policy", b"same-origin"),
]


class ConsoleHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        # Pages and fragments carry names, national IDs and narratives: never cache them.
        # Static files are public and versioned by ETag.
        cache = b"no-cache" if path.startswith(STATIC_PREFIX) else b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {b"cache-control", *(name for name, _ in COMMON)}
                ]
                message = {**message, "headers": [*headers, *COMMON, (b"cache-control", cache)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
