"""A throwaway PostgreSQL database per test."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from safetynet.platform.migrations import upgrade
from safetynet.platform.settings import PlatformSettings
from safetynet.platform.storage import make_engine


@asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A new database next to `admin_url`'s (any PostgreSQL URL form), dropped afterwards;
    yields its SQLAlchemy URL."""
    admin_url = PlatformSettings(database_url=admin_url).database_url
    name = f"safetynet_test_{uuid.uuid4().hex}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def migrated_engines(
    backend: str, *, admin_url: str, sqlite_dir: Path, schema: str, script_location: str
) -> AsyncIterator[Callable[[], Awaitable[AsyncEngine]]]:
    """A factory of empty databases migrated to `schema`'s head, on `backend` ("sqlite" or
    "postgresql", next to `admin_url`), each disposed of and dropped afterwards."""
    engines: list[AsyncEngine] = []
    async with AsyncExitStack() as stack:

        async def make() -> AsyncEngine:
            if backend == "postgresql":
                engine = make_engine(await stack.enter_async_context(postgres_database(admin_url)))
            else:
                engine = make_engine(f"sqlite+aiosqlite:///{sqlite_dir}/db{len(engines)}.sqlite", schemas=(schema,))
            engines.append(engine)
            await upgrade(engine, schema=schema, script_location=script_location)
            return engine

        try:
            yield make
        finally:
            for engine in engines:
                await engine.dispose()
