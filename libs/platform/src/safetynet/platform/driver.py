"""The hottest statements straight on asyncpg, inside the SQLAlchemy connection's own
transaction (PostgreSQL only).

A statement through SQLAlchemy's async engine costs about 180 µs of CPU on top of the
database's work; the same statement on the asyncpg connection underneath costs about
60 µs (measured on the report view's read: bench/README in docs/benchmarks.md). Most of
the difference is the greenlet hop, the cursor adapter and the result wrapper, which
compiled-statement caching does not remove. The few statements every event runs (the
batch's inbox claim, the deferred inserts, the report view's read and write, the SLA
clock's lock and save) go through here; everything else stays on SQLAlchemy.

Same transaction, same guarantees: `Driver` makes SQLAlchemy begin its transaction
first (the adapter sends BEGIN lazily, at its first statement), so these statements
commit or roll back with the unit of work. Errors are raised exactly as SQLAlchemy
would raise them (`sqlalchemy.exc.IntegrityError`, `OperationalError` for a dropped
connection, which is then invalidated), so the outage handling and the idempotency
races that catch them behave as before. Values are bound as asyncpg binds them: with
SQLAlchemy's JSON codecs on the connection, a JSON document is passed as its text.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection


class Driver:
    """The asyncpg connection under `connection`, inside its transaction."""

    def __init__(self, connection: AsyncConnection, adapted: Any):
        self._connection = connection
        self._adapted = adapted  # SQLAlchemy's AsyncAdapt_asyncpg_connection
        self._asyncpg = adapted._connection

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """The rows of `sql` ($1, $2, … placeholders), as asyncpg Records."""
        await self._begun(sql, args)
        try:
            rows: list[Any] = await self._asyncpg.fetch(sql, *args)
        except Exception as error:
            raise await self._translated(error, sql, args) from error
        return rows

    async def execute(self, sql: str, *args: Any) -> int:
        """Run `sql`; return the number of rows it touched."""
        await self._begun(sql, args)
        try:
            status: str = await self._asyncpg.execute(sql, *args)
        except Exception as error:
            raise await self._translated(error, sql, args) from error
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0

    async def _begun(self, sql: str, args: Sequence[Any]) -> None:
        if not self._adapted._started:  # SQLAlchemy's BEGIN, as its first statement would send it
            async with self._adapted._execute_mutex:
                try:
                    await self._adapted._start_transaction()
                except Exception as error:
                    raise await self._translated(error, sql, args) from error
        if not self._adapted._started:
            raise RuntimeError("the driver's statements need a transaction, not autocommit")

    async def _translated(self, error: Exception, sql: str, args: Sequence[Any]) -> Exception:
        """`error` as SQLAlchemy raises it from a statement; a lost connection is invalidated."""
        dialect = self._connection.dialect
        try:
            self._adapted._handle_exception(error)  # raises the DBAPI-level translation
        except Exception as translated:
            error = translated
        if not isinstance(error, dialect.loaded_dbapi.Error):
            return error  # not the database's: a bug, raised as it is
        disconnected = dialect.is_disconnect(error, self._adapted, None)
        if disconnected:
            await self._connection.invalidate(error)
        return exc.DBAPIError.instance(
            sql,
            None,  # never the values: they may carry personal data
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=disconnected,
            dialect=dialect,
        )


async def driver_of(connection: AsyncConnection) -> Driver | None:
    """The driver under `connection` on PostgreSQL (in a transaction SQLAlchemy knows
    of); None elsewhere, where the caller keeps its SQLAlchemy statement."""
    if connection.dialect.name != "postgresql":
        return None
    if not connection.in_transaction():
        await connection.begin()  # SQLAlchemy's own transaction: its commit() is what commits
    raw = await connection.get_raw_connection()
    return Driver(connection, raw.dbapi_connection)


class _Compiled:
    """A SQLAlchemy statement compiled once for the driver: its SQL with $n placeholders,
    its parameters in order with their types' bind processing, and its result columns'
    processing (what SQLAlchemy would apply around the same statement)."""

    def __init__(self, statement: Any, dialect: Any, keys: tuple[str, ...]):
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or [])
        self.binds = [compiled.binds[name] for name in self.names]
        self.bind_processors = [b.type.dialect_impl(dialect).bind_processor(dialect) for b in self.binds]
        exported = getattr(statement, "exported_columns", None) or []
        self.result_processors = {
            column.key: processor
            for column in exported
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        }
        # The value of a SET column is bound under the column's name; a bindparam() under its own key.
        self.keys = [b.key for b in self.binds]

    def args(self, params: dict[str, Any]) -> list[Any]:
        values = []
        for key, bind, process in zip(self.keys, self.binds, self.bind_processors, strict=True):
            if key not in params and bind.required:
                raise KeyError(f"a value is required for bind parameter {key!r}")
            value = params.get(key, bind.effective_value)
            values.append(process(value) if process else value)
        return values

    def row(self, record: Any) -> dict[str, Any]:
        values = dict(record)
        for key, process in self.result_processors.items():
            if key in values:
                values[key] = process(values[key])
        return values


# Meant for statements built once at import; a few hundred is every hot one many times over.
_MOST_COMPILED = 512
_COMPILED: dict[tuple[int, tuple[str, ...]], tuple[Any, _Compiled]] = {}


def _compiled(statement: Any, dialect: Any, keys: tuple[str, ...]) -> _Compiled:
    found = _COMPILED.get((id(statement), keys))
    if found is None or found[0] is not statement:  # the statement is kept: its id stays its own
        if len(_COMPILED) >= _MOST_COMPILED:  # statements built per call would grow it forever
            _COMPILED.clear()
        found = _COMPILED[(id(statement), keys)] = (statement, _Compiled(statement, dialect, keys))
    return found[1]


async def fetch_all(connection: AsyncConnection, statement: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a SELECT (or a DML … RETURNING) built once at import, as dicts: on the
    driver on PostgreSQL, through SQLAlchemy elsewhere."""
    driver = await driver_of(connection)
    if driver is None:
        return [dict(row._mapping) for row in await connection.execute(statement, params)]
    compiled = _compiled(statement, connection.dialect, ())
    return [compiled.row(record) for record in await driver.fetch(compiled.sql, *compiled.args(params))]


async def execute(connection: AsyncConnection, statement: Any, params: dict[str, Any]) -> int:
    """Run an UPDATE, INSERT or DELETE built once at import; return the rows it touched.
    An UPDATE or INSERT without .values() sets the columns `params` names, as SQLAlchemy does."""
    driver = await driver_of(connection)
    if driver is None:
        result = await connection.execute(statement, params)
        return int(getattr(result, "rowcount", 0) or 0)
    is_dml_without_values = getattr(statement, "is_dml", False) and not getattr(statement, "_values", None)
    keys = tuple(sorted(params)) if is_dml_without_values else ()
    compiled = _compiled(statement, connection.dialect, keys)
    return await driver.execute(compiled.sql, *compiled.args(params))
