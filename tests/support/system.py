"""The whole system in this process, on SQLite and the embedded broker, as
`safetynet dev` wires it; for end-to-end tests that need no subprocess."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from safetynet.cli.services import SERVICE_NAMES, build, service_module, settings_for
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.messaging.sqlbus import SqlLogBroker
from safetynet.platform.migrations import upgrade
from safetynet.platform.settings import PlatformSettings
from safetynet.platform.storage import is_sqlite, make_engine


class EmbeddedSystem:
    def __init__(self, settings: PlatformSettings, engine: Any, client: httpx.AsyncClient, app: Any):
        self.settings = settings
        self.engine = engine
        self.client = client
        self.app = app

    async def key(
        self,
        role: str,
        *,
        name: str = "test",
        county: str = "苗栗縣",
        agency_type: str | None = None,
        unit: str | None = None,
    ) -> dict[str, str]:
        """Mint a key and return the Authorization header that carries it."""
        if role == "agency" and agency_type is None:
            agency_type = "police"
        _, secret = await handlers.create_key(
            role=role,
            name=name,
            county=county,
            agency_type=agency_type,
            unit=unit,
            uow=IntakeUnitOfWork(self.engine),
        )
        return {"Authorization": f"Bearer {secret}"}

    async def wait_for(
        self, report_id: str, headers: dict[str, str], until: Any, timeout: float = 60.0
    ) -> dict[str, Any]:
        """Poll GET until `until(body)` holds; fail with the last body otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout
        body: dict[str, Any] = {}
        # Back off to one poll a second: the key's rate limit (120/min, refilled at 2/s)
        # must still have room for the test's own requests after a long wait on a busy machine.
        pause = 0.05
        while asyncio.get_running_loop().time() < deadline:
            response = await self.client.get(f"/v1/reports/{report_id}", headers=headers)
            body = response.json()
            if response.status_code == 200 and until(body):
                return body
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 1.0)
        raise AssertionError(f"timed out waiting on {report_id}: {body}")


@asynccontextmanager
async def embedded_system(tmp_path: Path, **overrides: Any) -> AsyncIterator[EmbeddedSystem]:
    # Each service's own settings; `overrides` may name any service's (each takes its own).
    every = {
        name: settings_for(
            name,
            **{"database_url": f"sqlite+aiosqlite:///{tmp_path}/safetynet.db", "kafka_bootstrap": None, **overrides},
        )  # the embedded broker, whatever the environment says
        for name in SERVICE_NAMES
    }
    settings = every["intake"]
    engine = make_engine(settings.database_url, schemas=SERVICE_NAMES)
    if not is_sqlite(settings.database_url):  # PostgreSQL: the embedded broker's schema
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA IF NOT EXISTS bus"))
    broker = SqlLogBroker(engine, partitions=settings.kafka_partitions)
    await broker.start()
    for name in SERVICE_NAMES:
        await upgrade(engine, schema=name, script_location=service_module(name).MIGRATIONS)
    intake = build("intake", settings=settings, engine=engine, broker=broker)
    runtimes = [intake] + [build(n, settings=every[n], engine=engine, broker=broker) for n in SERVICE_NAMES[1:]]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runtimes]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake.app), base_url="http://intake") as client:
            yield EmbeddedSystem(settings, engine, client, intake.app)
    finally:
        stop.set()
        await broker.stop()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await engine.dispose()
        errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)]
        if errors:
            raise errors[0]
