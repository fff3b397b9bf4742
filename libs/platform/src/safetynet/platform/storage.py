"""Database plumbing shared by the services: engines, UTC timestamps, schemas.

PostgreSQL gives every service its own schema. SQLite (the embedded mode) has no
schemas, so the schema names are translated away and the table names carry a
service prefix instead. The platform names no service: whoever makes an engine says
which schemas it serves.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Table, bindparam, event, make_url, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeDecorator

# The embedded log's own tables (messaging/sqlbus.py): every engine serves them.
EMBEDDED_LOG_SCHEMA = "bus"

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
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def dialect_name(executor: Any) -> str:
    """The dialect of a connection or a session ("postgresql" or "sqlite")."""
    bind = getattr(executor, "bind", None) if not hasattr(executor, "dialect") else executor
    return str(bind.dialect.name) if bind is not None else "sqlite"


# Built once per statement shape (table, dialect, columns, conflict target, action).
_UPSERTS: dict[tuple[str, str, tuple[str, ...], str, bool], TextClause | TextualSelect] = {}


def _upsert(executor: Any, table: Table, names: tuple[str, ...], conflict: str, *, lock: bool) -> Any:
    """INSERT … ON CONFLICT (`conflict`) DO NOTHING, or with `lock` a no-op DO UPDATE that
    returns (and locks) the row, as a typed text() statement on PostgreSQL and SQLite alike.

    SQLAlchemy cannot cache its own ON CONFLICT construct ("no key": it is compiled anew
    on every execution, which made the inbox claim the costliest statement of every
    consumer). A typed text() statement is cached like any other."""
    dialect = dialect_name(executor)
    key = (table.fullname, dialect, names, conflict, lock)
    statement = _UPSERTS.get(key)
    if statement is None:
        # SQLite has no schemas: the embedded mode's tables carry a service prefix instead.
        target = table.fullname if dialect == "postgresql" else table.name
        columns = _quoted(conflict.split(","))
        action = (
            f"DO UPDATE SET {columns} = excluded.{columns} RETURNING {_quoted(c.name for c in table.c)}"
            if lock
            else "DO NOTHING"
        )
        built = text(
            f"INSERT INTO {target} ({_quoted(names)}) VALUES ({', '.join(':' + n for n in names)}) "
            f"ON CONFLICT ({columns}) {action}"
        ).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))
        statement = _UPSERTS[key] = built.columns(*table.c) if lock else built
    return statement


def insert_ignoring_conflict(
    executor: Any, table: Table, values: dict[str, Any], *, conflict: str
) -> tuple[TextClause, dict[str, Any]]:
    """INSERT … ON CONFLICT (`conflict`) DO NOTHING (a comma-separated conflict target
    is fine). The statement also serves an executemany of rows with the same keys."""
    statement: TextClause = _upsert(executor, table, tuple(sorted(values)), conflict, lock=False)
    return statement, values


def insert_or_lock(
    executor: Any, table: Table, values: dict[str, Any], *, conflict: str
) -> tuple[TextualSelect, dict[str, Any]]:
    """INSERT … ON CONFLICT (`conflict`) DO UPDATE (a no-op) RETURNING the row: the row,
    created with `values` if missing, locked until the transaction ends, in one round
    trip instead of an insert and a SELECT … FOR UPDATE. (On SQLite the transaction
    already holds the database's write lock.) `conflict` is a single column."""
    statement: TextualSelect = _upsert(executor, table, tuple(sorted(values)), conflict, lock=True)
    return statement, values


def _quoted(names: Iterable[str]) -> str:
    # Quoted, because a column may be named like a keyword (notify's timers have "index").
    return ", ".join(f'"{n.strip()}"' for n in names)


def _plain_loopback(url: str) -> bool:
    """A database on this machine whose URL does not ask for TLS: TLS buys nothing there."""
    parsed = make_url(url)
    asks = {k.lower() for k in parsed.query} & {"ssl", "sslmode"}
    return not asks and (parsed.host or "localhost") in ("localhost", "127.0.0.1", "::1")


def make_engine(url: str, *, schemas: Iterable[str] = (), pool_size: int = 5) -> AsyncEngine:
    """An async engine for `url`, set up for concurrent use by several services.

    `schemas`: the schemas of the tables it will serve (each service's own). SQLite has
    none, so there they are translated away; a schema left out fails on SQLite with
    "unknown database <schema>". PostgreSQL needs no list."""
    if is_sqlite(url):
        translated = {*schemas, EMBEDDED_LOG_SCHEMA}
        engine = create_async_engine(
            url,
            hide_parameters=True,  # errors and logs must not carry personal data
            connect_args={"timeout": 30},
            execution_options={"schema_translate_map": dict.fromkeys(sorted(translated))},
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # asyncpg negotiates TLS whenever the server offers it (sslmode=prefer), which cost
    # about 5% of every service's CPU against a database on loopback, where it protects
    # nothing. Elsewhere, or when the URL asks (`?ssl=require`), asyncpg's default holds.
    connect_args: dict[str, Any] = {"ssl": False} if _plain_loopback(url) else {}
    # No pre-ping: it cost a round trip on every checkout (two per request, one per
    # consumer batch). After a database restart the first statement on a dead pooled
    # connection fails as a disconnect, SQLAlchemy then discards the whole pool, and
    # that one request answers 503 (a consumer retries it): the price of a restart is
    # one retry per process, not a round trip per transaction forever.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, connect_args=connect_args, hide_parameters=True
    )  # errors and logs must not carry personal data


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
