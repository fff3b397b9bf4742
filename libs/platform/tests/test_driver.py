"""Statements on the driver (platform/driver.py) belong to the SQLAlchemy connection's
transaction and fail as SQLAlchemy's statements fail: rolled back with it, committed with
it, a unique violation an IntegrityError, a connection killed under it an outage that
invalidates the connection. PostgreSQL only (SQLite has no driver path)."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.driver import driver_of
from safetynet.platform.messaging.readiness import unavailable
from safetynet.platform.storage import make_engine

_PG = os.environ.get("SAFETYNET_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not _PG.startswith("postgresql"), reason="no PostgreSQL in SAFETYNET_DATABASE_URL (scripts/infra up)"
)


@pytest.fixture
async def table() -> AsyncIterator[tuple[AsyncEngine, str]]:
    engine = make_engine(_PG)
    name = f"drv_{uuid.uuid4().hex[:10]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {name} (id text PRIMARY KEY, doc jsonb)"))
    yield engine, name
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {name}"))
    await engine.dispose()


async def ids(engine: AsyncEngine, name: str) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(f"SELECT id FROM {name} ORDER BY id"))).scalars())


async def test_the_driver_is_inside_the_connections_transaction(table: tuple[AsyncEngine, str]) -> None:
    engine, name = table
    async with engine.connect() as conn:
        driver = await driver_of(conn)
        assert driver is not None
        assert await driver.execute(f"INSERT INTO {name} VALUES ($1, $2)", "undone", '{"a": 1}') == 1
        await conn.execute(text(f"INSERT INTO {name} VALUES ('undone too', NULL)"))
        assert await ids(engine, name) == []  # not visible outside before the commit
        await conn.rollback()
    assert await ids(engine, name) == []
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # SQLAlchemy began first this time
        driver = await driver_of(conn)
        assert driver is not None
        await driver.execute(f"INSERT INTO {name} VALUES ($1, $2)", "kept", '{"名": [1, 2]}')
        rows = await driver.fetch(f"SELECT id, doc FROM {name}")
        assert [(r["id"], r["doc"]) for r in rows] == [("kept", {"名": [1, 2]})]  # the JSON codec is SQLAlchemy's
        await conn.commit()
    assert await ids(engine, name) == ["kept"]


async def test_a_unique_violation_is_sqlalchemys_integrity_error(table: tuple[AsyncEngine, str]) -> None:
    engine, name = table
    async with engine.connect() as conn:
        driver = await driver_of(conn)
        assert driver is not None
        await driver.execute(f"INSERT INTO {name} VALUES ($1, NULL)", "twice")
        with pytest.raises(exc.IntegrityError) as raised:
            await driver.execute(f"INSERT INTO {name} VALUES ($1, NULL)", "twice")
        assert not unavailable(raised.value)  # a bug or a race, never an outage
        await conn.rollback()
    assert await ids(engine, name) == []


async def test_a_connection_killed_under_it_is_an_outage_and_invalidated(table: tuple[AsyncEngine, str]) -> None:
    engine, name = table
    async with engine.connect() as conn:
        driver = await driver_of(conn)
        assert driver is not None
        pid = (await driver.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        async with engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await other.commit()
        with pytest.raises(exc.DBAPIError) as raised:
            await driver.execute(f"INSERT INTO {name} VALUES ($1, NULL)", "lost")
        assert unavailable(raised.value)
        assert raised.value.connection_invalidated
        assert conn.invalidated
    assert await ids(engine, name) == []  # and the pool hands out a live connection again
