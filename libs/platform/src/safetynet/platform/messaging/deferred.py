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
On SQLite (embedded, in-process) each table is one executemany.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.type_api import _BindProcessorType
from sqlalchemy.types import NullType

from safetynet.platform.storage import dialect_name

_Shape = tuple[tuple[Table, tuple[str, ...]], ...]
_Processor = _BindProcessorType[Any] | None
_STATEMENTS: dict[_Shape, tuple[TextClause, list[list[_Processor]]]] = {}
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves the constructor unannotated


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
        if len(groups) == 1 or dialect_name(connection) != "postgresql":
            for table, rows in groups:  # one round trip per table: an executemany
                await connection.execute(table.insert(), rows)
            return
        shape = tuple((table, tuple(rows[0])) for table, rows in groups)
        if any(tuple(row) != columns for (_, columns), (_, rows) in zip(shape, groups, strict=True) for row in rows):
            for table, rows in groups:  # rows of one table with different keys: not batched
                await connection.execute(table.insert(), rows)
            return
        prepared = _STATEMENTS.get(shape)
        if prepared is None:
            prepared = _STATEMENTS[shape] = _one_statement(shape, connection.dialect)
        statement, processors = prepared
        values: dict[str, Any] = {}
        for t, ((_, columns), (_, rows)) in enumerate(zip(shape, groups, strict=True)):
            for c, column in enumerate(columns):
                process = processors[t][c]
                # Each value as the column's type would bind it alone (a JSON document
                # serialized, a timestamp checked for its zone): the array is bound as is.
                values[f"t{t}c{c}"] = [process(row[column]) if process else row[column] for row in rows]
        await connection.execute(statement, values)


def _one_statement(shape: _Shape, dialect: Dialect) -> tuple[TextClause, list[list[_Processor]]]:
    """`WITH w0 AS (INSERT … SELECT … FROM unnest(:t0c0, …) WITH ORDINALITY …), … SELECT 1`,
    and each column's bind processor."""
    preparer = _PG.identifier_preparer
    ctes, params, processors = [], [], []
    for t, (table, columns) in enumerate(shape):
        names = ", ".join(preparer.quote(column) for column in columns)
        aliases = ", ".join(f"c{c}" for c in range(len(columns)))
        arrays, table_processors = [], []
        for c, column in enumerate(columns):
            column_type = table.c[column].type
            arrays.append(f"CAST(:t{t}c{c} AS {column_type.compile(dialect=_PG)}[])")
            # No array type on the parameter: SQLAlchemy would read a JSON list value as
            # one more array dimension. The values are processed one by one instead.
            params.append(bindparam(f"t{t}c{c}", type_=NullType()))
            table_processors.append(column_type.dialect_impl(dialect).bind_processor(dialect))
        processors.append(table_processors)
        ctes.append(
            f"w{t} AS (INSERT INTO {preparer.format_table(table)} ({names}) "
            f"SELECT {aliases} FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS u({aliases}, n) ORDER BY n)"
        )
    return text(f"WITH {', '.join(ctes)} SELECT 1").bindparams(*params), processors
