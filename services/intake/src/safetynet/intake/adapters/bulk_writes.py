"""Many rows of one table written in ONE statement: what the write-behind repositories
(view_batch.py, outcome_records.py) send just before a consumer batch commits.

On PostgreSQL each column's values travel as one array (`unnest($1::…[], …)`) on the
driver (platform/driver.py), so N rows cost one round trip: an UPDATE … FROM unnest, or
an INSERT … SELECT FROM unnest … ON CONFLICT DO NOTHING. Each value is bound as the
column's type would bind it alone (a JSON document serialized, a timestamp checked for
its zone), as the deferred inserts do (platform/messaging/deferred.py). On SQLite
(embedded, in-process) one executemany of the single-row statement.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.driver import driver_of
from safetynet.platform.storage import dialect_name, insert_ignoring_conflict

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves the constructor unannotated
_Prepared = tuple[str, list[Any]]  # the SQL and each column's bind processor
_STATEMENTS: dict[tuple[str, Table, str, tuple[str, ...]], _Prepared] = {}


def _arrays(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, str, list[Any]]:
    """`unnest(CAST($1 AS t1[]), …)`, the quoted column list, and the bind processors."""
    preparer = _PG.identifier_preparer
    arrays, processors = [], []
    for n, column in enumerate(columns, start=1):
        column_type = table.c[column].type
        arrays.append(f"CAST(${n} AS {column_type.compile(dialect=_PG)}[])")
        processors.append(column_type.dialect_impl(dialect).bind_processor(dialect))
    names = ", ".join(preparer.quote(c) for c in columns)
    return f"unnest({', '.join(arrays)})", names, processors


def _prepared(kind: str, table: Table, key: str, columns: tuple[str, ...], dialect: Dialect) -> _Prepared:
    found = _STATEMENTS.get((kind, table, key, columns))
    if found is None:
        preparer = _PG.identifier_preparer
        unnest, names, processors = _arrays(table, columns, dialect)
        if kind == "update":
            sets = ", ".join(f"{preparer.quote(c)} = v.{preparer.quote(c)}" for c in columns if c != key)
            sql = (
                f"UPDATE {preparer.format_table(table)} AS t SET {sets} FROM {unnest} AS v({names}) "
                f"WHERE t.{preparer.quote(key)} = v.{preparer.quote(key)}"
            )
        else:
            sql = (
                f"INSERT INTO {preparer.format_table(table)} ({names}) SELECT * FROM {unnest} AS v({names}) "
                f"ON CONFLICT ({preparer.quote(key)}) DO NOTHING"
            )
        found = _STATEMENTS[(kind, table, key, columns)] = (sql, processors)
    return found


async def _on_driver(
    connection: AsyncConnection, kind: str, table: Table, key: str, rows: Sequence[dict[str, Any]]
) -> int:
    columns = tuple(rows[0])
    sql, processors = _prepared(kind, table, key, columns, connection.dialect)
    values = [
        [process(row[column]) if process else row[column] for row in rows]
        for column, process in zip(columns, processors, strict=True)
    ]
    driver = await driver_of(connection)
    assert driver is not None  # PostgreSQL
    return await driver.execute(sql, *values)


async def update_many(connection: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> int:
    """Set the columns each row names on the row whose `key` it holds, every row in one
    statement, in the order of `key` (row locks always taken in one order); return the
    rows updated. Every row names the same columns, `key` among them."""
    if not rows:
        return 0
    ordered = sorted(rows, key=lambda row: row[key])
    if dialect_name(connection) == "postgresql":
        return await _on_driver(connection, "update", table, key, ordered)
    statement = table.update().where(table.c[key] == bindparam("bulk_key"))
    result = await connection.execute(statement, [{**row, "bulk_key": row[key]} for row in ordered])
    return int(result.rowcount or 0)


async def insert_many_ignoring_conflict(
    connection: AsyncConnection, table: Table, conflict: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert every row that does not exist yet (by the single column `conflict`), in one
    statement. Every row names the same columns."""
    if not rows:
        return
    first: dict[Any, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row[conflict], row)  # the first of a key wins, as it would one by one
    unique = list(first.values())
    if dialect_name(connection) == "postgresql":
        await _on_driver(connection, "insert", table, conflict, unique)
        return
    statement, _ = insert_ignoring_conflict(connection, table, unique[0], conflict=conflict)
    await connection.execute(statement, unique)
