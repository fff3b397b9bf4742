"""The benchmark's report: docs/benchmarks.md's generated sections from a results.json.

    .venv/bin/python -m bench.render var/bench/<time>/results.json     # re-render, rewrite the doc

(bench/run.py calls render / render_profile and write_doc at the end of a run.)
"""

import json
import sys
from pathlib import Path
from typing import Any

from bench.targets import render_extra, render_targets

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"


def _ms(p: dict[str, Any], key: str) -> str:
    value = p.get(key)
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _lat(p: dict[str, Any]) -> str:
    return f"{_ms(p, 'p50')} / {_ms(p, 'p95')} / {_ms(p, 'p99')} (n={int(p['n'])})"


def _hist(p: dict[str, Any]) -> str:
    return f", {p['history']['reports']:,} earlier reports" if p.get("history") else ""


def render(results: dict[str, Any]) -> str:
    a = results["args"]
    m = results["machine"]
    base = results.get("baseline")
    pipes = [results[k] for k in ("pipeline_3p_1r", "pipeline_3p_1r_history", "pipeline_2p_2r") if k in results]
    rates = ", ".join(f"{r:g}/s" for r in a["rate"])
    lines = [
        f"Measured {results['finished_at']} with `{results['command']}` "
        f"(commit {m['commit']}; {results['duration_s'] / 60:.1f} min in all).",
        "",
        f"**Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"Python {m['python']}, PostgreSQL {m['postgresql']}, Kafka {m['kafka']} ({m['java']}); "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + ". Loopback only: load generator, services, "
        "broker and database share the machine.",
        "",
        f"**Load:** open loop at {rates}, {a['seconds']:g} s each, bodies from bench/mix.py "
        f"(realised counties {results['mix']['counties']}; mean body {results['mix']['mean_body_bytes']} B); "
        f"capacity phases: closed loop, {a['concurrency']} connections, {a['capacity_seconds']:g} s.",
        "",
        *render_targets(results),
        "### Intake over HTTP, as a partner sees it",
        "",
        "| configuration | phase | accepted / sent | errors | accepted/s | POST latency p50 / p95 / p99 ms |",
        "|---|---|---|---|---|---|",
    ]

    def http_row(config: str, label: str, phase: dict[str, Any]) -> str:
        errors = ", ".join(f"{k}: {v}" for k, v in phase["errors"].items()) or "–"
        if phase.get("ran_out_of_requests") and phase["throughput"]:
            label += (
                f" (stopped at {phase['sent']:,} requests, the prepared bodies, after "
                f"{phase['accepted'] / phase['throughput']:.1f} s)"
            )
        return (
            f"| {config} | {label} | {phase['accepted']} / {phase['sent']} | {errors} | {phase['throughput']} | "
            f"{_lat(phase['latency_ms'])} |"
        )

    if base:
        for phase in base["rate_phases"]:
            lines.append(http_row("baseline (FastAPI + asyncpg)", f"open loop {phase['target_rate']:g}/s", phase))
        lines.append(http_row("baseline (FastAPI + asyncpg)", "capacity", base["capacity"]))
    for p in pipes:
        config = f"intake, {p['partitions']} partitions / {p['screening_replicas']} screening" + _hist(p)
        for phase in p["rate_phases"]:
            lines.append(http_row(config, f"open loop {phase['target_rate']:g}/s", phase))
        lines.append(http_row(config, "capacity, intake alone", p["intake_capacity"]))
    lines += [
        "",
        "Open-loop latency counts from each request's scheduled start, so queueing in front of a "
        "busy server is included.",
        "",
        "### End to end on Kafka and PostgreSQL (server timestamps, open-loop phases)",
        "",
        "| configuration | rate | accepted → assigned (red or direct) | of which red | of which direct "
        "dispatch | accepted → awaiting_review | accepted → screened | screened → routed | "
        "accepted → routed, first third → last third (p50) | settled |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in pipes:
        for phase in p["rate_phases"]:
            lat = phase["latency"]
            lines.append(
                f"| {p['partitions']} partitions / {p['screening_replicas']} screening | {phase['target_rate']:g}/s | "
                f"{_lat(lat['accepted_to_assigned'])} | {_lat(lat['accepted_to_assigned_red'])} | "
                f"{_lat(lat['accepted_to_assigned_direct'])} | {_lat(lat['accepted_to_awaiting_review'])} | "
                f"{_lat(lat['accepted_to_screened'])} | {_lat(lat['screened_to_routed'])} | "
                f"{_ms(lat['accepted_to_routed_first_third'], 'p50')} → {_ms(lat['accepted_to_routed_last_third'], 'p50')} | "
                f"{phase['settled']} / {phase['accepted']} |"
            )
    lines += [
        "",
        "p50 / p95 / p99 in ms (n = reports). *Assigned*: max(referrals[].assigned_at) − received_at, "
        "for reports assigned without a dispatcher. *awaiting_review*, *screened*, *routed*: the timeline "
        "entries' `at` − received_at (routed = status_assigned or status_awaiting_review, whichever came).",
        "",
    ]
    for p in pipes:
        if "events_per_report" in p and not p.get("history"):  # history rows have no outbox rows
            lines += [
                f"Kafka events published per report ({p['name']}, all phases): "
                + ", ".join(f"{k} {v}" for k, v in p["events_per_report"].items())
                + ".",
                "",
            ]
    if pipes:
        counts: dict[str, int] = {}
        for phase in pipes[0]["rate_phases"]:
            for k, v in phase["latency"]["counts"].items():
                counts[k] = counts.get(k, 0) + v
        lines += [
            f"Outcomes over the open-loop phases ({pipes[0]['name']}): "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + ".",
            "",
        ]
    lines += ["### Capacities and ratios", "", "| figure | value |", "|---|---|"]
    kafka = next((p["kafka"] for p in pipes if "kafka" in p), None)
    if base:
        lines.append(f"| baseline FastAPI + asyncpg, closed loop: accepted/s | {base['capacity']['throughput']} |")
    for p in pipes:
        cap = p["intake_capacity"]["throughput"]
        tag = f"{p['partitions']}p/{p['screening_replicas']}r" + _hist(p)
        ratio = (
            f" ({cap / base['capacity']['throughput']:.1%} of the baseline)"
            if base and base["capacity"]["throughput"]
            else ""
        )
        lines.append(f"| intake alone ({tag}), closed loop: accepted/s | {cap}{ratio} |")
        d = p["pipeline_drain"]
        lines.append(
            f"| pipeline ({tag}) draining a backlog of {d['reports']}: reports screened and routed per s "
            f"| {d['throughput']} |"
        )
        lines.append(
            f"| … the same backlog, routed status visible through GET (read model caught up) per s "
            f"| {d.get('visible_throughput', '–')} |"
        )
    if kafka:
        perf = kafka["producer_performance"]
        seq = kafka["sequential_send_and_wait"]
        lines += [
            f"| Kafka ProducerPerformance, {perf['records']:,} records of {perf['record_size']} B (the mean "
            f"ReportReceived envelope), {perf['props']} | {perf['records_per_sec']:,.0f} records/s "
            f"({perf['mb_per_sec']} MB/s) |",
            f"| one aiokafka producer, send_and_wait one record at a time (what one outbox relay does) | "
            f"{seq['records_per_sec']:,.0f} records/s ({seq['mean_ms']} ms each) |",
        ]
        for p in pipes:
            tag = f"{p['partitions']}p/{p['screening_replicas']}r"
            lines.append(
                f"| intake alone ({tag}) / broker's raw producer rate | "
                f"{p['intake_capacity']['throughput'] / perf['records_per_sec']:.2%} |"
            )
            lines.append(
                f"| pipeline drain, screened and routed ({tag}) / broker's raw producer rate | "
                f"{(p['pipeline_drain']['throughput'] or 0) / perf['records_per_sec']:.2%} |"
            )
    lines += [
        "",
        "### Where the CPU goes (ms of CPU per report)",
        "",
        "| phase | intake | screening | routing | notify | kafka | postgres (our database's backends) | "
        "**all processes** | load generator | unattributed | unattributed, % of the machine |",
        "|---|" + "---|" * 10,
    ]

    def cpu_row(label: str, c: dict[str, float]) -> str:
        screening = [v for k, v in c.items() if k.startswith("screening")]
        cells = [
            c.get("intake"),
            sum(screening) if screening else None,
            c.get("routing"),
            c.get("notify"),
            c.get("kafka"),
            c.get("postgres"),
            c.get("all_processes"),
            c.get("loadgen"),
            c.get("others"),
        ]
        share = c.get("others_share")
        return (
            f"| {label} | "
            + " | ".join("–" if v is None else f"{v:.1f}" for v in cells)
            + f" | {'–' if share is None else f'{share:.0%}'} |"
        )

    if base:
        for phase in base["rate_phases"]:
            c = dict(phase["cpu_ms_per_report"])
            c["intake"] = c.pop("baseline")
            lines.append(
                cpu_row(f"baseline app, open loop {phase['target_rate']:g}/s (the app in the intake column)", c)
            )
        c = dict(base["capacity"]["cpu_ms_per_report"])
        c["intake"] = c.pop("baseline")
        lines.append(cpu_row("baseline app, capacity", c))
    for p in pipes:
        tag = f"{p['partitions']}p/{p['screening_replicas']}r" + _hist(p)
        for phase in p["rate_phases"]:
            lines.append(
                cpu_row(f"{tag} open loop {phase['target_rate']:g}/s, until idle again", phase["cpu_ms_per_report"])
            )
        lines.append(cpu_row(f"{tag} intake alone, capacity", p["intake_capacity"]["cpu_ms_per_report"]))
        lines.append(
            cpu_row(f"{tag} pipeline draining the backlog, until idle again", p["pipeline_drain"]["cpu_ms_per_report"])
        )
    for p in pipes:
        if "idle" in p:
            cores = p["idle"]["cores"]
            named = {k: v for k, v in cores.items() if k not in ("machine_busy", "others")}
            lines += [
                "",
                f"Idle, no load, for {p['idle']['cpu_s']['wall']:.0f} s ({p['partitions']}p/{p['screening_replicas']}r): "
                f"the benchmark's processes use {sum(named.values()):.2f} of a core ("
                + ", ".join(f"{k} {v:.3f}" for k, v in named.items())
                + "); the machine as a whole "
                f"was {cores['machine_busy']:.2f} cores busy.",
            ]
    lines += ["", *render_extra(results)]
    lines += [
        "",
        "*Unattributed* is the machine's busy time minus every process named: the kernel's loopback "
        "networking, PostgreSQL's background writers, and anything else running on the machine (other "
        f"engineers' integration tests on the shared PostgreSQL). Raw figures: `{results['json']}`.",
        "",
    ]
    return "\n".join(lines)


def render_profile(results: dict[str, Any]) -> str:
    """Per service, the share of its CPU time in each library (cProfile, CPU clock)."""
    pipes = [results[k] for k in ("pipeline_3p_1r", "pipeline_2p_2r") if k in results and "profiles" in results[k]]
    if not pipes:
        return ""
    p = pipes[0]
    services = list(p["profiles"])
    totals = {s: sum(p["profiles"][s].values()) or 1.0 for s in services}
    buckets = sorted(
        {b for s in services for b in p["profiles"][s]},
        key=lambda b: -sum(p["profiles"][s].get(b, 0) / totals[s] for s in services),
    )
    lines = [
        f"Measured {results['finished_at']} with `{results['command']}` (commit {results['machine']['commit']}).",
        "",
        "| share of each service's CPU | " + " | ".join(services) + " |",
        "|---|" + "---|" * len(services),
    ]
    for b in buckets:
        lines.append(f"| {b} | " + " | ".join(f"{p['profiles'][s].get(b, 0) / totals[s]:.0%}" for s in services) + " |")
    lines.append("| *CPU seconds profiled* | " + " | ".join(f"{totals[s]:.1f}" for s in services) + " |")
    lines += [
        "",
        "Whole process lifetimes (start-up, warm-up and idle polling included). A C built-in "
        "(socket send, JSON, hashing) counts for the library that called it. Full listings: "
        f"`{results['json'].rsplit('/', 1)[0]}/{p['name']}/*.profile.txt`.",
        "",
    ]
    return "\n".join(lines)


def write_doc(section: str, key: str = "results") -> None:
    begin, end = f"<!-- bench:{key}:begin -->", f"<!-- bench:{key}:end -->"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin not in text or end not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{section}\n{end}{tail}")


def main(argv: list[str]) -> int:
    """Re-render a finished run's sections (its results.json) into docs/benchmarks.md."""
    if len(argv) != 1:
        print("usage: python -m bench.render var/bench/<time>/results.json", file=sys.stderr)
        return 2
    results = json.loads(Path(argv[0]).read_text())
    if results.get("args", {}).get("profile"):
        write_doc(render_profile(results), "profile")
    else:
        write_doc(render(results), "results")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
