"""The history phase's reads alone, on a database that already holds the history.

    flock /tmp/safetynet-heavy.lock .venv/bin/python -m bench.history_gets \
        --url postgresql://safetynet:safetynet@127.0.0.1:5432/safetynet_hist --seconds 15

The database is one `bench.history` loaded (after `safetynet migrate`), and the
environment holds the SAFETYNET_KEY_RING, SAFETYNET_SUBJECT_HASH_KEY and
SAFETYNET_AUDIT_KEY it was loaded with. This starts intake alone on a private Kafka (no
other service: nothing changes the data while it reads), mints one dispatcher key per
county, and runs bench/phases.py's GET phase: the queue, the open SLAs, last month's KPIs
and random historical reports, each in a closed loop, counties in turn. It prints p50 /
p95 / p99 per endpoint (and `--json` writes the figures). Minutes instead of the full
run's half hour, for before/after comparisons of the read paths.
"""

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench import mix, phases
from bench.kafka import PrivateBroker
from tests.support.processes import Process, free_port, mint_key

NEEDED = ("SAFETYNET_KEY_RING", "SAFETYNET_SUBJECT_HASH_KEY", "SAFETYNET_AUDIT_KEY")


def log(message: str) -> None:
    print(f"[history-gets {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def sample_reports(url: str, count: int) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT report_id, county FROM intake.intake_reports TABLESAMPLE SYSTEM (1) LIMIT $1", count
        )
    finally:
        await conn.close()
    return [(r["report_id"], r["county"]) for r in rows]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="sn-history-gets-"))
    env = {
        "SAFETYNET_DATABASE_URL": args.url,
        "SAFETYNET_RATE_LIMIT_PER_MINUTE": "0",
        "SAFETYNET_CONSOLE_SECRET": os.environ.get("SAFETYNET_CONSOLE_SECRET") or secrets.token_hex(32),
    }
    broker = PrivateBroker()
    intake: Process | None = None
    try:
        log("private kafka ...")
        broker.start()
        env["SAFETYNET_KAFKA_BOOTSTRAP"] = broker.bootstrap
        port = free_port()
        intake = Process("serve", "intake", "--port", str(port), env=env, log=workdir / "intake.log")
        intake.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=120)
        dispatchers = {
            county: {
                "Authorization": "Bearer "
                + mint_key(env, "--role", "dispatcher", "--name", f"gets-{county}", "--county", county)
            }
            for county in mix.COUNTY_WEIGHTS
        }
        sample = await sample_reports(args.url, 5000)
        log(f"GETs: closed loop x{args.concurrency}, {args.seconds}s per endpoint; logs in {workdir}")
        return await phases.get_latency(
            f"http://127.0.0.1:{port}",
            dispatchers=dispatchers,
            report_ids=sample,
            concurrency=args.concurrency,
            seconds=args.seconds,
        )
    finally:
        if intake is not None:
            intake.stop()
        broker.stop()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.history_gets", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", required=True, help="the loaded database (postgresql://…)")
    p.add_argument("--seconds", type=float, default=15.0, help="per endpoint (default 15, as the full run)")
    p.add_argument("--concurrency", type=int, default=4, help="connections (default 4, as the full run)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        p.error(f"set {', '.join(missing)} as the history was loaded with")
    if not (0 < args.seconds <= 120 and 0 < args.concurrency <= 32):
        p.error("keep it bounded: seconds <= 120, concurrency <= 32")
    results = asyncio.run(measure(args))
    print(f"KPI period {results['kpi_period']['from']} – {results['kpi_period']['to']}")
    print(f"{'read':<40} {'answered':>8} {'errors':>8} {'p50':>9} {'p95':>9} {'p99':>9}  ms")
    for name, figures in results.items():
        if name.startswith("GET"):
            ms = figures["latency_ms"]
            errors = sum(figures["errors"].values())
            print(f"{name:<40} {figures['ok']:>8} {errors:>8} {ms['p50']:>9} {ms['p95']:>9} {ms['p99']:>9}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
