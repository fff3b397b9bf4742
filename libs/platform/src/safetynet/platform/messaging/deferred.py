"""Rows a transaction writes just before it commits, every table in one round trip.

Most of what a handler writes is never read back before its transaction commits: the
events it emits (the outbox), a report's timeline, a new report and its subject index.
A unit of work (or a consumer batch) collects those rows and writes them at commit. On
PostgreSQL every table's rows go in ONE statement, each table a data-modifying CTE fed by
one array per column (`unnest … WITH ORDINALITY`, so rows keep the order they were
added: the outbox's ids follow emission order). Each round trip to the database costs
the service about as much CPU as the statement itself, so a report accepted with five
inserts now costs one.

Constraints and AFTER triggers (foreign keys, the KPI links' statement triggers) run at
the end of the statement, when every CTE's rows are in, exactly as if the inserts had
been separate statements in the same transaction. BEFORE triggers or defaults that read
another deferred table would not see its rows: tables with those must not be deferred.
The statement runs on the driver itself (platform/driver.py), in the same transaction.
On SQLite (embedded, in-process) each table is one executemany.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.type_api import _BindProcessorType

from safetynet.platform.driver import driver_of
from safetynet.platform.storage import dialect_name

_Shape = tuple[tuple[Table, tuple[str, ...]], ...]
_Processor = _BindProcessorType[Any] | None
_STATEMENTS: dict[_Shape, tuple[str, list[list[_Processor]]]] = {}
PG = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves the constructor unannotated


class DeferredRows:
    """Rows per table, in the order they were added, written by `write`."""

    def __init__(self) -> None:
        self._rows: dict[Table, list[dict[str, Any]]] = {}

    def add(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._rows.setdefault(table, []).extend(rows)

    def clear(self) -> None:
        self._rows.clear()

    def __bool__(self) -> bool:
        return bool(self._rows)

    async def write(self, connection: AsyncConnection) -> None:
        """Insert every row in `connection`'s transaction, then forget them."""
        groups = [(table, rows) for table, rows in self._rows.items() if rows]
        self._rows = {}
        if not groups:
            return
        shape = tuple((table, tuple(rows[0])) for table, rows in groups)
        if (
            len(groups) == 1  # one executemany is one round trip already
            or dialect_name(connection) != "postgresql"
            or any(tuple(row) != columns for (_, columns), (_, rows) in zip(shape, groups, strict=True) for row in rows)
        ):  # (rows of one table with different keys cannot share column arrays)
            for table, rows in groups:
                await connection.execute(table.insert(), rows)
            return
        prepared = _STATEMENTS.get(shape)
        if prepared is None:
            prepared = _STATEMENTS[shape] = _one_statement(shape, connection.dialect)
        statement, processors = prepared
        values: list[Any] = []
        for t, ((_, columns), (_, rows)) in enumerate(zip(shape, groups, strict=True)):
            for c, column in enumerate(columns):
                process = processors[t][c]
                # Each value as the column's type would bind it alone (a JSON document
                # serialized, a timestamp checked for its zone): the array is bound as is.
                values.append([process(row[column]) if process else row[column] for row in rows])
        driver = await driver_of(connection)
        assert driver is not None  # PostgreSQL
        await driver.execute(statement, *values)


def column_arrays(
    table: Table, columns: Sequence[str], dialect: Dialect, first: int = 1
) -> tuple[list[str], list[_Processor]]:
    """`CAST($n AS type[])` for each column (numbered from `first`), and each column's bind
    processor: every value is bound as its column's type would bind it alone (a JSON
    document serialized, a timestamp checked for its zone), and the array as it is."""
    arrays, processors = [], []
    for n, column in enumerate(columns, start=first):
        column_type = table.c[column].type
        arrays.append(f"CAST(${n} AS {column_type.compile(dialect=PG)}[])")
        processors.append(column_type.dialect_impl(dialect).bind_processor(dialect))
    return arrays, processors


def _one_statement(shape: _Shape, dialect: Dialect) -> tuple[str, list[list[_Processor]]]:
    """`WITH w0 AS (INSERT … SELECT … FROM unnest($1, …) WITH ORDINALITY …), … SELECT 1`,
    and each column's bind processor."""
    preparer = PG.identifier_preparer
    ctes, processors, n = [], [], 0
    for t, (table, columns) in enumerate(shape):
        names = ", ".join(preparer.quote(column) for column in columns)
        aliases = ", ".join(f"c{c}" for c in range(len(columns)))
        arrays, table_processors = column_arrays(table, columns, dialect, first=n + 1)
        n += len(columns)
        processors.append(table_processors)
        ctes.append(
            f"w{t} AS (INSERT INTO {preparer.format_table(table)} ({names}) "
            f"SELECT {aliases} FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS u({aliases}, n) ORDER BY n)"
        )
    return f"WITH {', '.join(ctes)} SELECT 1", processors
