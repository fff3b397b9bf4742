"""Outages of the infrastructure (issue 11, item 11): a service started while Kafka is down
comes up by itself when it returns, and a PostgreSQL restart in the middle of a stream of
reports loses nothing, duplicates nothing, and never makes intake answer 500.

The broker test runs on a private broker (bench/kafka.py) so the shared one is never
stopped. The PostgreSQL test restarts the shared server: run it only under
`flock /tmp/safetynet-heavy.lock`, as every heavy test.
"""

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from bench.kafka import PrivateBroker
from safetynet.contracts import topics
from tests.integration.test_production_topology import assert_routed_once, settled
from tests.support.cluster import Cluster
from tests.support.processes import Process, free_port
from tests.support.scenarios import generate

pytestmark = pytest.mark.integration

INFRA = Path(__file__).resolve().parents[2] / "scripts" / "infra"
PATIENCE = 180.0  # seconds: a busy 2-core machine, a JVM starting, a database recovering


def wait_until(condition, what: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"not {what} after {timeout}s")


def status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


async def broker_topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_a_service_started_while_the_broker_is_down_comes_up_when_it_returns(cluster: Cluster) -> None:
    broker = PrivateBroker()  # ports chosen, nothing listening yet
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**cluster.env, "SAFETYNET_KAFKA_BOOTSTRAP": broker.bootstrap}
    process = Process("serve", "notify", "--port", str(port), env=env, log=cluster.workdir / "notify.log")
    try:
        # Alive and saying so, but not ready, and retrying rather than exiting.
        process.wait_http(f"{base}/healthz", timeout=PATIENCE)
        assert status(f"{base}/readyz") == 503
        wait_until(lambda: process.log_path.read_text().count("waiting for kafka") >= 2, "retrying the broker")
        assert process.popen.poll() is None, process.log_path.read_text()[-3000:]
        assert status(f"{base}/readyz") == 503

        broker.start()
        wait_until(lambda: status(f"{base}/readyz") == 200, "ready once the broker is back")
        assert process.popen.poll() is None
        assert set(topics.ALL_WITH_DEAD_LETTERS) <= asyncio.run(broker_topics(broker.bootstrap))
    finally:
        process.stop()
        broker.stop()


def infra(command: str) -> None:
    subprocess.run([str(INFRA), command], check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)


async def post_with_retries(client: httpx.AsyncClient, body: dict, headers: dict, key: str, codes: list[int]) -> str:
    """POST until accepted. 503 (and a refused connection) mean "try again"; the
    Idempotency-Key makes a retry after an unclear outcome safe. Every status is kept."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            response = await client.post("/v1/reports", json=body, headers={**headers, "Idempotency-Key": key})
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        codes.append(response.status_code)
        if response.status_code == 202:
            return str(response.json()["report_id"])
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) > 0
        await asyncio.sleep(0.5)
    raise AssertionError(f"report {key} never accepted: {codes[-5:]}")


async def test_postgresql_restarted_mid_stream_loses_nothing(cluster: Cluster) -> None:
    cluster.start_all()
    agency = cluster.key("--role", "agency", "--name", "it-agency", "--county", "苗栗縣", "--agency-type", "police")
    dispatchers = {
        c: cluster.key("--role", "dispatcher", "--name", f"it-{c}", "--county", c)
        for c in ("苗栗縣", "南投縣", "新竹縣", "屏東縣")
    }
    reports = generate(60, seed=11)
    codes: list[int] = []
    restarted = asyncio.Event()

    async def restart_midway() -> None:
        while len([c for c in codes if c == 202]) < 20:
            await asyncio.sleep(0.1)
        await asyncio.to_thread(infra, "pg-stop")
        while 503 not in codes:  # intake has noticed, and said so properly
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # a few more refused posts and consumer retries
        await asyncio.to_thread(infra, "pg-start")
        restarted.set()

    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        restart = asyncio.create_task(restart_midway())
        try:
            ids = []
            for i, (_, body) in enumerate(reports):
                ids.append(await post_with_retries(client, body, agency, f"outage-{i}", codes))
                await asyncio.sleep(0.05)
            await asyncio.wait_for(restart, PATIENCE)
        finally:
            if not restarted.is_set():  # never leave the shared database down
                restart.cancel()
                await asyncio.to_thread(infra, "pg-start")
        assert restarted.is_set()
        assert 500 not in codes and 503 in codes, sorted(set(codes))
        assert len(set(ids)) == len(ids) == len(reports)

        for county, headers in dispatchers.items():
            mine = [r for r, (_, b) in zip(ids, reports) if b["county"] == county]
            if mine:
                await cluster.wait_all(client, mine, headers, settled, timeout=PATIENCE)
    await assert_routed_once(cluster, ids)
    for name, process in cluster.processes.items():
        assert process.popen.poll() is None, f"{name} exited: {process.log_path.read_text()[-3000:]}"
