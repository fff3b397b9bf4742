"""Load N earlier reports straight into every service's tables, for the history phase.

    .venv/bin/python -m bench.history --url postgresql://.../db --count 50000 \
        --key-ring "$SAFETYNET_KEY_RING" --hash-key "$SAFETYNET_SUBJECT_HASH_KEY"

Run after `safetynet migrate` and before the services start. The rows come from
bench/history_rows.py (the services' own domain code and intake's cipher, so GET opens
them); received times are spread evenly over the last --years (2.5: a million reports is
about two and a half years of the national volume). Not through the API: at the
pipeline's speed that would take hours.

How it stays fast on 2 cores:
- `--workers` processes, each a contiguous slice of time, each COPYing its own batches
  (asyncpg copy_records_to_table, binary); repeat detection works within a slice (a
  re-report across a slice boundary is missed: a handful in a million);
- the secondary indexes of the four schemas are dropped before and built after (one
  sort each instead of a million b-tree inserts); primary keys and unique constraints
  stay, so a duplicate would still fail;
- the audit trail is hash-chained in trail order, which is not the order reports are
  made in (a referral closes weeks later): workers write unchained entries to an
  UNLOGGED staging table, and one pass reads them back by time, chains them with
  intake's own `chain_hash` (so `safetynet audit verify` passes) and COPYs them in.
Then ANALYZE. Every wait is bounded; workers are killed on timeout.
"""

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from bench import mix
from safetynet.intake.domain.audit import GENESIS, Actor, Entry, chain_hash

SCHEMAS = ["intake", "screening", "routing", "notify"]
STAGE = "public.bench_history_audit_stage"
AUDIT_COLUMNS = ["at", "record_id", "actor_key_id", "actor_name", "actor_role", "action", "endpoint", "client",
                 "county", "report_id", "referral_id", "detail"]
# Column order of the tuples bench/history_rows.py makes (serial ids left to their defaults).
TABLES: dict[str, tuple[str, list[str]]] = {
    "intake_reports": ("intake", [
        "report_id", "county", "township", "agency_type", "agency_name", "key_id", "received_at", "sla_due_at",
        "categories", "submission", "personal_key_id", "personal_wrapped_key", "personal_nonce",
        "personal_ciphertext", "pseudonymised_at", "trace"]),
    "intake_subject_index": ("intake", ["subject_hash", "report_id", "received_at"]),
    "intake_timeline": ("intake", ["report_id", "event_id", "at", "event", "actor", "detail"]),
    "intake_report_views": ("intake", [
        "report_id", "status", "risk_level", "urgent", "direct_dispatch", "rule_version", "reasons", "recommended",
        "destinations", "referrals", "routing_seq", "sla", "updated_at"]),
    "intake_referral_index": ("intake", ["referral_id", "report_id", "unit"]),
    "screening_decisions": ("screening", ["report_id", "county", "rule_version", "risk_level", "decision",
                                          "decided_at"]),
    "screening_closed_referrals": ("screening", ["referral_id", "subject_hash", "kind", "unit", "closed_at"]),
    "routing_cases": ("routing", [
        "report_id", "county", "status", "urgent", "direct_dispatch", "risk_level", "recommended", "destinations",
        "subject_hashes", "seq", "received_at", "updated_at"]),
    "routing_referrals": ("routing", ["referral_id", "report_id", "county", "kind", "unit", "status", "urgent",
                                      "assigned_at", "updated_at", "reason", "outcome"]),
    "routing_actions": ("routing", ["report_id", "action", "actor", "at", "detail"]),
    "notify_sla_clocks": ("notify", ["report_id", "county", "received_at", "due_at", "state", "closed_at",
                                     "snapshot_seq", "deadline_from_screening", "updated_at", "trace"]),
    "notify_timers": ("notify", ["report_id", "kind", "index", "fire_at", "fired_at"]),
    "notify_notifications": ("notify", [
        "notification_id", "dedupe_key", "kind", "report_id", "referral_id", "county", "recipient", "channel",
        "address", "urgent", "subject", "content", "trace", "status", "attempts", "attempts_before_replay",
        "replayed_at", "next_attempt_at", "created_at", "finished_at"]),
    "notify_deliveries": ("notify", ["notification_id", "attempt", "channel", "outcome", "detail", "attempted_at"]),
    "audit_stage": ("public", AUDIT_COLUMNS),
}


def log(message: str) -> None:
    print(f"[history {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def history_keys() -> dict[str, Any]:
    """The API keys the history was posted and handled with (stable ids; no usable secret)."""
    def key(name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-history/" + name))
    return {"agency": {f"{c}|{t}": {"key_id": key(f"agency/{c}/{t}"), "name": f"history-{c}-{t}"}
                       for c in mix.COUNTY_WEIGHTS for t in mix.AGENCY_TYPES},
            "dispatcher": {c: {"key_id": key(f"dispatcher/{c}"), "name": f"history-dispatcher-{c}"}
                           for c in mix.COUNTY_WEIGHTS}}


# ---------------------------------------------------------------------------- one worker


async def _worker(args: argparse.Namespace) -> dict[str, Any]:
    from bench.history_rows import HistoryRows   # the services' code: only the workers need it
    keys = history_keys()
    keys["agency"] = {tuple(k.split("|")): v for k, v in keys["agency"].items()}
    now = datetime.fromisoformat(args.now)
    span = timedelta(days=365 * args.years)
    start = now - span
    rows = HistoryRows(seed=args.seed * 1000 + args.slice, key_ring=args.key_ring, hash_key=args.hash_key,
                       now=now, keys=keys)
    first, last = args.count * args.slice // args.workers, args.count * (args.slice + 1) // args.workers
    step = span / max(args.count, 1)
    conn = await asyncpg.connect(_dsn(args.url))
    counts = {t: 0 for t in TABLES}
    present = await _present_columns(conn)
    t0 = time.monotonic()
    try:
        await conn.execute("SET synchronous_commit = off")
        batch: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        for i in range(first, last):
            rows.report(start + step * (i + rows.rng.random()), batch)
            if (i - first + 1) % args.batch == 0 or i == last - 1:
                for table, records in batch.items():
                    if records:
                        schema, columns = TABLES[table]
                        name = "bench_history_audit_stage" if table == "audit_stage" else table
                        keep = [n for n, c in enumerate(columns) if c in present.get(name, ())]
                        if keep:   # a table or column this schema version dropped is left out
                            await conn.copy_records_to_table(
                                name, schema_name=schema, columns=[columns[n] for n in keep],
                                records=records if len(keep) == len(columns) else
                                [tuple(r[n] for n in keep) for r in records])
                        counts[table] += len(records)
                        records.clear()
                if (i - first + 1) % (args.batch * 20) == 0:
                    rows.prune(start + step * i)
                    done = i - first + 1
                    print(json.dumps({"progress": done, "of": last - first,
                                      "per_s": round(done / (time.monotonic() - t0))}), flush=True)
        unit_keys = [(k, "unit", u, (rows.counties.unit_kind(u) or ("",))[0], None, u)
                     for u, k in rows.unit_keys.items()]
    finally:
        await conn.close()
    return {"counts": counts, "unit_keys": unit_keys, "seconds": round(time.monotonic() - t0, 1)}


# ---------------------------------------------------------------------------- the loader


async def _present_columns(conn: asyncpg.Connection) -> dict[str, set[str]]:
    """The columns each table has in this database (the services' schemas change as they
    are worked on: the loader writes what exists and says what it left out)."""
    rows = await conn.fetch("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = ANY($1::text[])", [*SCHEMAS, "public"])
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["table_name"], set()).add(r["column_name"])
    return out


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(schema, index, definition) of indexes that back no constraint."""
    rows = await conn.fetch("""
        SELECT n.nspname AS schema, i.relname AS name, pg_get_indexdef(i.oid) AS definition
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""", SCHEMAS)
    return [(r["schema"], r["name"], r["definition"]) for r in rows]


def _chainer(audit_key: str | None) -> Any:
    """intake's chain_hash, keyed if this version of intake keys its audit chain."""
    if len(inspect.signature(chain_hash).parameters) > 2 and audit_key:
        from safetynet.intake.domain import audit
        key = audit.AuditKey(audit_key.encode()) if hasattr(audit, "AuditKey") else audit_key.encode()
        def keyed(prev: str, entry: Entry) -> str:
            return chain_hash(prev, entry, key)  # type: ignore[call-arg, arg-type]
        keyed.key = key  # type: ignore[attr-defined]
        return keyed
    return chain_hash


async def _chain_audit(url: str, deadline: float, audit_key: str | None = None) -> int:
    """Read the staged entries in trail order, chain them, COPY them into intake_audit."""
    reader, writer = await asyncpg.connect(_dsn(url)), await asyncpg.connect(_dsn(url))
    columns = ["record_id", "at", "actor_key_id", "actor_name", "actor_role", "action", "endpoint", "client",
               "county", "report_id", "referral_id", "detail", "prev_hash", "hash"]
    count = 0
    link = _chainer(audit_key)
    # Newer intake names the chaining key on each record (AuditKey.id).
    key_id = getattr(getattr(link, "key", None), "id", None)
    if key_id is not None and "key_id" in (await _present_columns(reader)).get("intake_audit", set()):
        columns.append("key_id")
    else:
        key_id = None
    try:
        prev = await reader.fetchval("SELECT hash FROM intake.intake_audit ORDER BY seq DESC LIMIT 1") or GENESIS
        out: list[tuple[Any, ...]] = []
        async with reader.transaction():
            async for r in reader.cursor(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM {STAGE} ORDER BY at, record_id",
                                         prefetch=20_000):
                detail = json.loads(r["detail"])
                entry = Entry(record_id=r["record_id"], at=r["at"],
                              actor=Actor(key_id=r["actor_key_id"], name=r["actor_name"], role=r["actor_role"]),
                              action=r["action"], endpoint=r["endpoint"], client=r["client"], county=r["county"],
                              report_id=r["report_id"], referral_id=r["referral_id"], detail=detail)
                digest = link(prev, entry)
                out.append((r["record_id"], r["at"], r["actor_key_id"], r["actor_name"], r["actor_role"],
                            r["action"], r["endpoint"], r["client"], r["county"], r["report_id"], r["referral_id"],
                            r["detail"], prev, digest) + ((key_id,) if key_id else ()))
                prev = digest
                if len(out) >= 20_000:
                    await writer.copy_records_to_table("intake_audit", schema_name="intake", columns=columns,
                                                       records=out)
                    count += len(out)
                    out.clear()
                    if time.monotonic() > deadline:
                        raise TimeoutError("history: chaining the audit trail ran out of time")
        if out:
            await writer.copy_records_to_table("intake_audit", schema_name="intake", columns=columns, records=out)
            count += len(out)
    finally:
        await reader.close()
        await writer.close()
    return count


async def load(url: str, *, count: int, key_ring: str, hash_key: str, audit_key: str | None = None,
               workers: int = 2, seed: int = 11,
               years: float = 2.5, batch: int = 2000, timeout: float = 1500) -> dict[str, Any]:
    """Fill `url`'s (migrated, empty) schemas with `count` earlier reports; returns figures."""
    started = time.monotonic()
    deadline = started + timeout
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    conn = await asyncpg.connect(_dsn(url))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        indexes = await _secondary_indexes(conn)
        for schema, name, _ in indexes:
            await conn.execute(f'DROP INDEX "{schema}"."{name}"')
        await conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
        await conn.execute(f"""CREATE UNLOGGED TABLE {STAGE} (at timestamptz NOT NULL, record_id text NOT NULL,
            actor_key_id text, actor_name text NOT NULL, actor_role text NOT NULL, action text NOT NULL,
            endpoint text NOT NULL, client text NOT NULL, county text, report_id text, referral_id text,
            detail jsonb NOT NULL)""")
        present = await _present_columns(conn)
        missing = {t: sorted(set(cols) - present.get(t, set())) for t, (_, cols) in TABLES.items()
                   if t != "audit_stage" and set(cols) - present.get(t, set())}
        if missing:
            log(f"not in this schema version, left out: {missing}")
        keys = history_keys()
        created = now - timedelta(days=365 * years + 1)
        key_rows = [(k["key_id"], uuid.uuid4().hex * 2, "agency", k["name"], c.split("|")[0], c.split("|")[1], None,
                     created) for c, k in keys["agency"].items()]
        key_rows += [(k["key_id"], uuid.uuid4().hex * 2, "dispatcher", k["name"], c, None, None, created)
                     for c, k in keys["dispatcher"].items()]
        log(f"{count:,} reports over {years} years, {workers} workers; secondary indexes dropped: {len(indexes)}")
        t_rows = time.monotonic()
        for n in range(workers):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "bench.history", "--worker", str(n), "--workers", str(workers), "--url", url,
                 "--count", str(count), "--seed", str(seed), "--years", str(years), "--batch", str(batch),
                 "--now", now.isoformat(), "--key-ring", key_ring, "--hash-key", hash_key],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        results = await asyncio.gather(*(_wait_worker(p, n, deadline) for n, p in enumerate(procs)))
        generated = time.monotonic() - t_rows
        totals: dict[str, int] = {}
        units: dict[str, tuple[Any, ...]] = {}
        for r in results:
            for table, n in r["counts"].items():
                totals[table] = totals.get(table, 0) + n
            units.update({u[0]: u for u in r["unit_keys"]})
        key_rows += [(k, uuid.uuid4().hex * 2, "unit", name, county or "", None, unit, created)
                     for k, _, name, county, _, unit in units.values()]
        await conn.copy_records_to_table("intake_api_keys", schema_name="intake", records=key_rows, columns=[
            "key_id", "key_hash", "role", "name", "county", "agency_type", "unit", "created_at"])
        log(f"rows made and copied in {generated:.0f}s ({count / generated:,.0f} reports/s); chaining the audit trail")
        t_audit = time.monotonic()
        totals["intake_audit"] = await _chain_audit(url, deadline, audit_key)
        totals.pop("audit_stage", None)
        audit_s = time.monotonic() - t_audit
        t_index = time.monotonic()
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for _, _, definition in indexes:
            await conn.execute(definition)
        index_s = time.monotonic() - t_index
        await conn.execute(f"DROP TABLE {STAGE}")
        await conn.execute("ANALYZE")
        seconds = time.monotonic() - started
        rows = sum(totals.values())
        log(f"{count:,} reports, {rows:,} rows in {seconds:.0f}s ({rows / seconds:,.0f} rows/s, "
            f"{count / seconds:,.0f} reports/s); audit chain {audit_s:.0f}s, indexes {index_s:.0f}s")
        return {"reports": count, "rows": totals, "total_rows": rows, "seconds": round(seconds, 1),
                "rows_per_s": round(rows / seconds), "reports_per_s": round(count / seconds),
                "generate_and_copy_s": round(generated, 1), "audit_chain_s": round(audit_s, 1),
                "index_build_s": round(index_s, 1), "workers": workers, "years": years,
                "received_from": (now - timedelta(days=365 * years)).isoformat(), "received_to": now.isoformat()}
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait(10)
        await conn.close()


async def _wait_worker(proc: subprocess.Popen[bytes], n: int, deadline: float) -> dict[str, Any]:
    """The worker's last JSON line; its progress lines are logged as they come."""
    assert proc.stdout and proc.stderr
    loop = asyncio.get_running_loop()
    last: dict[str, Any] = {}
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"history worker {n} ran out of time")
        line = await asyncio.wait_for(loop.run_in_executor(None, proc.stdout.readline), remaining)
        if not line:
            break
        last = json.loads(line)
        if "progress" in last:
            log(f"worker {n}: {last['progress']:,} / {last['of']:,} ({last['per_s']}/s)")
    code = await loop.run_in_executor(None, proc.wait)
    if code != 0 or "counts" not in last:
        raise RuntimeError(f"history worker {n} failed ({code}):\n{proc.stderr.read().decode()[-3000:]}")
    return last


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--count", type=int, default=50_000)
    p.add_argument("--key-ring", required=True)
    p.add_argument("--hash-key", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--years", type=float, default=2.5)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)   # internal: one slice
    p.add_argument("--now", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker is not None:
        a.slice = a.worker
        print(json.dumps(asyncio.run(_worker(a)), ensure_ascii=False), flush=True)
        return 0
    print(json.dumps(asyncio.run(load(a.url, count=a.count, key_ring=a.key_ring, hash_key=a.hash_key,
                                      workers=a.workers, seed=a.seed, years=a.years, batch=a.batch)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
