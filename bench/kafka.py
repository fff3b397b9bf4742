"""A private Kafka broker for one benchmark configuration, and the broker's raw limits.

Why not the broker `scripts/infra up` runs: topic names and consumer groups are fixed
(safetynet.contracts.topics, "safetynet-screening", ...), so a benchmark on the shared
broker would join the same consumer groups as any integration test running at the same
time, and each would consume the other's reports. And `ensure_topics` never changes an
existing topic, so the shared broker could not be given 2 partitions. So each
configuration gets a fresh single-node KRaft broker: the same Kafka 4.1.1 jars and the
same server.properties template as scripts/infra, on free ports, data in a temporary
directory that is deleted afterwards.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.processes import free_port

REPO = Path(__file__).resolve().parent.parent
INFRA = REPO / "scripts" / "infra"
SUPPORT = REPO / "scripts" / "infra.d"


def infra_paths() -> dict[str, str]:
    out = subprocess.run([str(INFRA), "paths"], capture_output=True, text=True, check=True, timeout=30).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def find_java() -> str:
    if os.environ.get("SAFETYNET_JAVA"):
        return os.environ["SAFETYNET_JAVA"]
    for candidate in sorted(Path("/usr/lib/jvm").glob("java-17-openjdk-*/bin/java")):
        return str(candidate)
    found = shutil.which("java")
    if not found:
        raise RuntimeError("no java: run scripts/infra up first")
    return found


def kafka_tools_dir() -> str:
    """`scripts/infra kafka-tools`: fetches kafka-tools once, prints its jar directory."""
    done = subprocess.run([str(INFRA), "kafka-tools"], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/infra kafka-tools failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


class PrivateBroker:
    def __init__(self, *, heap: str = "-Xms256m -Xmx768m"):
        libs = Path(infra_paths()["KAFKA_LIBS"])
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise RuntimeError(f"no Kafka jars in {libs}: run scripts/infra up first")
        self.libs = libs
        self.java = find_java()
        self.heap = heap.split()
        self.dir = Path(tempfile.mkdtemp(prefix="sn-bench-kafka-"))
        self.port, self.controller_port = free_port(), free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.popen: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "kafka.log"

    def start(self, timeout: float = 90) -> None:
        props = self.dir / "server.properties"
        template = (SUPPORT / "server.properties.in").read_text()
        props.write_text(
            template.replace("@KAFKA_PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@LOG_DIRS@", str(self.dir / "logs"))
        )
        cluster_id = "-"
        while cluster_id.startswith("-"):  # StorageTool would read "-t -Xyz..." as an option
            cluster_id = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        classpath = f"{self.libs}/*"
        subprocess.run(
            [
                self.java,
                "-Xmx256m",
                "-cp",
                classpath,
                f"-Dlog4j2.configurationFile={SUPPORT / 'log4j2-tools.xml'}",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(props),
                "--standalone",
                "--ignore-formatted",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        with open(self.log, "ab") as log:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(
                [
                    self.java,
                    *self.heap,
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={SUPPORT / 'log4j2.yaml'}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(props),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"private kafka exited: {self.log.read_text()[-3000:]}")
            ready = subprocess.run(
                ["python3", str(SUPPORT / "kafka_ready.py"), "127.0.0.1", str(self.port), "3"],
                capture_output=True,
                timeout=30,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"private kafka not ready after {timeout}s: {self.log.read_text()[-3000:]}")

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


_PERF_LINE = re.compile(
    r"(?P<records>\d+) records sent, (?P<rps>[\d.]+) records/sec \((?P<mbps>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, "
    r"(?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th"
)


@dataclass
class ProducerPerf:
    records: int
    record_size: int
    records_per_sec: float
    mb_per_sec: float
    latency_ms: dict[str, float]
    props: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def producer_performance(
    tools: str,
    bootstrap: str,
    topic: str,
    *,
    records: int,
    record_size: int,
    props: dict[str, str],
    timeout: float = 300,
) -> ProducerPerf:
    """org.apache.kafka.tools.ProducerPerformance at full speed (--throughput -1)."""
    prop_args = [f"{k}={v}" for k, v in {"bootstrap.servers": bootstrap, **props}.items()]
    done = subprocess.run(
        [
            find_java(),
            "-Xmx512m",
            f"-Dlog4j2.configurationFile={tools}/log4j2.xml",
            "-cp",
            f"{tools}/*",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(record_size),
            "--throughput",
            "-1",
            "--producer-props",
            *prop_args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    matches = [m for m in map(_PERF_LINE.search, done.stdout.splitlines()) if m]
    if done.returncode != 0 or not matches:
        raise RuntimeError(
            f"ProducerPerformance failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    m = matches[-1]  # the final summary line
    return ProducerPerf(
        int(m["records"]),
        record_size,
        float(m["rps"]),
        float(m["mbps"]),
        {k: float(m[k]) for k in ("avg", "p50", "p95", "p99", "max")},
        " ".join(f"{k}={v}" for k, v in props.items()),
    )


async def sequential_sends(
    bootstrap: str, topic: str, *, record_size: int, seconds: float = 5.0, max_records: int = 50_000
) -> dict[str, Any]:
    """What one outbox relay can do at most: aiokafka send_and_wait, one record at a time,
    with the services' producer settings (acks=all, idempotence, linger 2 ms)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await producer.start()
    value = b"x" * record_size
    try:
        sent = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and sent < max_records:
            await producer.send_and_wait(topic, value=value, key=str(sent).encode())
            sent += 1
        elapsed = time.monotonic() - t0
    finally:
        await producer.stop()
    return {
        "records": sent,
        "seconds": round(elapsed, 2),
        "records_per_sec": round(sent / elapsed, 1),
        "mean_ms": round(elapsed / max(sent, 1) * 1000, 2),
    }
