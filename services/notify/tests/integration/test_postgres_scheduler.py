"""The SLA scheduler on real PostgreSQL: replicas ticking at once share the due timers
through SELECT … FOR UPDATE SKIP LOCKED, and each fires once.

Runs when SAFETYNET_DATABASE_URL names a PostgreSQL server (scripts/infra up); works in
a throwaway database that it drops afterwards."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from safetynet.notify.bootstrap import MIGRATIONS
from safetynet.notify.entrypoints.loops import SlaScheduler
from safetynet.notify.settings import NotifySettings
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine

pytestmark = pytest.mark.integration

ADMIN_URL = os.environ.get("SAFETYNET_DATABASE_URL", "")


def _dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@pytest.fixture
async def engine() -> AsyncIterator[Any]:
    """Overrides conftest's SQLite engine: the harness runs on PostgreSQL here."""
    if not ADMIN_URL.startswith("postgres"):
        pytest.skip("set SAFETYNET_DATABASE_URL to PostgreSQL to run")
    admin_url = NotifySettings(database_url=ADMIN_URL).database_url
    name = "sn_notify_it_" + secrets.token_hex(4)
    admin = await asyncpg.connect(_dsn(admin_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(admin_url.rsplit("/", 1)[0] + "/" + name, pool_size=8)
    try:
        await upgrade(engine, schema="notify", script_location=MIGRATIONS)
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE "{name}"')
        await admin.close()


async def test_replicas_fire_each_timer_once(harness: Any, clock: Any) -> None:
    replicas = [harness.boot() for _ in range(4)]
    for n in range(40):
        await harness.report_received(f"r{n}")
    await harness.status_changed("r0", seq=1, statuses=["acknowledged"], at=harness.t0 + timedelta(hours=1))
    clock.at(hours=25)
    schedulers = [next(loop for loop in r.loops if isinstance(loop, SlaScheduler)) for r in replicas]
    for scheduler in schedulers:
        scheduler._batch = 7  # small batches, so the replicas interleave
    fired = await asyncio.gather(*(s.tick() for s in schedulers))
    assert sum(1 for n in fired if n) > 1, "one replica did all the work: SKIP LOCKED never shared it"
    # A timer whose clock another replica holds (firing that report's other warning) is
    # skipped, not waited for: the next tick fires it, as the running service would.
    total = sum(fired)
    for _ in range(10):
        if total >= 39 * 3:
            break
        total += sum(await asyncio.gather(*(s.tick() for s in schedulers)))
    assert total == 39 * 3
    types = await harness.sla_types()
    assert types.count("SlaBreached") == 39 and types.count("SlaWarning") == 78 and types.count("SlaMet") == 1
