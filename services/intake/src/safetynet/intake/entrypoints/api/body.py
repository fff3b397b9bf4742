"""Reading a JSON body safely: a byte limit counted as it streams, parser failures turned
into 4xx answers (never a 5xx), and duplicate keys refused: Python's parser keeps the
last of them, so {"weapon": true, "weapon": false} would silently lower a red report."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.responses import Response


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def loads(raw: bytes | str) -> Any:
    """json.loads, refusing an object that names a key twice (DuplicateKey)."""
    return json.loads(raw, object_pairs_hook=_unique)


def duplicate_key(error: DuplicateKey) -> HTTPException:
    # The key's name only, never its values (they may be a name or an ID).
    return HTTPException(
        422,
        [
            {
                "loc": ["body"],
                "type": "duplicate_key",
                "msg": f"the key {error.key[:100]!r} appears more than once in an object",
            }
        ],
    )


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = loads(await self.body())
            except DuplicateKey as error:
                raise duplicate_key(error) from None
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body FastAPI parses refusing duplicate keys (422)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict


async def read_json(request: Request, *, limit: int) -> tuple[Any, str]:
    """The parsed body and the SHA-256 of its canonical form (for idempotency)."""
    content_type = request.headers.get("content-type", "application/json")
    if "json" not in content_type.split(";")[0].lower():
        raise HTTPException(415, "send the report as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    # Content-Length can be absent (chunked): count what actually arrives.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        parsed = loads(raw.decode("utf-8"))
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
    except DuplicateKey as error:
        raise duplicate_key(error) from None
    except json.JSONDecodeError as error:
        raise HTTPException(400, f"body is not valid JSON: {error.msg} at position {error.pos}") from None
    except UnicodeError:  # not UTF-8, or a lone surrogate escape (\ud800) that parses but cannot be stored
        raise HTTPException(400, "body is not valid UTF-8 text") from None
    except RecursionError:  # deeply nested JSON is not a JSONDecodeError
        raise HTTPException(400, "body is nested too deeply") from None
    except ValueError:  # e.g. an integer literal longer than Python's 4300-digit limit
        raise HTTPException(400, "body holds a value that cannot be read (a number too long?)") from None
    return parsed, digest
