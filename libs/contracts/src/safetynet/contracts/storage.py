"""Database plumbing shared by the services: engines, UTC timestamps, schemas.

PostgreSQL gives every service its own schema. SQLite (the embedded mode) has no
schemas, so the schema names are translated away and the table names carry a
service prefix instead.
"""

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

SERVICE_SCHEMAS = ("intake", "screening", "routing", "notify", "bus")

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite returns naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine for `url`, set up for concurrent use by several services."""
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            hide_parameters=True,  # errors and logs must not carry personal data
            connect_args={"timeout": 30},
            execution_options={"schema_translate_map": {s: None for s in SERVICE_SCHEMAS}},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               hide_parameters=True)  # errors and logs must not carry personal data


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets `safetynet keys create` write while `safetynet dev` holds the file;
    # busy_timeout turns lock contention into a short wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the driver, open transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock up front: a deferred transaction that reads, then writes,
    # fails at once with "database is locked" when another writer got in between,
    # whatever the busy_timeout. Several services share the file in the embedded mode.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
