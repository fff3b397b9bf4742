"""Rows deferred to commit (messaging/deferred.py) land exactly as separate inserts would:
every table's rows, with JSON documents, timestamps, bytes and NULLs intact, in the order
they were added (serial ids follow it), and nothing at all when the unit of work is not
committed. On SQLite always, on PostgreSQL (one statement for every table) when the
environment has it."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.driver import Driver
from safetynet.platform.messaging.deferred import DeferredRows
from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.messaging.uow import SqlUnitOfWork, insert_soon
from safetynet.platform.storage import JsonDocument, UtcDateTime


@pytest.fixture
async def tables(engine: AsyncEngine) -> AsyncIterator[tuple[Table, Table, Table, Table]]:
    prefix = f"d{uuid.uuid4().hex[:10]}"
    metadata = MetaData()
    parents = Table(
        f"{prefix}_parents",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("doc", JsonDocument, nullable=False),
        Column("at", UtcDateTime, nullable=True),
        Column("blob", LargeBinary, nullable=True),
    )
    children = Table(
        f"{prefix}_children",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        # Checked at the end of the one statement, when the parent's CTE has run too.
        Column("parent_id", String(36), ForeignKey(parents.c.id), nullable=False),
        Column("label", String(40), nullable=False),
    )
    outbox, inbox = outbox_table(metadata, prefix), inbox_table(metadata, prefix)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield parents, children, outbox, inbox
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


def statements_on(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda _c, _cur, sql, *_: seen.append(sql))
    return seen


async def test_every_table_lands_in_order_with_its_values(
    engine: AsyncEngine, tables: tuple[Table, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    parents, children, outbox, inbox = tables
    at = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    parent_rows = [
        {"id": "p1", "doc": {"名": "王", "n": [1, 2]}, "at": at, "blob": b"\x00\x01"},
        {"id": "p2", "doc": [], "at": None, "blob": None},
        {"id": "p3", "doc": [["x"], []], "at": at, "blob": b""},
    ]
    child_rows = [{"parent_id": "p2" if n % 2 else "p1", "label": f"c{n}"} for n in range(7)]
    seen = statements_on(engine)
    on_driver: list[str] = []
    execute = Driver.execute

    async def counted(self: Driver, sql: str, *args: object) -> int:
        on_driver.append(sql)
        return await execute(self, sql, *args)

    monkeypatch.setattr(Driver, "execute", counted)
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox) as uow:
        await insert_soon(uow.session, children, child_rows[:3])  # the child table first: the FK waits
        await insert_soon(uow.session, parents, parent_rows)
        await insert_soon(uow.session, children, child_rows[3:])
        assert seen == on_driver == []  # nothing written before the commit
        await uow.commit()
    inserts = [s for s in seen + on_driver if s.lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len(inserts) == (1 if engine.dialect.name == "postgresql" else 2)  # PostgreSQL: one round trip
    async with engine.connect() as conn:
        got_parents = [dict(r._mapping) for r in await conn.execute(select(parents).order_by(parents.c.id))]
        labels = list((await conn.execute(select(children.c.label).order_by(children.c.id))).scalars())
    assert got_parents == parent_rows
    assert labels == [f"c{n}" for n in range(7)]  # serial ids follow the order rows were added


async def test_nothing_lands_without_a_commit(engine: AsyncEngine, tables: tuple[Table, ...]) -> None:
    parents, _, outbox, inbox = tables
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox) as uow:
        await insert_soon(uow.session, parents, [{"id": "gone", "doc": {}, "at": None, "blob": None}])
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox) as uow:
        await insert_soon(uow.session, parents, [{"id": "kept", "doc": {}, "at": None, "blob": None}])
        await uow.commit()
    async with engine.connect() as conn:
        ids = list((await conn.execute(select(parents.c.id))).scalars())
    assert ids == ["kept"]


async def test_a_failing_row_fails_the_commit_and_keeps_nothing(engine: AsyncEngine, tables: tuple[Table, ...]) -> None:
    parents, children, outbox, inbox = tables
    with pytest.raises(IntegrityError):
        async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox) as uow:
            await insert_soon(uow.session, children, [{"parent_id": "p", "label": "first"}])
            await insert_soon(uow.session, parents, [{"id": "p", "doc": {}, "at": None, "blob": None}])
            await insert_soon(uow.session, parents, [{"id": "p", "doc": {}, "at": None, "blob": None}])  # twice
            await uow.commit()
    async with engine.connect() as conn:
        assert list((await conn.execute(select(parents.c.id))).scalars()) == []
        assert list((await conn.execute(select(children.c.id))).scalars()) == []


async def test_rows_of_one_table_with_different_keys_still_land(engine: AsyncEngine, tables: tuple[Table, ...]) -> None:
    parents, _, _, _ = tables
    rows = DeferredRows()
    rows.add(parents, [{"id": "a", "doc": {"x": 1}}, {"id": "b", "doc": {}, "at": datetime.now(UTC) - timedelta(1)}])
    rows.add(parents, [])
    assert rows
    async with engine.begin() as conn:
        await rows.write(conn)
    assert not rows
    async with engine.connect() as conn:
        assert sorted((await conn.execute(select(parents.c.id))).scalars()) == ["a", "b"]
