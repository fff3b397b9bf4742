"""The issue's figures, each against its target: the table at the top of the results."""

from typing import Any


def _fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "–"
    return (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}") + unit


def _verdict(value: float | None, target: float, *, at_least: bool) -> str:
    if value is None:
        return "not measured"
    if (value >= target) if at_least else (value <= target):
        return "**pass**"
    if at_least:
        return f"short by {(target - value) / target:.0%}"
    return f"over by {(value - target) / target:.0%}"


def _rate_phase(pipe: dict[str, Any] | None, rate: float) -> dict[str, Any] | None:
    phases: list[dict[str, Any]] = (pipe or {}).get("rate_phases", [])
    for phase in phases:
        if phase["target_rate"] == rate:
            return phase
    return None


def render_targets(results: dict[str, Any]) -> list[str]:
    base = results.get("baseline")
    pipe = results.get("pipeline_3p_1r")
    hist = results.get("pipeline_3p_1r_history")
    emb = results.get("embedded")
    rows: list[tuple[str, str, str, str]] = []

    def row(figure: str, target: str, value: str, verdict: str) -> None:
        rows.append((figure, target, value, verdict))

    drain = (pipe or {}).get("pipeline_drain", {}).get("visible_throughput")
    row(
        "Pipeline capacity: a backlog screened, routed and visible through GET, reports/s (3p/1r)",
        "≥ 300",
        _fmt(drain),
        _verdict(drain, 300, at_least=True),
    )
    cap = (pipe or {}).get("intake_capacity", {}).get("throughput")
    base_cap = (base or {}).get("capacity", {}).get("throughput")
    share = cap / base_cap if cap and base_cap else None
    row(
        "Intake capacity, closed loop, share of the bare baseline's rate",
        "≥ 35%",
        f"{share:.1%} ({_fmt(cap)}/s of {_fmt(base_cap)}/s)"
        if share is not None
        else f"{_fmt(cap)}/s (no baseline in this run)",
        _verdict(share, 0.35, at_least=True),
    )
    for rate, limit in ((100.0, 500.0), (200.0, 1000.0)):
        phase = _rate_phase(pipe, rate)
        if phase is None:
            row(f"Open loop {rate:g}/s", "–", "not run", "not measured")
            continue
        errors = sum(phase["errors"].values())
        clean = errors == 0 and phase["settled"] == phase["accepted"] == phase["sent"]
        row(
            f"Open loop {rate:g}/s for {phase['seconds']:g} s: errors, every report settled",
            "0 errors, all settled",
            f"{errors} errors, {phase['settled']} / {phase['sent']} settled",
            "**pass**" if clean else "fail",
        )
        p99 = phase["latency"]["accepted_to_assigned"].get("p99")
        row(
            f"Open loop {rate:g}/s: p99 accepted → assigned, ms",
            f"≤ {limit:,.0f}",
            _fmt(p99),
            _verdict(p99, limit, at_least=False),
        )
        if rate == 200.0:
            post = phase["latency_ms"].get("p99")
            row("Open loop 200/s: p99 POST latency, ms", "≤ 100", _fmt(post), _verdict(post, 100, at_least=False))
    phase = _rate_phase(pipe, 100.0)
    cpu = phase["cpu_ms_per_report"].get("all_processes") if phase else None
    row(
        "CPU per report, every process (services, Kafka, PostgreSQL) at 100/s, ms",
        "≤ 8",
        _fmt(cpu),
        _verdict(cpu, 8, at_least=False),
    )
    for name, mb in sorted((pipe or {}).get("rss_mb", {}).items()):
        row(f"RSS of {name} at the end of the run, MB", "≤ 150", _fmt(mb), _verdict(mb, 150, at_least=False))
    if hist and hist.get("history"):
        h = hist["history"]
        minutes = h["seconds"] / 60
        row(
            f"History load: {h['reports']:,} earlier reports (COPY, index and constraint rebuild, ANALYZE), min",
            "≤ 8 for 1,000,000",
            f"{minutes:.1f}",
            _verdict(minutes, 8, at_least=False)
            if h["reports"] >= 1_000_000
            else f"not measured at 1,000,000 ({h['reports_per_s']:,} reports/s)",
        )
    if hist:
        loaded = hist.get("history", {}).get("reports")
        tag = f"with {loaded:,} earlier reports" if loaded else "with history"
        hcap = hist.get("intake_capacity", {}).get("throughput")
        ratio = hcap / cap if hcap and cap else None
        row(
            f"Intake capacity {tag}, share of the empty database's",
            "≥ 90%",
            f"{ratio:.0%} ({_fmt(hcap)}/s)" if ratio is not None else _fmt(hcap),
            _verdict(ratio, 0.9, at_least=True),
        )
        hdrain = hist.get("pipeline_drain", {}).get("visible_throughput")
        ratio = hdrain / drain if hdrain and drain else None
        row(
            f"Pipeline capacity {tag}, share of the empty database's",
            "≥ 90%",
            f"{ratio:.0%} ({_fmt(hdrain)}/s)" if ratio is not None else _fmt(hdrain),
            _verdict(ratio, 0.9, at_least=True),
        )
        for name, figures in hist.get("get_latency", {}).items():
            if name.startswith("GET"):
                p99 = figures["latency_ms"].get("p99")
                errs = sum(figures["errors"].values())
                row(
                    f"{name} {tag}, p99 ms ({figures['ok']} answered{f', {errs} errors' if errs else ''})",
                    "≤ 200",
                    _fmt(p99),
                    _verdict(p99, 200, at_least=False) if not errs else "errors",
                )
    if emb:
        rate = emb.get("drain_per_s")
        row(
            f"Embedded mode (`safetynet dev`): {emb.get('settled')} of {emb.get('reports')} reports posted and "
            "visible through GET, reports/s",
            "≥ 200",
            _fmt(rate),
            _verdict(rate, 200, at_least=True),
        )
    minutes = results.get("duration_s", 0) / 60
    quick = results.get("args", {}).get("quick")
    row(
        "This run's wall time, min" + (" (quick)" if quick else " (full)"),
        "< 5" if quick else "< 30",
        f"{minutes:.1f}",
        _verdict(minutes, 5 if quick else 30, at_least=False),
    )
    spans = (pipe or {}).get("otlp")
    if spans:
        row(
            "Tracing exported over OTLP/HTTP to the bench's sink: spans received per report posted "
            "(every phase, reads included)",
            "exported",
            f"{spans['spans_per_report']} ({spans['requests']} requests, {spans['bytes'] / 1e6:.1f} MB)",
            "**pass**" if spans.get("spans") else "no spans",
        )
    out = ["### The issue's figures", "", "| figure | target | measured | verdict |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += [
        "",
        "3p/1r: 3 partitions, one process per service. *Short by* / *over by*: how far from the target, "
        "as a share of it.",
        "",
    ]
    return out


def render_extra(results: dict[str, Any]) -> list[str]:
    """History loading, GET latency, memory and the embedded mode, in full."""
    out: list[str] = []
    hist = results.get("pipeline_3p_1r_history")
    if hist and hist.get("history"):
        h = hist["history"]
        out += [
            "### With history loaded",
            "",
            f"Loaded by `bench/history.py` before the services started: {h['reports']:,} reports received "
            f"{h['received_from'][:10]} – {h['received_to'][:10]}, {h['total_rows']:,} rows in "
            f"{h['seconds']:,.0f} s ({h['rows_per_s']:,} rows/s; {h['reports_per_s']:,} reports/s: rows made "
            f"and copied {h['generate_and_copy_s']:,.0f} s"
            + (
                f" (from {h['templates']:,} templates; {h['direct']:,} recent reports made directly)"
                if "templates" in h
                else ""
            )
            + f", audit chain {h['audit_chain_s']:,.0f} s"
            + (
                f", with the indexes and constraints {h['index_build_s']:,.0f} s"
                if "templates" in h
                else f", indexes {h['index_build_s']:,.0f} s"
            )
            + (f", ANALYZE {h['analyze_s']:,.0f} s" if "analyze_s" in h else "")
            + "). Rows: "
            + ", ".join(f"{k} {v:,}" for k, v in h["rows"].items())
            + ".",
            "",
        ]
        gl = hist.get("get_latency", {})
        if gl:
            out += [
                "| read (idle system, closed loop) | answered | per s | p50 / p95 / p99 ms | mean body |",
                "|---|---|---|---|---|",
            ]
            for name, f in gl.items():
                if name.startswith("GET"):
                    lat = f["latency_ms"]
                    out.append(
                        f"| {name} | {f['ok']} | {f['per_s']} | {_fmt(lat['p50'])} / {_fmt(lat['p95'])} / "
                        f"{_fmt(lat['p99'])} | {f['mean_body_bytes']:,} B |"
                    )
            out += [
                "",
                f"KPI period: {gl['kpi_period']['from']} – {gl['kpi_period']['to']}; one dispatcher key "
                "per county, counties in turn.",
                "",
            ]
    pipes = [(k, results[k]) for k in ("pipeline_3p_1r", "pipeline_3p_1r_history", "pipeline_2p_2r") if k in results]
    names = sorted({n for _, p in pipes for n in p.get("rss_mb", {})})
    if names:
        out += [
            "### Memory at the end of each configuration (VmRSS, MB)",
            "",
            "| configuration | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        for key, p in pipes:
            out.append(f"| {key} | " + " | ".join(_fmt(p.get("rss_mb", {}).get(n)) for n in names) + " |")
        out.append("")
    emb = results.get("embedded")
    if emb:
        out += [
            "### Embedded mode",
            "",
            f"`safetynet dev` (one process, SQLite): {emb.get('accepted')} reports accepted in "
            f"{emb.get('post_seconds')} s at 8 connections ({emb.get('accepted_per_s')}/s), all {emb.get('settled')} "
            f"visible through GET {emb.get('first_post_to_all_visible_s')} s after the first POST: "
            f"**{emb.get('drain_per_s')} reports/s**; RSS {emb.get('rss_mb')} MB"
            + (" (timed out before every report settled)" if emb.get("timed_out") else "")
            + ".",
            "",
        ]
    return out
