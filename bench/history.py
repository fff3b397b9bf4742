"""Load N earlier reports straight into every service's tables, for the history phase.

    .venv/bin/python -m bench.history --url postgresql://.../db --count 50000 \
        --key-ring "$SAFETYNET_KEY_RING" --hash-key "$SAFETYNET_SUBJECT_HASH_KEY" \
        --audit-key "$SAFETYNET_AUDIT_KEY"

Run after `safetynet migrate` and before the services start. Received times are spread
evenly over the last --years (2.5: a million reports is about two and a half years of the
national volume). Not through the API (hours at the pipeline's speed), and not one by one
through the services' code (1.4 ms a report): bench/history_rows.py runs that code for a
pool of templates and stamps the reports from them (new ids, shifted times, new subjects,
personal data sealed for real); docs/benchmarks.md, "Loading the history", has the detail.

How it stays fast on 2 cores:
- `--workers` processes, each a contiguous slice of time, each COPYing its own batches
  (asyncpg copy_records_to_table, binary), `synchronous_commit = off` in these sessions;
- the secondary indexes, and the primary keys, unique constraints and foreign keys of the
  loaded tables (except keys on sequences), are dropped before and added back after: one
  sort each instead of millions of random b-tree inserts, and adding them back fails on a
  duplicate or a dangling reference just as inserting with them would;
- the audit trail is hash-chained in trail order, which is not the order reports are made
  in (a referral closes weeks later): workers hand over each entry's binary COPY fields and
  canonical bytes, sorted; one pass merges them, chains them with HMAC (checked against
  intake's own `chain_hash`, so `safetynet audit verify` passes) and streams them into
  intake_audit while the other tables' indexes build.
Then ANALYZE. Every wait is bounded; workers are killed on timeout.
"""

import argparse
import asyncio
import gc
import hashlib
import heapq
import hmac
import inspect
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench import mix
from safetynet.intake.domain.audit import GENESIS, Actor, Entry, chain_hash

SCHEMAS = ["intake", "screening", "routing", "notify"]
DEFAULT_SLA = 24 * 3600
# intake_audit's columns in the order of history_rows.audit_copy_fields, then key_id (if
# this schema has it), prev_hash and hash, which the chaining pass appends.
AUDIT_COLUMNS = [
    "record_id",
    "at",
    "actor_key_id",
    "actor_name",
    "actor_role",
    "action",
    "endpoint",
    "client",
    "county",
    "report_id",
    "referral_id",
    "detail",
]
# Column order of the tuples bench/history_rows.py makes (serial ids left to their defaults).
TABLES: dict[str, tuple[str, list[str]]] = {
    "intake_reports": (
        "intake",
        [
            "report_id",
            "county",
            "township",
            "agency_type",
            "agency_name",
            "key_id",
            "received_at",
            "sla_due_at",
            "categories",
            "submission",
            "personal_key_id",
            "personal_wrapped_key",
            "personal_nonce",
            "personal_ciphertext",
            "pseudonymised_at",
            "trace",
            "agency_county",
        ],
    ),
    "intake_subject_index": ("intake", ["subject_hash", "report_id", "received_at"]),
    "intake_timeline": ("intake", ["report_id", "event_id", "at", "event", "actor", "detail"]),
    "intake_report_views": (
        "intake",
        [
            "report_id",
            "status",
            "risk_level",
            "urgent",
            "direct_dispatch",
            "rule_version",
            "reasons",
            "recommended",
            "destinations",
            "referrals",
            "routing_seq",
            "sla",
            "updated_at",
            "county",  # then the lists' columns (history_rows.LIST_COLUMNS)
            "due_at",
            "sla_state",
            "queue",
            "risk_rank",
            "kinds",
        ],
    ),
    "intake_referral_index": ("intake", ["referral_id", "report_id", "unit"]),
    "screening_decisions": (
        "screening",
        ["report_id", "county", "rule_version", "risk_level", "decision", "decided_at"],
    ),
    "routing_cases": (
        "routing",
        [
            "report_id",
            "county",
            "status",
            "urgent",
            "direct_dispatch",
            "risk_level",
            "recommended",
            "destinations",
            "subject_hashes",
            "seq",
            "received_at",
            "updated_at",
            "reasons",
        ],
    ),
    "routing_case_subjects": ("routing", ["report_id", "subject_hash"]),
    "routing_referrals": (
        "routing",
        [
            "referral_id",
            "report_id",
            "county",
            "kind",
            "unit",
            "status",
            "urgent",
            "assigned_at",
            "updated_at",
            "reason",
            "outcome",
        ],
    ),
    "routing_actions": ("routing", ["report_id", "action", "actor", "at", "detail"]),
    "notify_sla_clocks": (
        "notify",
        [
            "report_id",
            "county",
            "received_at",
            "due_at",
            "state",
            "closed_at",
            "snapshot_seq",
            "deadline_from_screening",
            "updated_at",
            "trace",
        ],
    ),
    "notify_timers": ("notify", ["report_id", "kind", "index", "fire_at", "fired_at"]),
    "notify_notifications": (
        "notify",
        [
            "notification_id",
            "dedupe_key",
            "kind",
            "report_id",
            "referral_id",
            "county",
            "recipient",
            "channel",
            "address",
            "urgent",
            "subject",
            "content",
            "trace",
            "status",
            "attempts",
            "attempts_before_replay",
            "replayed_at",
            "next_attempt_at",
            "created_at",
            "finished_at",
        ],
    ),
    "notify_deliveries": ("notify", ["notification_id", "attempt", "channel", "outcome", "detail", "attempted_at"]),
}


def log(message: str) -> None:
    print(f"[history {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def history_keys() -> dict[str, Any]:
    """The API keys the history was posted and handled with (stable ids; no usable secret)."""

    def key(name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-history/" + name))

    return {
        "agency": {
            f"{c}|{t}": {"key_id": key(f"agency/{c}/{t}"), "name": f"history-{c}-{t}"}
            for c in mix.COUNTY_WEIGHTS
            for t in mix.AGENCY_TYPES
        },
        "dispatcher": {
            c: {"key_id": key(f"dispatcher/{c}"), "name": f"history-dispatcher-{c}"} for c in mix.COUNTY_WEIGHTS
        },
    }


# ---------------------------------------------------------------------------- one worker


def _settle(counties: Any) -> timedelta:
    """How old a report must be for nothing about it to depend on `now` any more except
    closures (which only move later when it is shifted back): its SLA clock met or
    breached, every timer fired or dropped, the dispatcher's confirm and the units'
    acknowledgements applied. The longest SLA deadline of any county, plus a day."""
    longest = DEFAULT_SLA
    for c in getattr(counties, "_counties", {}).values():
        longest = max([longest, c.sla.default_seconds or 0, *c.sla.by_risk_seconds.values()])
    return timedelta(seconds=longest) + timedelta(days=1)


async def _worker(args: argparse.Namespace) -> dict[str, Any]:
    from bench.history_rows import HistoryRows, Stamper, Template, audit_entries  # the services' code

    gc.disable()  # millions of short-lived acyclic tuples: the cyclic collector only costs time
    keys = history_keys()
    keys["agency"] = {tuple(k.split("|")): v for k, v in keys["agency"].items()}
    stable = {k["key_id"] for k in keys["agency"].values()} | {k["key_id"] for k in keys["dispatcher"].values()}
    now = datetime.fromisoformat(args.now)
    span = timedelta(days=365 * args.years)
    start = now - span
    rows = HistoryRows(
        seed=args.seed * 1000 + args.slice, key_ring=args.key_ring, hash_key=args.hash_key, now=now, keys=keys
    )
    first, last = args.count * args.slice // args.workers, args.count * (args.slice + 1) // args.workers
    step = span / max(args.count, 1)
    t0 = time.monotonic()

    # Templates: the services' code, for a pool spread over this slice of time (and a
    # window beyond it), all old enough to be settled.
    total = min(args.count, max(args.templates, args.count // 200))
    window = span * 16 / max(total, 1)  # ~16 templates to draw from per report
    settled_before = now - _settle(rows.counties)
    lo, hi = start + step * first, min(start + step * last + window, settled_before)
    templates: list[Any] = []
    n = max(total // args.workers, 1)
    for k in range(n if hi > lo else 0):
        scratch: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        scratch["audit_stage"] = []
        info = rows.report(lo + (hi - lo) * ((k + rows.rng.random()) / n), scratch, seal=False)
        templates.append((scratch, info))
        if k % 1000 == 999:
            rows.prune(lo + (hi - lo) * (k / n))
    stable |= set(rows.unit_keys.values())
    templates = [Template(b, info, stable) for b, info in templates]
    made_templates = time.monotonic() - t0
    stamper = Stamper(
        seed=args.seed * 7919 + args.slice,
        key_ring=args.key_ring,
        hash_key=args.hash_key,
        templates=templates,
        window=window,
    )
    stamp_before = settled_before - window

    conn = await asyncpg.connect(_dsn(args.url))
    present = await _present_columns(conn)
    counts = {t: 0 for t in TABLES if t in present}
    audit: list[tuple[int, str, bytes, bytes]] = []
    direct = 0
    t1 = time.monotonic()
    try:
        await conn.execute("SET synchronous_commit = off")  # this session's commits only
        batch: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        batch["audit_stage"] = []
        rng = stamper.rng
        for i in range(first, last):
            received_at = start + step * (i + rng.random())
            template = stamper.template_for(received_at) if received_at < stamp_before else None
            if template is not None:
                stamper.stamp(template, received_at, batch, audit)
            else:  # the last days (and any gap in the pool): the services' code itself
                rows.report(received_at, batch)
                audit += audit_entries(batch["audit_stage"])
                batch["audit_stage"].clear()
                direct += 1
            if (i - first + 1) % args.batch == 0 or i == last - 1:
                for table, records in batch.items():
                    if records:
                        schema, columns = TABLES[table]
                        keep = [n for n, c in enumerate(columns) if c in present.get(table, ())]
                        if keep:  # a table or column this schema version dropped is left out
                            await conn.copy_records_to_table(
                                table,
                                schema_name=schema,
                                columns=[columns[n] for n in keep],
                                records=records
                                if len(keep) == len(columns)
                                else [tuple(r[n] for n in keep) for r in records],
                            )
                            counts[table] += len(records)
                        records.clear()
                if (i - first + 1) % (args.batch * 10) == 0:
                    done = i - first + 1
                    print(
                        json.dumps(
                            {"progress": done, "of": last - first, "per_s": round(done / (time.monotonic() - t1))}
                        ),
                        flush=True,
                    )
        unit_keys = [
            (k, "unit", u, (rows.counties.unit_kind(u) or ("",))[0], None, u) for u, k in rows.unit_keys.items()
        ]
    finally:
        await conn.close()
    audit.sort()
    with open(args.audit_file, "wb") as f:
        pickle.dump(audit, f, protocol=pickle.HIGHEST_PROTOCOL)
    counts["intake_audit"] = len(audit)
    return {
        "counts": counts,
        "unit_keys": unit_keys,
        "templates": len(templates),
        "direct": direct,
        "template_s": round(made_templates, 1),
        "seconds": round(time.monotonic() - t0, 1),
    }


# ---------------------------------------------------------------------------- the loader


async def _present_columns(conn: asyncpg.Connection) -> dict[str, set[str]]:
    """The columns each table has in this database (the services' schemas change as they
    are worked on: the loader writes what exists and says what it left out)."""
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ANY($1::text[])",
        [*SCHEMAS, "public"],
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["table_name"], set()).add(r["column_name"])
    return out


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(schema, index, definition) of indexes that back no constraint."""
    rows = await conn.fetch(
        """
        SELECT n.nspname AS schema, i.relname AS name, pg_get_indexdef(i.oid) AS definition
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
        SCHEMAS,
    )
    return [(r["schema"], r["name"], r["definition"]) for r in rows]


async def _constraints(conn: asyncpg.Connection) -> list[tuple[str, str, str, str, str]]:
    """(schema, table, name, type, definition) of the primary keys, unique constraints and
    foreign keys of the tables the loader fills, except primary keys on a sequence (their
    inserts append); foreign keys first. Dropped for the load and added back after: adding
    a primary key or unique constraint builds its index in one sort and fails on a
    duplicate; adding a foreign key checks every row in one join."""
    tables = [*TABLES, "intake_audit"]
    rows = await conn.fetch(
        """
        SELECT n.nspname AS schema, t.relname AS table, c.conname AS name, c.contype::text AS type,
               pg_get_constraintdef(c.oid) AS definition
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = ANY($1::text[]) AND t.relname = ANY($2::text[]) AND c.contype IN ('p', 'u', 'f')
          AND NOT (c.contype = 'p' AND (SELECT bool_and(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval%')
                                        FROM pg_attrdef d WHERE d.adrelid = c.conrelid AND d.adnum = ANY(c.conkey))
                                       IS TRUE)
        ORDER BY c.contype <> 'f', n.nspname, t.relname""",
        SCHEMAS,
        tables,
    )
    return [(r["schema"], r["table"], r["name"], r["type"], r["definition"]) for r in rows]


def _fast_link(audit_key: str | None) -> tuple[Any, Any, str | None]:
    """(link, fast, key_id): intake's own chain step `link(prev, entry)`, a C-only
    equivalent `fast(prev + canonical bytes)` if this version of intake chains as
    domain/audit.py says today (checked on a sample; None otherwise), and the key's id."""
    from safetynet.intake.domain import audit

    keyed = len(inspect.signature(chain_hash).parameters) > 2 and audit_key
    key = None
    if keyed:
        assert audit_key
        key = audit.AuditKey(audit_key.encode()) if hasattr(audit, "AuditKey") else audit_key.encode()

        def link(prev: str, entry: Entry) -> str:
            return chain_hash(prev, entry, key)  # type: ignore[arg-type]  # an older intake keys with bytes

        secret = getattr(key, "secret", None)

        def fast(data: bytes) -> str:
            return hmac.digest(secret, b"chain|" + data, "sha256").hex()  # type: ignore[arg-type]  # keyed: bytes
    else:
        link = chain_hash  # type: ignore[assignment]  # an older intake's unkeyed chain step

        def fast(data: bytes) -> str:
            return hashlib.sha256(data).hexdigest()

    sample = Entry(
        record_id=str(uuid.uuid4()),
        at=datetime.now(UTC),
        actor=Actor(key_id=None, name="history", role="dispatcher"),
        action="read_report",
        endpoint="GET /v1/reports/{report_id}",
        client="10.0.0.1",
        county="新竹縣",
        report_id=str(uuid.uuid4()),
        detail={"fields": ["subjects"]},
    )
    try:
        same = fast(GENESIS.encode() + sample.canonical()) == link(GENESIS, sample)
    except TypeError:
        same = False
    return link, fast if same else None, getattr(key, "id", None)


def _entry(canonical: bytes) -> Entry:
    doc = json.loads(canonical)
    return Entry(
        record_id=doc["record_id"],
        at=datetime.fromisoformat(doc["at"]),
        actor=Actor(key_id=doc["actor_key_id"], name=doc["actor_name"], role=doc["actor_role"]),
        action=doc["action"],
        endpoint=doc["endpoint"],
        client=doc["client"],
        county=doc["county"],
        report_id=doc["report_id"],
        referral_id=doc["referral_id"],
        detail=doc["detail"],
    )


async def _chain_audit(url: str, files: list[str], audit_key: str | None = None) -> int:
    """Merge the workers' audit entries (each file sorted by time, record id: the trail
    order), chain them with intake's keyed hash and COPY them into intake_audit, in
    PostgreSQL's binary COPY format made here (the content fields came encoded from the
    workers; prev_hash and hash are appended as the chain goes)."""
    conn = await asyncpg.connect(_dsn(url))
    link, fast, key_id = _fast_link(audit_key)
    columns = list(AUDIT_COLUMNS)
    if key_id is not None and "key_id" in (await _present_columns(conn)).get("intake_audit", set()):
        columns.append("key_id")
        tail = _text(key_id)
    else:
        tail = b""
    columns += ["prev_hash", "hash"]
    head = struct.pack(">h", len(columns))
    streams = []
    for path in files:
        with open(path, "rb") as f:
            streams.append(pickle.load(f))
        os.unlink(path)
    count = 0
    head_hash = GENESIS

    async def source() -> Any:
        nonlocal count
        prev = head_hash
        yield b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
        out: list[bytes] = []
        for _, _, canonical, fields in heapq.merge(*streams):
            digest = fast(prev.encode() + canonical) if fast else link(prev, _entry(canonical))
            out.append(
                head + fields + tail + b"\x00\x00\x00\x40" + prev.encode() + b"\x00\x00\x00\x40" + digest.encode()
            )
            prev = digest
            if len(out) >= 20_000:
                count += len(out)
                yield b"".join(out)
                out.clear()
        count += len(out)
        yield b"".join(out) + b"\xff\xff"

    try:
        head_hash = (await conn.fetchval("SELECT hash FROM intake.intake_audit ORDER BY seq DESC LIMIT 1")) or GENESIS
        await conn.execute("SET synchronous_commit = off")
        await conn.copy_to_table(
            "intake_audit", schema_name="intake", columns=columns, source=source(), format="binary"
        )
    finally:
        await conn.close()
    return count


def _text(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">i", len(data)) + data


async def _pause_kpi_upkeep(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Disable the triggers that keep the KPI facts and links (intake migration
    p10a2kpilink) for the load: per COPY batch they would recompute every neighbourhood
    the batch touches, and their upserts need the keys dropped for the load. Returns
    (table, trigger) to enable again; none on a schema without them."""
    rows = await conn.fetch(
        "SELECT c.relname, t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = 'intake' AND t.tgname LIKE '%kpi_links%'"
    )
    triggers = [(r["relname"], r["tgname"]) for r in rows]
    for table, trigger in triggers:
        await conn.execute(f'ALTER TABLE intake."{table}" DISABLE TRIGGER "{trigger}"')
    return triggers


async def _rebuild_kpi_upkeep(conn: asyncpg.Connection, triggers: list[tuple[str, str]]) -> float:
    """What the triggers would have kept, in the migration's set-based statements, then the
    triggers on again. After the keys are back (the facts are upserted by report_id)."""
    if not triggers:
        return 0.0
    started = time.monotonic()
    await conn.execute("SET jit = off")
    await conn.execute("SELECT intake.intake_kpi_links_rebuild()")
    for table, trigger in triggers:
        await conn.execute(f'ALTER TABLE intake."{table}" ENABLE TRIGGER "{trigger}"')
    seconds = time.monotonic() - started
    log(f"KPI facts and links rebuilt in {seconds:.0f}s")
    return seconds


async def _run_all(url: str, statements: list[str], connections: int = 2) -> None:
    """Run `statements` on `connections` sessions at once (index builds, ANALYZE)."""
    queue = list(statements)

    async def one() -> None:
        conn = await asyncpg.connect(_dsn(url))
        try:
            await conn.execute("SET maintenance_work_mem = '1GB'")  # this session's sorts only
            while queue:
                await conn.execute(queue.pop(0))
        finally:
            await conn.close()

    await asyncio.gather(*(one() for _ in range(connections)))


async def load(
    url: str,
    *,
    count: int,
    key_ring: str,
    hash_key: str,
    audit_key: str | None = None,
    workers: int = 2,
    seed: int = 11,
    years: float = 2.5,
    batch: int = 2000,
    templates: int = 1000,
    timeout: float = 1500,
) -> dict[str, Any]:
    """Fill `url`'s (migrated, empty) schemas with `count` earlier reports; returns figures."""
    started = time.monotonic()
    deadline = started + timeout
    now = datetime.now(UTC) - timedelta(minutes=5)
    conn = await asyncpg.connect(_dsn(url))
    procs: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.mkdtemp(prefix="sn-history-")
    try:
        kpi_triggers = await _pause_kpi_upkeep(conn)
        indexes = await _secondary_indexes(conn)
        for schema, name, _ in indexes:
            await conn.execute(f'DROP INDEX "{schema}"."{name}"')
        constraints = await _constraints(conn)
        for schema, table, name, _, _ in constraints:
            await conn.execute(f'ALTER TABLE "{schema}"."{table}" DROP CONSTRAINT "{name}"')
        add = {c[2]: f'ALTER TABLE "{c[0]}"."{c[1]}" ADD CONSTRAINT "{c[2]}" {c[4]}' for c in constraints}
        present = await _present_columns(conn)
        missing = {
            t: sorted(set(cols) - present.get(t, set()))
            for t, (_, cols) in TABLES.items()
            if set(cols) - present.get(t, set())
        }
        if missing:
            log(f"not in this schema version, left out: {missing}")
        keys = history_keys()
        created = now - timedelta(days=365 * years + 1)
        key_rows = [
            (k["key_id"], uuid.uuid4().hex * 2, "agency", k["name"], c.split("|")[0], c.split("|")[1], None, created)
            for c, k in keys["agency"].items()
        ]
        key_rows += [
            (k["key_id"], uuid.uuid4().hex * 2, "dispatcher", k["name"], c, None, None, created)
            for c, k in keys["dispatcher"].items()
        ]
        log(
            f"{count:,} reports over {years} years, {workers} workers; dropped for the load: {len(indexes)} "
            f"secondary indexes, {len(constraints)} keys and constraints"
        )
        t_rows = time.monotonic()
        files = [os.path.join(tmp, f"audit-{n}.pickle") for n in range(workers)]
        for n in range(workers):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.history",
                        "--worker",
                        str(n),
                        "--workers",
                        str(workers),
                        "--url",
                        url,
                        "--count",
                        str(count),
                        "--seed",
                        str(seed),
                        "--years",
                        str(years),
                        "--batch",
                        str(batch),
                        "--templates",
                        str(templates),
                        "--audit-file",
                        files[n],
                        "--now",
                        now.isoformat(),
                        "--key-ring",
                        key_ring,
                        "--hash-key",
                        hash_key,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                    cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                )
            )
        results = await asyncio.gather(*(_wait_worker(p, n, deadline) for n, p in enumerate(procs)))
        generated = time.monotonic() - t_rows
        totals: dict[str, int] = {}
        units: dict[str, tuple[Any, ...]] = {}
        for r in results:
            for table, n in r["counts"].items():
                totals[table] = totals.get(table, 0) + n
            units.update({u[0]: u for u in r["unit_keys"]})
        key_rows += [
            (k, uuid.uuid4().hex * 2, "unit", name, county or "", None, unit, created)
            for k, _, name, county, _, unit in units.values()
        ]
        await conn.copy_records_to_table(
            "intake_api_keys",
            schema_name="intake",
            records=key_rows,
            columns=["key_id", "key_hash", "role", "name", "county", "agency_type", "unit", "created_at"],
        )
        log(
            f"rows made and copied in {generated:.0f}s ({count / generated:,.0f} reports/s; templates "
            f"{sum(r['templates'] for r in results):,}, made in {max(r['template_s'] for r in results):.0f}s; "
            f"{sum(r['direct'] for r in results):,} recent reports made directly); chaining the audit trail "
            f"while the other indexes build"
        )
        t_audit = time.monotonic()
        audit_indexes = [d for schema, name, d in indexes if " intake.intake_audit " in d]
        audit_indexes += [add[c[2]] for c in constraints if c[1] == "intake_audit"]
        # Keys first (the foreign keys look them up), largest tables first.
        others = [
            add[c[2]]
            for c in sorted(constraints, key=lambda c: c[1] != "intake_timeline")
            if c[1] != "intake_audit" and c[3] != "f"
        ]
        others += [d for _, _, d in indexes if d not in audit_indexes]
        foreign = [add[c[2]] for c in constraints if c[3] == "f"]

        async def chain() -> float:
            n = await asyncio.wait_for(_chain_audit(url, files, audit_key), max(deadline - time.monotonic(), 1))
            assert n == totals["intake_audit"], (n, totals["intake_audit"])
            return time.monotonic() - t_audit

        audit_s, _ = await asyncio.gather(
            chain(), asyncio.wait_for(_run_all(url, others, 1), max(deadline - time.monotonic(), 1))
        )
        await asyncio.wait_for(_run_all(url, audit_indexes + foreign, 2), max(deadline - time.monotonic(), 1))
        kpi_s = await _rebuild_kpi_upkeep(conn, kpi_triggers)
        index_s = time.monotonic() - t_audit
        tables = [f"{schema}.{t}" for t, (schema, _) in TABLES.items() if t in present]
        tables += ["intake.intake_audit", "intake.intake_api_keys"]
        tables += ["intake.intake_kpi_reports", "intake.intake_kpi_links"] if kpi_triggers else []
        t_analyze = time.monotonic()
        await asyncio.wait_for(_run_all(url, [f"ANALYZE {t}" for t in tables], 2), max(deadline - time.monotonic(), 1))
        analyze_s = time.monotonic() - t_analyze
        seconds = time.monotonic() - started
        rows = sum(totals.values())
        log(
            f"{count:,} reports, {rows:,} rows in {seconds:.0f}s ({rows / seconds:,.0f} rows/s, "
            f"{count / seconds:,.0f} reports/s); audit chain {audit_s:.0f}s, with the indexes {index_s:.0f}s, "
            f"ANALYZE {analyze_s:.0f}s"
        )
        return {
            "reports": count,
            "rows": totals,
            "total_rows": rows,
            "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds),
            "reports_per_s": round(count / seconds),
            "generate_and_copy_s": round(generated, 1),
            "audit_chain_s": round(audit_s, 1),
            "index_build_s": round(index_s, 1),
            "analyze_s": round(analyze_s, 1),
            "kpi_upkeep_s": round(kpi_s, 1),
            "workers": workers,
            "templates": sum(r["templates"] for r in results),
            "direct": sum(r["direct"] for r in results),
            "years": years,
            "received_from": (now - timedelta(days=365 * years)).isoformat(),
            "received_to": now.isoformat(),
        }
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait(10)
        await conn.close()
        shutil.rmtree(tmp, ignore_errors=True)


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
    p = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", required=True)
    p.add_argument("--count", type=int, default=50_000)
    p.add_argument("--key-ring", required=True)
    p.add_argument("--hash-key", required=True)
    p.add_argument("--audit-key", default=None, help="SAFETYNET_AUDIT_KEY: the trail is chained with it")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--years", type=float, default=2.5)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument(
        "--templates",
        type=int,
        default=1000,
        help="at least this many template reports (and one per 200 reports loaded)",
    )
    p.add_argument("--audit-file", help=argparse.SUPPRESS)
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # internal: one slice
    p.add_argument("--now", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker is not None:
        a.slice = a.worker
        print(json.dumps(asyncio.run(_worker(a)), ensure_ascii=False), flush=True)
        return 0
    print(
        json.dumps(
            asyncio.run(
                load(
                    a.url,
                    count=a.count,
                    key_ring=a.key_ring,
                    hash_key=a.hash_key,
                    workers=a.workers,
                    seed=a.seed,
                    years=a.years,
                    batch=a.batch,
                    templates=a.templates,
                    audit_key=a.audit_key,
                )
            ),
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
