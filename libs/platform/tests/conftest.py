"""An engine per test, on SQLite always and on PostgreSQL when the environment has one."""

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.storage import make_engine

POSTGRES_URL = os.environ.get("SAFETYNET_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[AsyncEngine]:
    if request.param == "postgresql":
        if not POSTGRES_URL.startswith("postgresql"):
            pytest.skip("no PostgreSQL in SAFETYNET_DATABASE_URL (scripts/infra up)")
        engine = make_engine(POSTGRES_URL)
    else:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/test.db")
    yield engine
    await engine.dispose()
