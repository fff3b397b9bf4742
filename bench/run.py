"""The SafetyNet Dispatch benchmark: one command, every figure in docs/benchmarks.md.

    scripts/infra up && .venv/bin/python -m bench.run          # --rate 10,20,40 --seconds 30

In one run, on this machine:
1. baseline: a bare FastAPI + asyncpg app (bench/baseline_app.py, under uvicorn as its
   own process) that inserts the same JSON into PostgreSQL: open loop at each --rate,
   then closed loop at --concurrency for --capacity-seconds.
2. pipeline, 3 partitions, one process per service (the default), on a private Kafka
   4.1.1 broker and a fresh PostgreSQL database: idle CPU for --idle-seconds; open loop
   at each --rate, after which every report is read back with GET /v1/reports/{id} and
   its latencies taken from the server's own timestamps; then intake alone (screening,
   routing and notify paused with SIGSTOP) at --concurrency for --capacity-seconds;
   then the others resume (SIGCONT) and drain that backlog: the pipeline's throughput
   without intake competing for the CPU.
3. Kafka's own limits on that broker, services stopped: ProducerPerformance
   (kafka-tools) with records the size of our ReportReceived envelope and the services'
   producer settings, and one aiokafka producer sending one record at a time, as an
   outbox relay does.
4. pipeline, 2 partitions, 2 replicas of screening: as 2.

Results go to docs/benchmarks.md between the generated-section markers (the text
around them is kept) and, in full, to var/bench/<time>/results.json. Every phase has a
deadline; nothing here loops unbounded.
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

from bench import history, keys, mix, otlp_sink, phases
from bench.cpu import CpuMeter, machine_busy, postgres_backends, process_cpu
from bench.kafka import (
    PrivateBroker,
    create_topic,
    infra_paths,
    kafka_tools_dir,
    producer_performance,
    sequential_sends,
)
from bench.loadgen import closed_loop, open_loop, percentiles
from bench.profiled import cpu_by_bucket
from bench.render import DOC, render, render_profile, write_doc
from safetynet.contracts import topics
from tests.support.cluster import Cluster, create_database, infra_from_environment
from tests.support.processes import Process, free_port

REPO = Path(__file__).resolve().parent.parent
PIPELINE_SERVICES = ("screening", "routing", "notify")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def admin_database_url() -> str:
    found = infra_from_environment()
    if found:
        return found[0]
    out = subprocess.run([str(REPO / "scripts" / "infra"), "env"], capture_output=True, text=True, timeout=30).stdout
    settings = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return settings["SAFETYNET_DATABASE_URL"]


async def drop_database(url: str) -> None:
    """Drop a database this run created. Never fails the run: a database it cannot drop
    (someone else is connected, and we may not end their session) is named and left."""
    admin, name = url.rsplit("/", 1)
    for attempt in range(5):
        try:
            conn = await asyncpg.connect(_dsn(admin + "/postgres"))
            try:
                force = " WITH (FORCE)" if attempt == 0 else ""
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')
                return
            finally:
                await conn.close()
        except (asyncpg.PostgresError, OSError) as error:
            last = error
            await asyncio.sleep(2)
    log(f"could not drop database {name} ({type(last).__name__}: {last}); drop it by hand")


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def wait_for_quiet(args: argparse.Namespace, label: str) -> dict[str, float]:
    """Other engineers run tests on this machine now and then. Before a measured phase,
    wait (at most --quiet-wait s) until the whole machine is less than --quiet-below
    busy over 2 s; then go ahead whatever it is. Returns what it saw."""
    started = time.monotonic()
    while True:
        busy0, total0 = machine_busy()
        await asyncio.sleep(2)
        busy1, total1 = machine_busy()
        share = (busy1 - busy0) / max(total1 - total0, 1e-9)
        waited = time.monotonic() - started
        if share <= args.quiet_below or waited >= args.quiet_wait:
            return {"machine_busy_before": round(share, 2), "waited_s": round(waited, 1)}
        log(f"{label}: the machine is {share:.0%} busy; waiting for it to quieten ({waited:.0f}s so far)")


class ProfiledProcess(Process):
    """`safetynet serve` under cProfile (written to `profile` when the process exits)."""

    def __init__(self, *args: str, env: dict[str, str], log: Path, profile: Path):
        self.args = args
        self.log_path = log
        with open(log, "ab") as logfile:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "bench.profiled", str(profile), *args],
                cwd=REPO,
                env={**os.environ, **env},
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def profile_summary(path: Path, top: int = 40) -> str:
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------------------- the pipeline


class Pipeline:
    """The four services as `safetynet serve` processes on a private broker and a fresh
    database, with the keys the load needs."""

    def __init__(
        self,
        *,
        admin_url: str,
        partitions: int,
        screening_replicas: int,
        workdir: Path,
        profile: frozenset[str] = frozenset(),
        extra_env: dict[str, str] | None = None,
        history_reports: int = 0,
        otlp: bool = True,
    ):
        self.profile = profile
        self.history_reports = history_reports
        self.history: dict[str, Any] = {}
        self.otlp = otlp
        self.sink: subprocess.Popen[bytes] | None = None
        self.sink_port = 0
        self.rss: dict[str, float | None] = {}
        self.extra_env = extra_env or {}
        self.profiles: dict[str, dict[str, float]] = {}
        self.admin_url = admin_url
        self.partitions = partitions
        self.replicas = screening_replicas
        self.workdir = workdir
        self.broker = PrivateBroker()
        self.cluster: Cluster | None = None
        self.agency: dict[str, dict[str, str]] = {}
        self.dispatchers: dict[str, dict[str, str]] = {}

    async def start(self) -> None:
        log(f"private kafka (partitions={self.partitions}) ...")
        self.broker.start()
        url = await create_database(self.admin_url)
        otel: dict[str, str] = {}
        if self.otlp:
            # Tracing exported as in production, to a sink of our own (bench/otlp_sink.py).
            self.sink_port = free_port()
            with open(self.workdir / "otlp_sink.log", "ab") as sink_log:
                self.sink = subprocess.Popen(
                    [sys.executable, "-m", "bench.otlp_sink", str(self.sink_port)],
                    cwd=REPO,
                    stdout=subprocess.DEVNULL,
                    stderr=sink_log,
                    start_new_session=True,
                )
            otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.sink_port}"}
        # The per-key rate limit (a token bucket in intake) is off: the benchmark posts
        # from five keys at up to hundreds a second to measure capacity, not the limiter.
        self.cluster = Cluster(
            database_url=url,
            kafka=self.broker.bootstrap,
            workdir=self.workdir,
            SAFETYNET_KAFKA_PARTITIONS=str(self.partitions),
            SAFETYNET_RATE_LIMIT_PER_MINUTE="0",
            # 32 bytes, whatever tests/support/cluster.py's default is today.
            SAFETYNET_SUBJECT_HASH_KEY=secrets.token_hex(32),
            # intake refuses the development secrets outside `safetynet dev`.
            SAFETYNET_CONSOLE_SECRET=secrets.token_hex(32),
            SAFETYNET_AUDIT_KEY=secrets.token_hex(32),
            **otel,
            **self.extra_env,
        )
        log(f"database {db_name(url)}: migrate, start services, mint keys ...")
        self.cluster.migrate()
        if self.history_reports:
            # Before any service starts: the loader drops and rebuilds secondary indexes.
            self.history = await history.load(
                url,
                count=self.history_reports,
                key_ring=self.cluster.env["SAFETYNET_KEY_RING"],
                hash_key=self.cluster.env["SAFETYNET_SUBJECT_HASH_KEY"],
                audit_key=self.cluster.env["SAFETYNET_AUDIT_KEY"],
            )
        # Keys are minted in one child process, while the services start (bench/keys.py).
        specs = [
            {"role": "agency", "name": f"bench-{t}", "county": "苗栗縣", "agency_type": t} for t in mix.AGENCY_TYPES
        ]
        specs += [{"role": "dispatcher", "name": f"bench-{c}", "county": c} for c in mix.COUNTY_WEIGHTS]
        minting = keys.start(specs, self.cluster.env)
        self.start_services()
        headers = keys.collect(minting)
        if len(headers) != len(specs):
            raise RuntimeError(f"bench.keys minted {len(headers)} keys of {len(specs)}")
        self.agency = dict(zip(mix.AGENCY_TYPES, headers[: len(mix.AGENCY_TYPES)], strict=True))
        self.dispatchers = dict(zip(mix.COUNTY_WEIGHTS, headers[len(mix.AGENCY_TYPES) :], strict=True))

    def start_services(self) -> None:
        """Every service at once, as an orchestrator starts them (the topics' creation
        tolerates the race), then wait for each to be ready: their start-ups overlap
        instead of queueing. Registered first, so `stop` ends them all if one fails."""
        assert self.cluster
        names = [("intake", ""), ("screening", "")]
        names += [("screening", f"-{n}") for n in range(2, self.replicas + 1)]
        names += [("routing", ""), ("notify", "")]
        ports = {}
        for service, replica in names:
            process, ports[service + replica] = self.launch(service, replica)
            self.cluster.processes[service + replica] = process
        for name, port in ports.items():
            self.cluster.processes[name].wait_http(f"http://127.0.0.1:{port}/readyz", timeout=90)

    def launch(self, service: str, replica: str = "") -> tuple[Process, int]:
        """`safetynet serve` (under cProfile if asked), not yet ready; (process, port)."""
        assert self.cluster
        name = service + replica
        port = self.cluster.port if service == "intake" else free_port()
        args = ("serve", service, "--port", str(port))
        log_path = self.workdir / f"{name}.log"
        if service not in self.profile:
            return Process(*args, env=self.cluster.env, log=log_path), port
        profile = self.workdir / f"{name}.prof"
        return ProfiledProcess(*args, env=self.cluster.env, log=log_path, profile=profile), port

    def signal_pipeline(self, sig: int) -> None:
        """SIGSTOP or SIGCONT screening, routing and notify: paused processes use no CPU
        and keep their pids, so the CPU meter stays exact. (A pause longer than the
        consumer session timeout, 10 s, costs one group rebalance on resume.)"""
        assert self.cluster
        for name, process in self.cluster.processes.items():
            if name != "intake":
                os.killpg(process.popen.pid, sig)

    async def wait_for_group(self, group: str, members: int, timeout: float = 60) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        await admin.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                [response] = await admin.describe_consumer_groups([group])
                found = response.groups[0]
                listed = next((f for f in found if isinstance(f, list)), [])
                if found[2] == "Stable" and len(listed) == members:
                    return
                await asyncio.sleep(0.5)
        finally:
            await admin.close()
        raise RuntimeError(f"consumer group {group} never reached {members} stable members")

    @property
    def url(self) -> str:
        assert self.cluster
        return self.cluster.database_url

    def pids(self) -> dict[str, int]:
        assert self.cluster and self.broker.pid
        return {**{n: p.popen.pid for n, p in self.cluster.processes.items()}, "kafka": self.broker.pid}

    def request(self, bodies: list[tuple[str, bytes]]) -> Any:
        def make(index: int) -> tuple[str, bytes, dict[str, str]]:
            agency_type, body = bodies[index]
            return "/v1/reports", body, self.agency[agency_type]

        return make

    async def wait_settled(self, report_ids: list[str], timeout: float) -> tuple[int, float]:
        """Poll the read model until every report has left `received`; (settled, seconds)."""
        t0 = time.monotonic()
        settled = 0
        while time.monotonic() - t0 < timeout:
            rows = await query(
                self.url,
                "SELECT count(*) AS n FROM intake.intake_report_views "
                "WHERE report_id = ANY($1) AND status <> 'received' AND risk_level IS NOT NULL",
                report_ids,
            )
            settled = rows[0]["n"]
            if settled >= len(report_ids):
                break
            await asyncio.sleep(0.5)
        return settled, time.monotonic() - t0

    async def wait_idle(self, *, below: float = 0.3, timeout: float = 90) -> float:
        """Wait until the benchmark's processes (services, broker, our database's
        backends) use less than `below` of a core over one second: every consumer has
        caught up, not just the ones a report's status depends on. Returns the seconds."""
        pids = self.pids()
        database = db_name(self.url)

        def used() -> float:
            return sum(process_cpu(pid) or 0.0 for pid in pids.values()) + sum(postgres_backends(database).values())

        started = time.monotonic()
        last = used()
        while time.monotonic() - started < timeout:
            await asyncio.sleep(1.0)
            now = used()
            if now - last < below:
                break
            last = now
        return time.monotonic() - started

    async def read_back(self, report_ids: list[str], counties: dict[str, str]) -> list[dict[str, Any]]:
        """GET every report with its county's dispatcher key (8 at a time)."""
        assert self.cluster
        semaphore = asyncio.Semaphore(8)
        async with httpx.AsyncClient(base_url=self.cluster.base, timeout=30) as client:

            async def one(report_id: str) -> dict[str, Any]:
                async with semaphore:
                    response = await client.get(
                        f"/v1/reports/{report_id}", headers=self.dispatchers[counties[report_id]]
                    )
                    response.raise_for_status()
                    report: dict[str, Any] = response.json()
                    return report

            return await asyncio.gather(*(one(r) for r in report_ids))

    async def events_per_report(self) -> dict[str, float]:
        """Events each service published through Kafka, per report accepted."""
        reports = (await query(self.url, "SELECT count(*) AS n FROM intake.intake_reports"))[0]["n"]
        out = {}
        for service in ("intake", *PIPELINE_SERVICES):
            n = (await query(self.url, f"SELECT count(*) AS n FROM {service}.{service}_outbox"))[0]["n"]
            out[service] = round(n / max(reports, 1), 2)
        return out

    async def envelope_size(self) -> int:
        rows = await query(
            self.url, "SELECT avg(length(value))::int AS n FROM intake.intake_outbox WHERE topic = $1", topics.REPORTS
        )
        return int(rows[0]["n"])

    def sink_stats(self) -> dict[str, Any]:
        return otlp_sink.stats(self.sink_port) if self.sink else {}

    async def stop(self, *, keep_database: bool) -> None:
        if self.cluster:
            self.rss = {
                name: phases.rss_mb(p.popen.pid) for name, p in self.cluster.processes.items() if p.popen.poll() is None
            } or self.rss
            self.cluster.stop_all()
            for name in self.cluster.processes:
                prof = self.workdir / f"{name}.prof"
                if prof.exists():
                    (self.workdir / f"{name}.profile.txt").write_text(profile_summary(prof))
                    self.profiles[name] = cpu_by_bucket(prof)
                    log(f"profile of {name}: {(self.workdir / f'{name}.profile.txt').relative_to(REPO)}")
        self.broker.stop()
        if self.sink and self.sink.poll() is None:
            self.sink.terminate()
            try:
                self.sink.wait(10)
            except subprocess.TimeoutExpired:
                self.sink.kill()
        if self.cluster and not keep_database:
            await drop_database(self.cluster.database_url)


def latencies(views: list[dict[str, Any]]) -> dict[str, Any]:
    """Server-side latencies from each report's own timestamps (ms)."""
    at_once, at_once_red, at_once_direct, review, screened, hop = [], [], [], [], [], []
    routed_all: list[tuple[datetime, float]] = []
    counts: dict[str, int] = {}
    for view in views:
        received = _at(view["received_at"])
        timeline = {e["event"]: _at(e["at"]) for e in reversed(view["timeline"])}  # first of each kind
        counts[view["status"]] = counts.get(view["status"], 0) + 1
        counts["risk_" + str(view["risk_level"])] = counts.get("risk_" + str(view["risk_level"]), 0) + 1
        if "screened" in timeline:
            screened.append((timeline["screened"] - received).total_seconds() * 1000)
        routed = timeline.get("status_assigned") or timeline.get("status_awaiting_review")
        if routed:
            routed_all.append((received, (routed - received).total_seconds() * 1000))
        if routed and "screened" in timeline:
            hop.append((routed - timeline["screened"]).total_seconds() * 1000)
        if view["status"] == "assigned" and view["referrals"]:
            ms = (max(_at(r["assigned_at"]) for r in view["referrals"]) - received).total_seconds() * 1000
            at_once.append(ms)
            (at_once_direct if view["direct_dispatch"] else at_once_red).append(ms)
            counts["direct_dispatch"] = counts.get("direct_dispatch", 0) + bool(view["direct_dispatch"])
        elif view["status"] == "awaiting_review" and "status_awaiting_review" in timeline:
            review.append((timeline["status_awaiting_review"] - received).total_seconds() * 1000)
    routed_all.sort()
    third = max(len(routed_all) // 3, 1)
    return {
        "counts": counts,
        "accepted_to_routed": percentiles([ms for _, ms in routed_all]),
        # Did a backlog build up during the phase? The first and the last third, by arrival.
        "accepted_to_routed_first_third": percentiles([ms for _, ms in routed_all[:third]]),
        "accepted_to_routed_last_third": percentiles([ms for _, ms in routed_all[-third:]]),
        "accepted_to_assigned": percentiles(at_once),
        "accepted_to_assigned_red": percentiles(at_once_red),
        "accepted_to_assigned_direct": percentiles(at_once_direct),
        "accepted_to_awaiting_review": percentiles(review),
        "accepted_to_screened": percentiles(screened),
        "screened_to_routed": percentiles(hop),
    }


def per_report_ms(cpu: dict[str, float], reports: int) -> dict[str, float]:
    skip = {"machine_total", "wall"}
    out = {k: round(v * 1000 / max(reports, 1), 2) for k, v in cpu.items() if k not in skip}
    out["others_share"] = round(cpu["others"] / cpu["machine_total"], 3) if cpu.get("machine_total") else 0.0
    # The cost figure: every process of the system, Kafka and PostgreSQL included
    # (not the load generator, the OTLP sink or unattributed machine time).
    system = [v for k, v in out.items() if k.split("-")[0] in SYSTEM_PROCESSES]
    out["all_processes"] = round(sum(system), 2)
    return out


SYSTEM_PROCESSES = ("intake", "screening", "routing", "notify", "kafka", "postgres", "baseline")


async def pipeline_scenario(
    name: str,
    *,
    partitions: int,
    replicas: int,
    args: argparse.Namespace,
    admin_url: str,
    bodies: list[tuple[str, bytes]],
    warm: list[tuple[str, bytes]],
    workdir: Path,
    kafka_limits: bool,
    rates: list[float],
    history_reports: int = 0,
    get_phase: bool = False,
) -> dict[str, Any]:
    pipeline = Pipeline(
        admin_url=admin_url,
        partitions=partitions,
        screening_replicas=replicas,
        workdir=workdir / name,
        profile=frozenset(args.profile),
        extra_env=dict(kv.split("=", 1) for kv in args.env),
        history_reports=history_reports,
        otlp=not args.no_otlp,
    )
    (workdir / name).mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"name": name, "partitions": partitions, "screening_replicas": replicas}
    try:
        await pipeline.start()
        if pipeline.history:
            out["history"] = pipeline.history
        assert pipeline.cluster
        base = pipeline.cluster.base
        await pipeline.wait_for_group("safetynet-screening", replicas)
        log(f"{name}: warm-up ({len(warm)} reports)")
        warmed = await open_loop(base, pipeline.request(warm), rate=10, seconds=len(warm) / 10)
        await pipeline.wait_settled([o.body["report_id"] for o in warmed.accepted if o.body], 60)

        # What the system burns doing nothing: polling loops, relays, consumer fetches.
        quiet = await wait_for_quiet(args, name)
        meter = CpuMeter(pipeline.pids(), db_name(pipeline.url))
        await asyncio.sleep(args.idle_seconds)
        idle = meter.stop()
        out["idle"] = {
            **quiet,
            "cpu_s": idle,
            "cores": {
                k: round(v / idle["wall"], 3) for k, v in idle.items() if k not in ("wall", "machine_total", "loadgen")
            },
        }

        if get_phase:
            # Reads on the loaded database, the system otherwise idle.
            sample = await query(
                pipeline.url, "SELECT report_id, county FROM intake.intake_reports ORDER BY random() LIMIT 5000"
            )
            quiet = await wait_for_quiet(args, name)
            log(f"{name}: GET latency, closed loop x{args.get_concurrency}, {args.get_seconds}s per endpoint")
            meter = CpuMeter(pipeline.pids(), db_name(pipeline.url))
            out["get_latency"] = {
                **quiet,
                **await phases.get_latency(
                    base,
                    dispatchers=pipeline.dispatchers,
                    report_ids=[(r["report_id"], r["county"]) for r in sample],
                    concurrency=args.get_concurrency,
                    seconds=args.get_seconds,
                ),
                "cpu_s": meter.stop(),
            }
            for k, v in out["get_latency"].items():
                if k.startswith("GET"):
                    log(f"{name}: {k}: p99 {v['latency_ms']['p99']} ms, {v['per_s']}/s, errors {v['errors'] or '-'}")

        offset = 0
        out["rate_phases"] = []
        for rate in rates:
            count = int(rate * args.seconds)
            quiet = await wait_for_quiet(args, name)
            log(f"{name}: open loop {rate}/s for {args.seconds}s ({count} reports)")
            meter = CpuMeter(pipeline.pids(), db_name(pipeline.url))
            phase = await open_loop(base, pipeline.request(bodies), rate=rate, seconds=args.seconds, first_index=offset)
            ids = [o.body["report_id"] for o in phase.accepted if o.body]
            settled, drain = await pipeline.wait_settled(ids, args.drain_timeout)
            await pipeline.wait_idle(timeout=min(90.0, args.drain_timeout))
            cpu = meter.stop()
            log(f"{name}: {len(ids)} accepted, {settled} settled {drain:.1f}s after the last answer; reading back ...")
            counties = {o.body["report_id"]: json.loads(bodies[o.index][1])["county"] for o in phase.accepted if o.body}
            views = await pipeline.read_back(ids, counties)
            out["rate_phases"].append(
                {
                    **phase.summary(),
                    "settled": settled,
                    "unsettled": len(ids) - settled,
                    "settle_seconds_after_last_answer": round(drain, 1),
                    "latency": latencies(views),
                    **quiet,
                    "cpu_s": cpu,
                    "cpu_ms_per_report": per_report_ms(cpu, len(ids)),
                }
            )
            offset += count

        # Intake alone at full speed, then the rest of the pipeline drains the backlog.
        quiet = await wait_for_quiet(args, name)
        log(f"{name}: intake alone, closed loop x{args.concurrency} for {args.capacity_seconds}s")
        pipeline.signal_pipeline(signal.SIGSTOP)
        meter = CpuMeter(pipeline.pids(), db_name(pipeline.url))
        burst = await closed_loop(
            base,
            pipeline.request(bodies),
            concurrency=args.concurrency,
            seconds=args.capacity_seconds,
            first_index=offset,
            max_requests=len(bodies) - offset,
        )
        burst_cpu = meter.stop()
        burst_ids = [o.body["report_id"] for o in burst.accepted if o.body]
        await asyncio.sleep(1.0)  # let intake's relay publish its tail
        out["intake_capacity"] = {
            **burst.summary(),
            **quiet,
            "cpu_s": burst_cpu,
            "cpu_ms_per_report": per_report_ms(burst_cpu, len(burst_ids)),
        }
        log(f"{name}: {len(burst_ids)} accepted ({out['intake_capacity']['throughput']}/s); draining ...")
        meter = CpuMeter(pipeline.pids(), db_name(pipeline.url))
        pipeline.signal_pipeline(signal.SIGCONT)
        settled, drain = await pipeline.wait_settled(burst_ids, args.drain_timeout)
        all_settled_at = datetime.now(UTC)
        await pipeline.wait_idle(timeout=min(90.0, args.drain_timeout))
        drain_cpu = meter.stop()
        rows = await query(
            pipeline.url,
            """
            SELECT min(t.at) FILTER (WHERE t.event = 'screened') AS first_screened,
                   max(t.at) FILTER (WHERE t.event IN ('status_assigned', 'status_awaiting_review')) AS last_routed,
                   count(*) FILTER (WHERE t.event IN ('status_assigned', 'status_awaiting_review')) AS routed
            FROM intake.intake_timeline t WHERE t.report_id = ANY($1)""",
            burst_ids,
        )
        first, last, routed = rows[0]["first_screened"], rows[0]["last_routed"], rows[0]["routed"]
        span = (last - first).total_seconds() if first and last else None
        visible = (all_settled_at - first).total_seconds() if first else None
        out["pipeline_drain"] = {
            "reports": len(burst_ids),
            "settled": settled,
            "routed": routed,
            "first_screened_to_last_routed_s": round(span, 2) if span else None,
            # Decisions: screening and routing done (the referrals exist).
            "throughput": round(routed / span, 1) if span else None,
            # Visible: the read model behind GET shows every report's routed status
            # (intake's projection consumer has caught up; 0.5 s polling).
            "first_screened_to_all_visible_s": round(visible, 2) if visible else None,
            "visible_throughput": round(settled / visible, 1) if visible else None,
            "cpu_s": drain_cpu,
            "cpu_ms_per_report": per_report_ms(drain_cpu, len(burst_ids)),
        }
        log(
            f"{name}: {routed} screened and routed in {span}s ({out['pipeline_drain']['throughput']}/s), "
            f"all visible after {visible}s ({out['pipeline_drain']['visible_throughput']}/s)"
        )

        out["events_per_report"] = await pipeline.events_per_report()
        if pipeline.sink:
            await asyncio.sleep(6)  # the BatchSpanProcessor exports every 5 s
            spans = pipeline.sink_stats()
            posted = offset + len(burst_ids) + len(warm)
            out["otlp"] = {
                **spans,
                "reports_posted": posted,
                "spans_per_report": round(spans.get("spans", 0) / max(posted, 1), 1),
            }
        out["rss_mb"] = {n: phases.rss_mb(p.popen.pid) for n, p in pipeline.cluster.processes.items()}
        if kafka_limits:
            out["kafka"] = await measure_kafka(pipeline, args)
        return out
    finally:
        await pipeline.stop(keep_database=args.keep_databases)
        if pipeline.profiles:
            out["profiles"] = pipeline.profiles


async def measure_kafka(pipeline: Pipeline, args: argparse.Namespace) -> dict[str, Any]:
    """The broker's raw limits, with the services stopped."""
    size = await pipeline.envelope_size()
    assert pipeline.cluster
    pipeline.cluster.stop_all()
    tools = kafka_tools_dir()
    bootstrap = pipeline.broker.bootstrap
    await create_topic(bootstrap, "bench.producer-perf", pipeline.partitions)
    await create_topic(bootstrap, "bench.sequential", pipeline.partitions)
    props = {"acks": "all", "enable.idempotence": "true", "linger.ms": "2"}
    quiet = await wait_for_quiet(args, "kafka")
    log(f"kafka: ProducerPerformance {args.perf_records} x {size} B ({' '.join(f'{k}={v}' for k, v in props.items())})")
    meter = CpuMeter({"kafka": pipeline.broker.pid or 0})
    perf = producer_performance(
        tools, bootstrap, "bench.producer-perf", records=args.perf_records, record_size=size, props=props
    )
    perf_cpu = meter.stop()
    log(f"kafka: {perf.records_per_sec} records/s; one-at-a-time aiokafka for 5 s ...")
    sequential = await sequential_sends(bootstrap, "bench.sequential", record_size=size, seconds=5)
    return {
        "envelope_bytes": size,
        **quiet,
        "producer_performance": perf.as_dict(),
        "producer_performance_cpu_s": perf_cpu,
        "sequential_send_and_wait": sequential,
    }


# ---------------------------------------------------------------------------- the baseline


async def baseline_scenario(
    *,
    args: argparse.Namespace,
    admin_url: str,
    bodies: list[tuple[str, bytes]],
    warm: list[tuple[str, bytes]],
    workdir: Path,
) -> dict[str, Any]:
    url = await create_database(admin_url)
    port = free_port()
    (workdir / "baseline").mkdir(parents=True, exist_ok=True)
    with open(workdir / "baseline" / "uvicorn.log", "ab") as logfile:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.baseline_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env={**os.environ, "BENCH_BASELINE_DSN": url},
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"name": "baseline"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"baseline app did not start: {(workdir / 'baseline' / 'uvicorn.log').read_text()}")
            await asyncio.sleep(0.2)

        def request(source: list[tuple[str, bytes]]) -> Any:
            return lambda i: ("/v1/reports", source[i][1], {})

        await open_loop(base, request(warm), rate=10, seconds=len(warm) / 10)
        offset = 0
        out["rate_phases"] = []
        for rate in args.rate:
            count = int(rate * args.seconds)
            quiet = await wait_for_quiet(args, "baseline")
            log(f"baseline: open loop {rate}/s for {args.seconds}s")
            meter = CpuMeter({"baseline": process.pid}, db_name(url))
            phase = await open_loop(base, request(bodies), rate=rate, seconds=args.seconds, first_index=offset)
            cpu = meter.stop()
            out["rate_phases"].append(
                {**phase.summary(), **quiet, "cpu_s": cpu, "cpu_ms_per_report": per_report_ms(cpu, len(phase.accepted))}
            )
            offset += count
        quiet = await wait_for_quiet(args, "baseline")
        log(f"baseline: closed loop x{args.concurrency} for {args.capacity_seconds}s")
        meter = CpuMeter({"baseline": process.pid}, db_name(url))
        burst = await closed_loop(
            base,
            request(bodies),
            concurrency=args.concurrency,
            seconds=args.capacity_seconds,
            first_index=offset,
            max_requests=len(bodies) - offset,
        )
        cpu = meter.stop()
        out["capacity"] = {
            **burst.summary(),
            **quiet,
            "cpu_s": cpu,
            "cpu_ms_per_report": per_report_ms(cpu, len(burst.accepted)),
        }
        log(f"baseline: {out['capacity']['throughput']}/s at full speed")
        return out
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        if not args.keep_databases:
            await drop_database(url)


# ---------------------------------------------------------------------------- the machine


def _run(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


async def machine(admin_url: str) -> dict[str, Any]:
    from importlib.metadata import version

    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    pg = await query(admin_url, "SHOW server_version")
    libs = Path(infra_paths()["KAFKA_LIBS"])
    kafka_jar = next(iter(sorted(libs.glob("kafka_2.13-*.jar"))), None)
    from bench.kafka import find_java

    java = subprocess.run([find_java(), "-version"], capture_output=True, text=True).stderr.splitlines()
    dirty = _run("git", "-C", str(REPO), "status", "--porcelain")
    return {
        "nproc": _run("nproc"),
        "memory_gib": round(int(meminfo["MemTotal"].split()[0]) / 1024 / 1024, 1),
        "cpu": cpu_model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg[0]["server_version"],
        "kafka": kafka_jar.name.removeprefix("kafka_2.13-").removesuffix(".jar") if kafka_jar else "?",
        "java": java[0] if java else "?",
        "packages": {
            p: version(p) for p in ("fastapi", "uvicorn", "sqlalchemy", "asyncpg", "aiokafka", "httpx", "uvloop")
        },
        "commit": _run("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
        + (" (+ uncommitted changes)" if dirty else ""),
    }


# ---------------------------------------------------------------------------- main


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="the short profile (under 5 min): 3p1r, 10 s per rate, a 5,000-report history and the "
        "embedded drain, shorter idle, capacity, GET and quiet-wait phases, no baseline and no Kafka "
        "limits; any knob given explicitly still wins",
    )
    p.add_argument(
        "--rate",
        type=lambda v: [float(r) for r in v.split(",")],
        default=None,
        help="open-loop reports per second; a comma list runs one phase per rate (default 100,200)",
    )
    p.add_argument("--seconds", type=float, default=None, help="open-loop duration (default 60; quick 10)")
    p.add_argument("--concurrency", type=int, default=16, help="connections in the capacity phases (default 16)")
    p.add_argument("--capacity-seconds", type=float, default=None, help="capacity phase duration (default 20; quick 6)")
    p.add_argument("--idle-seconds", type=float, default=None, help="idle CPU measurement (default 10; quick 4)")
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=None,
        help="max seconds to wait for the pipeline to settle after a phase (default 240; quick 60)",
    )
    p.add_argument(
        "--history",
        type=int,
        default=None,
        help="earlier reports loaded for the history phase (default 1,000,000; quick 5,000; 0: skip)",
    )
    p.add_argument(
        "--get-seconds", type=float, default=None, help="per endpoint in the GET phase (default 15; quick 4)"
    )
    p.add_argument("--get-concurrency", type=int, default=4, help="connections in the GET phase (default 4)")
    p.add_argument(
        "--embedded-reports", type=int, default=None, help="backlog posted to `safetynet dev` (default 2000; quick 400)"
    )
    p.add_argument("--perf-records", type=int, default=200_000, help="ProducerPerformance records (default 200000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat-share", type=float, default=0.05, help="share of re-reports (default 0.05)")
    p.add_argument(
        "--only",
        default=None,
        help="comma list of baseline, 3p1r, kafka, history, embedded, 2p2r "
        "(default baseline,3p1r,kafka,history,embedded; quick 3p1r,history,embedded)",
    )
    p.add_argument(
        "--quiet-below",
        type=float,
        default=0.3,
        help="before each phase, wait until the machine is less busy than this share (default 0.3)",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=None,
        help="... but at most this many seconds (default 120; quick 2: one look, no waiting)",
    )
    p.add_argument(
        "--profile",
        type=lambda v: [x for x in v.split(",") if x],
        default=[],
        help="run these services under cProfile (slower: not for the headline figures)",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the services, e.g. OTEL_SDK_DISABLED=true (repeatable)",
    )
    p.add_argument("--no-otlp", action="store_true", help="do not export traces (no OTLP sink)")
    p.add_argument("--keep-databases", action="store_true", help="keep the fresh databases for inspection")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    a = p.parse_args(argv)
    quick = a.quick
    for name, full, short in (
        ("rate", [100.0, 200.0], [100.0, 200.0]),
        ("seconds", 60.0, 10.0),
        ("capacity_seconds", 20.0, 6.0),
        ("idle_seconds", 10.0, 4.0),
        ("drain_timeout", 240.0, 60.0),
        ("history", 1_000_000, 5_000),
        ("get_seconds", 15.0, 4.0),
        ("embedded_reports", 2000, 400),
        ("only", "baseline,3p1r,kafka,history,embedded", "3p1r,history,embedded"),
        ("quiet_wait", 120.0, 2.0),
    ):
        if getattr(a, name) is None:
            setattr(a, name, short if quick else full)
    if not (
        all(0 < r <= 500 for r in a.rate)
        and len(a.rate) <= 4
        and 0 < a.seconds <= 600
        and 0 < a.capacity_seconds <= 120
        and 0 < a.concurrency <= 128
    ):
        p.error(
            "keep it bounded: at most 4 rates, each <= 500/s, seconds <= 600, capacity-seconds <= 120, concurrency <= 128"
        )
    if not (0 <= a.history <= 2_000_000 and 0 < a.get_seconds <= 120 and 0 < a.embedded_reports <= 20_000):
        p.error("keep it bounded: history <= 2,000,000, get-seconds <= 120, embedded-reports <= 20,000")
    return a


async def main(argv: list[str]) -> int:
    args = parse(argv)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = REPO / "var" / "bench" / stamp
    workdir.mkdir(parents=True, exist_ok=True)
    admin_url = admin_database_url()
    only = set(args.only.split(","))
    count = sum(int(rate * args.seconds) for rate in args.rate)
    # Enough bodies for the open loop and a capacity phase at up to 5,000/s (it stops
    # early, and says so, if they run out).
    bodies = mix.generate(count + int(args.capacity_seconds * 5000), seed=args.seed, repeat_share=args.repeat_share)
    warm = mix.generate(20, seed=args.seed + 1000, repeat_share=0)
    results: dict[str, Any] = {
        "command": ".venv/bin/python -m bench.run " + " ".join(argv) if argv else ".venv/bin/python -m bench.run",
        "args": vars(args),
        "machine": await machine(admin_url),
        "mix": mix.describe(bodies[:count]),
        "json": str((workdir / "results.json").relative_to(REPO)),
    }

    def save() -> None:  # after every scenario, so a crash keeps what was measured
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["duration_s"] = time.monotonic() - started
        (workdir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))

    if "baseline" in only:
        results["baseline"] = await baseline_scenario(
            args=args, admin_url=admin_url, bodies=bodies, warm=warm, workdir=workdir
        )
        save()
    if "3p1r" in only:
        results["pipeline_3p_1r"] = await pipeline_scenario(
            "pipeline_3p_1r",
            partitions=3,
            replicas=1,
            args=args,
            admin_url=admin_url,
            bodies=bodies,
            warm=warm,
            workdir=workdir,
            kafka_limits="kafka" in only,
            rates=args.rate,
        )
        save()
    if "history" in only and args.history and not args.profile:
        # The same topology on a database that already holds --history earlier reports:
        # GET latency, then intake capacity and the drain again (no open-loop phases).
        results["pipeline_3p_1r_history"] = await pipeline_scenario(
            "pipeline_3p_1r_history",
            partitions=3,
            replicas=1,
            args=args,
            admin_url=admin_url,
            bodies=bodies,
            warm=warm,
            workdir=workdir,
            kafka_limits=False,
            rates=[],
            history_reports=args.history,
            get_phase=True,
        )
        save()
    if "embedded" in only and not args.profile:
        await wait_for_quiet(args, "embedded")
        log(f"embedded: safetynet dev, {args.embedded_reports} reports posted at x8, then drained")
        (workdir / "embedded").mkdir(parents=True, exist_ok=True)
        results["embedded"] = await phases.embedded_drain(
            reports=args.embedded_reports,
            concurrency=8,
            timeout=max(args.drain_timeout, 60) * 2,
            workdir=workdir / "embedded",
            extra_env=dict(kv.split("=", 1) for kv in args.env),
        )
        log(f"embedded: {results['embedded']}")
        save()
    if "2p2r" in only:
        results["pipeline_2p_2r"] = await pipeline_scenario(
            "pipeline_2p_2r",
            partitions=2,
            replicas=2,
            args=args,
            admin_url=admin_url,
            bodies=bodies,
            warm=warm,
            workdir=workdir,
            kafka_limits=False,
            rates=args.rate,
        )
    save()
    if args.profile:
        # Profiled services run slower: their figures go to the profile section only.
        section = render_profile(results)
        if not args.no_doc:
            write_doc(section, "profile")
    else:
        section = render(results)
        if not args.no_doc:
            write_doc(section, "results")
    if not args.no_doc:
        log(f"wrote {DOC.relative_to(REPO)}")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
