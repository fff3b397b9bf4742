"""Run `safetynet ...` under cProfile with a CPU-time clock, for `bench.run --profile`.

    python -m bench.profiled OUT.prof serve intake --port 8000

`python -m cProfile` times with the wall clock, which in an asyncio service charges
every await (waiting for PostgreSQL, for Kafka, for a CPU under contention) to whoever
awaited. With time.process_time only CPU is counted. The profile is written when the
service exits (SIGTERM included: `safetynet serve` shuts down cleanly on it).
"""

import cProfile
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

SAFETYNET = str(Path(sys.executable).with_name("safetynet"))

BUCKETS = (  # first match wins; matched against the file name of a profiled function
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/opentelemetry/", "OpenTelemetry"),
    ("/pydantic", "pydantic"),
    ("sslproto.py", "TLS to PostgreSQL (asyncio sslproto)"),
    ("/ssl.py", "TLS to PostgreSQL (asyncio sslproto)"),
    ("/aiokafka/", "aiokafka"),
    ("/kafka/", "aiokafka"),
    ("/fastapi/", "HTTP (FastAPI, Starlette, uvicorn)"),
    ("/starlette/", "HTTP (FastAPI, Starlette, uvicorn)"),
    ("/uvicorn/", "HTTP (FastAPI, Starlette, uvicorn)"),
    ("/asyncio/", "asyncio event loop"),
    ("/selectors.py", "asyncio event loop"),
    ("/json/", "JSON (stdlib)"),
    ("/logging/", "logging"),
    ("/safetynet/", "SafetyNet code"),
    ("<frozen", "start-up (imports)"),
)


def bucket(filename: str) -> str | None:
    for needle, name in BUCKETS:
        if needle in filename:
            return name
    return None if filename == "~" else "other Python"


def cpu_by_bucket(path: Path) -> dict[str, float]:
    """CPU seconds by library. A built-in function (a C call: socket send, json, hashing,
    TLS, ...) counts for the library that called it."""
    import pstats

    stats: dict[Any, Any] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]  # typeshed omits .stats
    out: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, callers) in stats.items():
        own = bucket(filename)
        if own is not None:
            out[own] += tottime
            continue
        total = sum(c[2] for c in callers.values()) or 0.0
        for (caller_file, _, _), (_, _, caller_tt, _) in callers.items():
            share = tottime * (caller_tt / total) if total else 0.0
            out[bucket(caller_file) or "C built-ins"] += share
        if not callers:
            out["C built-ins"] += tottime
    return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    sys.argv = [SAFETYNET, *args]
    profile = cProfile.Profile(time.process_time)
    try:
        profile.runcall(runpy.run_path, SAFETYNET, run_name="__main__")
    except SystemExit:
        pass
    finally:
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
