"""A transaction's scope: what repositories share to read a batch's rows once and write
them once. It lives exactly as long as the transaction: one for the whole consumer batch,
a fresh one for each message when a failed batch is handled again one by one, and none
of a rolled-back batch's writes survive. On SQLite always, on PostgreSQL when the
environment has it."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop
from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.messaging.uow import SqlUnitOfWork


class Counts:
    """A handler whose repository loads every report of the scope at once and writes a
    per-report count at commit, as a batch-aware repository does."""

    def __init__(self, engine: AsyncEngine):
        prefix = f"t{uuid.uuid4().hex[:10]}"
        self.metadata = MetaData()
        self.inbox = inbox_table(self.metadata, prefix)
        self.outbox = outbox_table(self.metadata, prefix)
        self.counts = Table(
            f"{prefix}_counts", self.metadata, Column("report_id", String, primary_key=True), Column("n", Integer)
        )
        self.engine = engine
        self.loads: list[tuple[str, ...]] = []  # the report ids of each load
        self.writes = 0
        self.fail_on: set[str] = set()
        self.loop = ConsumerLoop(
            service="test", group="test", topics=["in"], broker=None, handlers={"Thing": self.on_thing}, engine=engine
        )

    async def on_thing(self, envelope: Envelope) -> None:
        async with SqlUnitOfWork(self.engine, outbox=self.outbox, inbox=self.inbox) as uow:
            if not await uow.claim(envelope.event_id):
                return
            counts = uow.scope.memo.get(self)
            if counts is None:
                wanted = uow.scope.report_ids or (envelope.report_id,)
                self.loads.append(wanted)
                counts = uow.scope.memo[self] = dict.fromkeys(wanted, 0)

                async def write() -> None:
                    self.writes += 1
                    rows = [{"report_id": r, "n": n} for r, n in counts.items() if n]
                    await uow.session.execute(self.counts.insert(), rows)

                uow.scope.before_commit(write)
            counts[envelope.report_id] = counts.get(envelope.report_id, 0) + 1
            if envelope.event_id in self.fail_on:
                raise RuntimeError("handler failed")
            await uow.commit()

    async def stored(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            return {r.report_id: r.n for r in await conn.execute(select(self.counts))}


@pytest.fixture
async def counts(engine: AsyncEngine) -> AsyncIterator[Counts]:
    c = Counts(engine)
    async with engine.begin() as conn:
        await conn.run_sync(c.metadata.create_all)
    yield c
    async with engine.begin() as conn:
        await conn.run_sync(c.metadata.drop_all)


def _message(offset: int, event_id: str, report_id: str) -> Message:
    envelope = Envelope(event_id=event_id, type="Thing", report_id=report_id, producer="test", payload={})
    return Message(topic="in", partition=0, offset=offset, key=report_id, value=envelope.to_bytes())


async def test_a_batch_loads_its_reports_once_and_writes_once_before_commit(counts: Counts) -> None:
    batch = [_message(0, "e0", "r1"), _message(1, "e1", "r2"), _message(2, "e2", "r1")]
    assert await counts.loop.process_together(batch)
    assert counts.loads == [("r1", "r2")]  # the batch's reports, in order, each once
    assert counts.writes == 1
    assert await counts.stored() == {"r1": 2, "r2": 1}


async def test_a_failed_batch_keeps_no_write_and_each_message_gets_a_fresh_scope(counts: Counts) -> None:
    batch = [_message(0, "e0", "r1"), _message(1, "e1", "r2")]
    counts.fail_on = {"e1"}
    assert not await counts.loop.process_together(batch)
    assert await counts.stored() == {}  # the batch's write, made before the failure was known, is gone
    counts.loads.clear()
    counts.fail_on = set()
    for message in batch:
        await counts.loop.process(message, stop=None)  # type: ignore[arg-type]  # no retries needed
    assert counts.loads == [("r1",), ("r2",)]  # alone: just the message's own report
    assert await counts.stored() == {"r1": 1, "r2": 1}


async def test_a_unit_of_work_used_again_starts_from_the_database(counts: Counts) -> None:
    uow = SqlUnitOfWork(counts.engine, outbox=counts.outbox, inbox=counts.inbox)
    async with uow:
        uow.scope.memo["seen"] = 1
        await uow.commit()
        assert uow.scope.memo == {}
        uow.scope.memo["seen"] = 2
        await uow.rollback()
        assert uow.scope.memo == {}
