"""Reading a JSON body safely: a byte limit counted as it streams, and parser failures
turned into 4xx answers, never a 5xx."""

import hashlib
import json
from typing import Any

from fastapi import HTTPException, Request


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
        parsed = json.loads(raw.decode("utf-8"))
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
    except json.JSONDecodeError as error:
        raise HTTPException(400, f"body is not valid JSON: {error.msg} at position {error.pos}") from None
    except UnicodeError:  # not UTF-8, or a lone surrogate escape (\ud800) that parses but cannot be stored
        raise HTTPException(400, "body is not valid UTF-8 text") from None
    except RecursionError:  # deeply nested JSON is not a JSONDecodeError
        raise HTTPException(400, "body is nested too deeply") from None
    except ValueError:  # e.g. an integer literal longer than Python's 4300-digit limit
        raise HTTPException(400, "body holds a value that cannot be read (a number too long?)") from None
    return parsed, digest
