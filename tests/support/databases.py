"""A throwaway PostgreSQL database per test."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from safetynet.platform.settings import PlatformSettings


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
