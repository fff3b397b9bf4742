"""Phases that are not the open/closed POST loops of bench/loadgen.py: GET latency on a
loaded database, memory at the end of a run, and the embedded mode's drain rate."""

import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import mix
from bench.http import HttpClient, HttpError
from bench.loadgen import closed_loop, percentiles
from tests.support.processes import Process, free_port, mint_key

GetRequest = Callable[[int], tuple[str, dict[str, str]]]  # i -> (path, headers)


async def get_loop(
    base_url: str, request: GetRequest, *, concurrency: int, seconds: float, max_requests: int = 100_000
) -> dict[str, Any]:
    """Closed loop of GETs: `concurrency` workers for `seconds`; latency percentiles (ms)."""
    client = HttpClient(base_url, concurrency, timeout=30.0)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sizes: list[int] = []
    counter = iter(range(max_requests))
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()

    async def worker() -> None:
        while time.monotonic() < deadline:
            i = next(counter, None)
            if i is None:
                return
            path, headers = request(i)
            started = time.monotonic()
            try:
                status, body = await client.send(client.encode("GET", path, b"", headers))
            except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError):
                status, body = 0, b""
            if status == 200:
                latencies.append((time.monotonic() - started) * 1000)
                sizes.append(len(body))
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1

    async with client:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.monotonic() - t0
    return {
        "ok": len(latencies),
        "errors": errors,
        "per_s": round(len(latencies) / wall, 1),
        "latency_ms": percentiles(latencies),
        "mean_body_bytes": round(sum(sizes) / max(len(sizes), 1)),
    }


async def get_latency(
    base_url: str,
    *,
    dispatchers: dict[str, dict[str, str]],
    report_ids: list[tuple[str, str]],
    concurrency: int,
    seconds: float,
    seed: int = 5,
) -> dict[str, Any]:
    """The reads dispatch staff make, each alone, on an idle system: the queue, the open
    SLAs, a month's KPIs, and single historical reports (random ones, so mostly not in
    PostgreSQL's cache). Counties round-robin, each with its own dispatcher key."""
    rng = random.Random(seed)
    counties = list(dispatchers)
    last_month_end = date.today().replace(day=1) - timedelta(days=1)
    month = (last_month_end.replace(day=1).isoformat(), last_month_end.isoformat())
    out: dict[str, Any] = {"kpi_period": {"from": month[0], "to": month[1]}}
    reads: dict[str, GetRequest] = {
        "GET /v1/queue": lambda i: ("/v1/queue", dispatchers[counties[i % len(counties)]]),
        "GET /v1/ops/slas": lambda i: ("/v1/ops/slas", dispatchers[counties[i % len(counties)]]),
        "GET /v1/kpis (one month)": lambda i: (
            f"/v1/kpis?county={quote(counties[i % len(counties)])}&from={month[0]}&to={month[1]}",
            dispatchers[counties[i % len(counties)]],
        ),
    }
    if report_ids:

        def one(i: int) -> tuple[str, dict[str, str]]:
            report_id, county = report_ids[rng.randrange(len(report_ids))]
            return f"/v1/reports/{report_id}", dispatchers[county]

        reads["GET /v1/reports/{id} (historical)"] = one
    for name, request in reads.items():
        out[name] = await get_loop(base_url, request, concurrency=concurrency, seconds=seconds)
    return out


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process, MB (None if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


# ---------------------------------------------------------------------------- embedded mode


async def embedded_drain(
    *, reports: int, concurrency: int, timeout: float, workdir: Path, extra_env: dict[str, str], seed: int = 17
) -> dict[str, Any]:
    """`safetynet dev` (one process, SQLite in a temporary directory): post `reports` as
    fast as it takes them, then wait until every one shows its routed status through the
    read model behind GET. Drain rate = reports / (first POST to all visible): in one
    process intake and the pipeline share the CPU, so that is the embedded throughput."""
    tmp = Path(tempfile.mkdtemp(prefix="sn-bench-dev-"))
    db = tmp / "safetynet.db"
    port = free_port()
    env = {"SAFETYNET_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "SAFETYNET_RATE_LIMIT_PER_MINUTE": "0", **extra_env}
    process: Process | None = None
    out: dict[str, Any] = {"reports": reports}
    try:
        process = Process("dev", "--port", str(port), env=env, log=workdir / "dev.log")
        process.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=90)
        keys = {
            t: {
                "Authorization": f"Bearer {mint_key(env, '--role', 'agency', '--name', f'bench-{t}', '--county', '苗栗縣', '--agency-type', t)}"
            }
            for t in mix.AGENCY_TYPES
        }
        bodies = mix.generate(reports, seed=seed, repeat_share=0.05)
        base = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        burst = await closed_loop(
            base,
            lambda i: ("/v1/reports", bodies[i][1], keys[bodies[i][0]]),
            concurrency=concurrency,
            seconds=timeout / 2,
            max_requests=reports,
        )
        posted = time.monotonic() - t0
        ids = [o.body["report_id"] for o in burst.accepted if o.body]
        out.update(
            {
                "accepted": len(ids),
                "post_seconds": round(posted, 1),
                "accepted_per_s": round(len(ids) / posted, 1) if posted else None,
                "errors": burst.summary()["errors"],
            }
        )
        settled = 0
        while time.monotonic() - t0 < timeout:
            settled = _settled_sqlite(db, ids)
            if settled >= len(ids):
                break
            await asyncio.sleep(0.5)
        wall = time.monotonic() - t0
        out.update(
            {
                "settled": settled,
                "first_post_to_all_visible_s": round(wall, 1),
                "drain_per_s": round(settled / wall, 1) if wall else None,
                "rss_mb": rss_mb(process.popen.pid),
                "timed_out": settled < len(ids),
            }
        )
        return out
    finally:
        if process is not None:
            process.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _settled_sqlite(db: Path, ids: list[str]) -> int:
    """Reports whose read model shows a routed status (SQLite: no schemas, prefixed names)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        conn.execute("CREATE TEMP TABLE wanted (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO wanted VALUES (?)", [(i,) for i in ids])
        row = conn.execute(
            "SELECT count(*) FROM intake_report_views v JOIN wanted w ON w.id = v.report_id "
            "WHERE v.status <> 'received' AND v.risk_level IS NOT NULL"
        ).fetchone()
        return int(row[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


if __name__ == "__main__":  # a quick manual check: python -m bench.phases 200
    print(
        json.dumps(
            asyncio.run(
                embedded_drain(
                    reports=int(sys.argv[1]),
                    concurrency=8,
                    timeout=120,
                    workdir=Path(tempfile.gettempdir()),
                    extra_env={},
                )
            ),
            indent=2,
        )
    )
    os._exit(0)
