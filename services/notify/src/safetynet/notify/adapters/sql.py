"""Small dialect differences between PostgreSQL and the embedded SQLite."""

from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.storage import dialect_name


def is_postgresql(session: AsyncConnection) -> bool:
    return dialect_name(session) == "postgresql"
