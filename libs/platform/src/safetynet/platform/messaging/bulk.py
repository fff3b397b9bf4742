"""Many rows of one table written in ONE statement: what the write-behind repositories
(intake's views and outcome records, notify's clocks, timers and notifications) send
just before a consumer batch commits (uow.TransactionScope.before_commit).

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
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.driver import driver_of
from safetynet.platform.messaging.deferred import PG, column_arrays
from safetynet.platform.storage import dialect_name, insert_ignoring_conflict

_Prepared = tuple[str, list[Any]]  # the SQL and each column's bind processor
_STATEMENTS: dict[tuple[str, Table, tuple[str, ...], tuple[str, ...]], _Prepared] = {}


def _prepared(kind: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...], dialect: Dialect) -> _Prepared:
    found = _STATEMENTS.get((kind, table, key, columns))
    if found is None:
        preparer = PG.identifier_preparer
        arrays, processors = column_arrays(table, columns, dialect)
        names = ", ".join(preparer.quote(c) for c in columns)
        keys = ", ".join(preparer.quote(k) for k in key)
        if kind == "update":
            sets = ", ".join(f"{preparer.quote(c)} = v.{preparer.quote(c)}" for c in columns if c not in key)
            match = " AND ".join(f"t.{preparer.quote(k)} = v.{preparer.quote(k)}" for k in key)
            sql = (
                f"UPDATE {preparer.format_table(table)} AS t SET {sets} "
                f"FROM unnest({', '.join(arrays)}) AS v({names}) WHERE {match}"
            )
        else:  # in the order given (WITH ORDINALITY), as the inserts one by one would have been
            sql = (
                f"INSERT INTO {preparer.format_table(table)} ({names}) SELECT {names} "
                f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS v({names}, n) ORDER BY n "
                f"ON CONFLICT ({keys}) DO NOTHING"
            )
        found = _STATEMENTS[(kind, table, key, columns)] = (sql, processors)
    return found


async def _on_driver(
    connection: AsyncConnection, kind: str, table: Table, key: tuple[str, ...], rows: Sequence[dict[str, Any]]
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
        return await _on_driver(connection, "update", table, (key,), ordered)
    statement = table.update().where(table.c[key] == bindparam("bulk_key"))
    result = await connection.execute(statement, [{**row, "bulk_key": row[key]} for row in ordered])
    return int(result.rowcount or 0)


async def insert_many_ignoring_conflict(
    connection: AsyncConnection, table: Table, conflict: str | tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert every row whose `conflict` key (a column, or several) does not exist yet, in
    one statement, in the order given. Every row names the same columns."""
    if not rows:
        return
    key = (conflict,) if isinstance(conflict, str) else conflict
    first: dict[Any, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(tuple(row[k] for k in key), row)  # the first of a key wins, as it would one by one
    unique = list(first.values())
    if dialect_name(connection) == "postgresql":
        await _on_driver(connection, "insert", table, key, unique)
        return
    statement, _ = insert_ignoring_conflict(connection, table, unique[0], conflict=", ".join(key))
    await connection.execute(statement, unique)
