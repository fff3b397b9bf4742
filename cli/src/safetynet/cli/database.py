"""The database a command works on."""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.cli.services import SERVICE_NAMES
from safetynet.platform.settings import PlatformSettings
from safetynet.platform.storage import is_sqlite, make_engine


@asynccontextmanager
async def open_engine(settings: PlatformSettings) -> AsyncIterator[AsyncEngine]:
    """An engine on SAFETYNET_DATABASE_URL over every service's tables, disposed after."""
    if is_sqlite(settings.database_url):
        # where the embedded database lives on a first run
        Path("var").mkdir(exist_ok=True)  # noqa: ASYNC240  # once, before any work is scheduled: nothing to block
    engine = make_engine(settings.database_url, schemas=SERVICE_NAMES)
    try:
        yield engine
    finally:
        await engine.dispose()


@contextmanager
def quiet_migrations() -> Iterator[None]:
    """Migrations without alembic's line per step (INFO), where the user came for something else."""
    alembic = logging.getLogger("alembic")
    before = alembic.level
    alembic.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic.setLevel(before)
