"""The production topology for integration tests: the four services as separate
`safetynet serve` processes on real Kafka and PostgreSQL."""

import asyncio
import os
import secrets
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from safetynet.cli.services import SERVICE_NAMES
from safetynet.platform.crypto import new_key
from tests.support.processes import Process, free_port, mint_key, safetynet


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_database(admin_url: str) -> str:
    """A new, empty database next to `admin_url`'s: random names instead of cleanup."""
    name = "sn_it_" + secrets.token_hex(4)
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


class Cluster:
    def __init__(self, *, database_url: str, kafka: str, workdir: Path, **settings: str):
        self.database_url = database_url
        self.workdir = workdir
        self.env = {
            "SAFETYNET_DATABASE_URL": database_url,
            "SAFETYNET_KAFKA_BOOTSTRAP": kafka,
            "SAFETYNET_SUBJECT_HASH_KEY": "integration-" + secrets.token_hex(16),
            "SAFETYNET_KEY_RING": "it1:" + new_key(),
            "SAFETYNET_CONSOLE_SECRET": secrets.token_hex(32),
            "SAFETYNET_AUDIT_KEY": secrets.token_hex(32),
            # These tests post hundreds of reports from one key in seconds; the
            # per-key rate limit has its own tests.
            "SAFETYNET_RATE_LIMIT_PER_MINUTE": "0",
            "SAFETYNET_KAFKA_PARTITIONS": "3",
            **settings,
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, Process] = {}

    def migrate(self) -> None:
        safetynet("migrate", env=self.env, timeout=120)

    def start(self, service: str, *, replica: str = "") -> Process:
        name = service + replica
        port = self.port if service == "intake" else free_port()
        process = Process("serve", service, "--port", str(port), env=self.env, log=self.workdir / f"{name}.log")
        process.wait_http(f"http://127.0.0.1:{port}/readyz")
        self.processes[name] = process
        return process

    def start_all(self) -> None:
        for service in SERVICE_NAMES:
            self.start(service)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()

    def key(self, *args: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_key(self.env, *args)}"}

    async def wait_all(
        self,
        client: httpx.AsyncClient,
        report_ids: list[str],
        headers: dict[str, str],
        until: Any,
        timeout: float = 120,
    ) -> dict[str, dict[str, Any]]:
        """Poll every report until `until(body)` holds for all; fail naming the laggards."""
        done: dict[str, dict[str, Any]] = {}
        last: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(done) < len(report_ids):
            pending = [r for r in report_ids if r not in done]
            bodies = await asyncio.gather(*(client.get(f"/v1/reports/{r}", headers=headers) for r in pending[:50]))
            for report_id, response in zip(pending, bodies):
                last[report_id] = response.json()
                if response.status_code == 200 and until(last[report_id]):
                    done[report_id] = last[report_id]
            await asyncio.sleep(0.3)
        missing = [r for r in report_ids if r not in done]
        assert not missing, f"{len(missing)} reports never settled, e.g. {last.get(missing[0])}"
        return done


def infra_from_environment() -> tuple[str, str] | None:
    url, kafka = os.environ.get("SAFETYNET_DATABASE_URL", ""), os.environ.get("SAFETYNET_KAFKA_BOOTSTRAP", "")
    if url.startswith("postgresql") and kafka:
        return url, kafka
    return None
