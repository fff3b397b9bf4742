"""HTTP load: open loop at a fixed rate (latency measured from each request's scheduled
start, so a slow server cannot slow the generator down and hide its own queueing), and
closed loop at a fixed concurrency (the most the server accepts). Both stop by
themselves: every phase has a deadline and a bound on requests in flight."""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.http import HttpClient, HttpError


@dataclass
class Outcome:
    index: int
    scheduled: float  # monotonic time the request was due
    started: float
    finished: float
    status: int  # 0: transport error or timeout; -1: not sent (too many in flight)
    body: dict[str, Any] | None = None


@dataclass
class PhaseResult:
    kind: str
    target_rate: float | None
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    wall: float = 0.0  # first scheduled start to last response
    loadgen_cpu: float = 0.0
    ran_out: bool = False  # a closed loop that ran out of requests before its deadline

    @property
    def accepted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (200, 201, 202)]

    def summary(self) -> dict[str, Any]:
        ok = self.accepted
        errors: dict[str, int] = {}
        for o in self.outcomes:
            if o.status not in (200, 201, 202):
                errors[str(o.status)] = errors.get(str(o.status), 0) + 1
        latency = [(o.finished - o.scheduled) * 1000 for o in ok]
        service = [(o.finished - o.started) * 1000 for o in ok]
        window = [o for o in ok if o.finished - self.outcomes[0].scheduled <= self.seconds] if ok else []
        return {
            "kind": self.kind,
            "target_rate": self.target_rate,
            "seconds": self.seconds,
            "sent": sum(1 for o in self.outcomes if o.status != -1),
            "accepted": len(ok),
            "errors": errors,
            # Accepted per second over the whole phase (first due start to last answer).
            "throughput": round(len(ok) / self.wall, 1) if self.wall else 0.0,
            # Accepted per second within the nominal window only (excludes the tail).
            "throughput_in_window": round(len(window) / self.seconds, 1),
            "latency_ms": percentiles(latency),
            "service_ms": percentiles(service),
            "loadgen_cpu_s": round(self.loadgen_cpu, 2),
            "ran_out_of_requests": self.ran_out,
        }


def percentiles(values: list[float], points: tuple[int, ...] = (50, 95, 99)) -> dict[str, float | None]:
    """Linear-interpolated percentiles plus max and count; None when there are no values."""
    out: dict[str, float | None] = {"n": float(len(values))}
    if not values:
        return {**out, **{f"p{p}": None for p in points}, "max": None}
    ordered = sorted(values)
    for p in points:
        k = (len(ordered) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(ordered) - 1)
        out[f"p{p}"] = round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)
    out["max"] = round(ordered[-1], 1)
    return out


Request = Callable[[int], tuple[str, bytes, dict[str, str]]]  # index -> (path, body, headers)


async def _send(client: HttpClient, request: Request, index: int, scheduled: float) -> Outcome:
    path, body, headers = request(index)
    raw = client.encode("POST", path, body, {"Content-Type": "application/json", **headers})
    started = time.monotonic()
    try:
        status, answer = await client.send(raw)
        parsed = json.loads(answer) if status in (200, 201, 202) else None
    except (TimeoutError, OSError, HttpError, ValueError, asyncio.IncompleteReadError):
        status, parsed = 0, None
    return Outcome(index, scheduled, started, time.monotonic(), status, parsed)


def _client(base_url: str, connections: int) -> HttpClient:
    return HttpClient(base_url, connections, timeout=30.0)


async def open_loop(
    base_url: str, request: Request, *, rate: float, seconds: float, max_in_flight: int = 256, first_index: int = 0
) -> PhaseResult:
    """Start request i at t0 + i/rate for `seconds`, whatever the answers do. A request
    due while `max_in_flight` are outstanding is not sent and counts as a failure (-1)."""
    total = int(rate * seconds)
    result = PhaseResult("open", rate, seconds)
    cpu0 = time.process_time()
    async with _client(base_url, max_in_flight) as client:
        tasks: list[asyncio.Task[Outcome]] = []
        in_flight = 0

        def done(_: asyncio.Task[Outcome]) -> None:
            nonlocal in_flight
            in_flight -= 1

        t0 = time.monotonic() + 0.05
        for i in range(total):
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= max_in_flight:
                now = time.monotonic()
                result.outcomes.append(Outcome(first_index + i, due, now, now, -1))
                continue
            in_flight += 1
            task = asyncio.create_task(_send(client, request, first_index + i, due))
            task.add_done_callback(done)
            tasks.append(task)
        result.outcomes += await asyncio.gather(*tasks)
    result.outcomes.sort(key=lambda o: o.scheduled)
    result.wall = max(o.finished for o in result.outcomes) - t0 if result.outcomes else 0.0
    result.loadgen_cpu = time.process_time() - cpu0
    return result


async def closed_loop(
    base_url: str,
    request: Request,
    *,
    concurrency: int,
    seconds: float,
    first_index: int = 0,
    max_requests: int = 100_000,
) -> PhaseResult:
    """`concurrency` workers, each sending the next request as soon as the last one is
    answered, until `seconds` have passed (or `max_requests` were sent)."""
    result = PhaseResult("closed", None, seconds)
    counter = iter(range(first_index, first_index + max_requests))
    cpu0 = time.process_time()
    async with _client(base_url, concurrency) as client:
        t0 = time.monotonic()
        deadline = t0 + seconds

        async def worker() -> None:
            while time.monotonic() < deadline:
                index = next(counter, None)
                if index is None:
                    result.ran_out = True
                    return
                result.outcomes.append(await _send(client, request, index, time.monotonic()))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.outcomes.sort(key=lambda o: o.scheduled)
    result.wall = max(o.finished for o in result.outcomes) - t0 if result.outcomes else 0.0
    result.loadgen_cpu = time.process_time() - cpu0
    return result
