"""CPU seconds per process, from /proc (Linux), to say where the time goes.

Our own processes are known by pid. PostgreSQL backends are found by their process
title ("postgres: <user> <database> ..."), which names the benchmark's database, so
other users' queries on the same server are not counted. The backends are sampled every
half second through the phase, so one that exits within it (a pool's overflow connection,
closed when it is returned) keeps what it had used at its last sample; counting only the
backends alive at both ends missed those, and under-metered PostgreSQL.
"""

import os
import threading
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """utime + stime of `pid` in seconds (threads included); None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres_backends(database: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            cpu = process_cpu(int(entry.name))
            if cpu is not None:
                out[int(entry.name)] = cpu
    return out


def machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all CPUs since boot, from /proc/stat."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuMeter:
    """Snapshot named processes (and a database's backends) now; `stop()` gives deltas."""

    def __init__(self, pids: dict[str, int], database: str | None = None):
        self.pids = pids
        self.database = database
        self.start_cpu = {name: process_cpu(pid) or 0.0 for name, pid in pids.items()}
        self.start_pg = postgres_backends(database) if database else {}
        self.seen_pg = dict(self.start_pg)  # each backend's CPU at its last sample
        self._stopping = threading.Event()
        self._sampler = threading.Thread(target=self._sample_backends, daemon=True)
        if database:
            self._sampler.start()
        self.start_machine = machine_busy()
        self.start_self = time.process_time()
        self.t0 = time.monotonic()

    def stop(self) -> dict[str, float]:
        out = {}
        for name, pid in self.pids.items():
            now = process_cpu(pid)
            out[name] = round((now or 0.0) - self.start_cpu[name], 2)
        if self.database:
            self._stopping.set()
            self._sampler.join()
            self.seen_pg.update(postgres_backends(self.database))
            out["postgres"] = round(sum(cpu - self.start_pg.get(pid, 0.0) for pid, cpu in self.seen_pg.items()), 2)
        out["loadgen"] = round(time.process_time() - self.start_self, 2)
        busy, total = machine_busy()
        out["machine_busy"] = round(busy - self.start_machine[0], 2)
        out["machine_total"] = round(total - self.start_machine[1], 2)
        out["wall"] = round(time.monotonic() - self.t0, 2)
        out["others"] = round(
            out["machine_busy"] - sum(v for k, v in out.items() if k not in ("machine_busy", "machine_total", "wall")),
            2,
        )
        return out

    def _sample_backends(self) -> None:
        assert self.database is not None
        while not self._stopping.wait(0.5):
            self.seen_pg.update(postgres_backends(self.database))
