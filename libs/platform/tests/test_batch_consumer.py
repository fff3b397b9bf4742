"""A consumer batch in one transaction keeps every guarantee of one message at a time:
each event is handled once (redeliveries and repeats inside the batch included), the
emitted events reach the outbox in the order they were emitted, and a batch that goes
wrong leaves nothing behind. On SQLite always, on PostgreSQL when the environment has it."""

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop
from safetynet.platform.messaging.outbox import inbox_table, outbox_table
from safetynet.platform.messaging.uow import SqlUnitOfWork


class Harness:
    def __init__(self, engine: AsyncEngine):
        prefix = f"t{uuid.uuid4().hex[:10]}"
        self.metadata = MetaData()
        self.inbox = inbox_table(self.metadata, prefix)
        self.outbox = outbox_table(self.metadata, prefix)
        self.engine = engine
        self.handled: list[str] = []
        self.fail_on: set[str] = set()
        self.loop = ConsumerLoop(
            service="test",
            group="test",
            topics=["in"],
            broker=None,
            handlers={"Thing": self.on_thing},
            engine=engine,
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, outbox=self.outbox, inbox=self.inbox)

    async def on_thing(self, envelope: Envelope) -> None:
        async with self.uow() as uow:
            if not await uow.claim(envelope.event_id):
                return
            if envelope.event_id in self.fail_on:
                raise RuntimeError("handler failed")
            self.handled.append(envelope.event_id)
            await uow.emit(
                "out",
                Envelope(type="Done", report_id=envelope.report_id, producer="test", payload={"of": envelope.event_id}),
            )
            await uow.commit()

    async def claimed(self) -> set[str]:
        async with self.engine.connect() as conn:
            return {r[0] for r in await conn.execute(select(self.inbox.c.event_id))}

    async def emitted(self) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(self.outbox.c.value).order_by(self.outbox.c.id))
            return [Envelope.from_bytes(r[0]).payload["of"] for r in rows]


@pytest.fixture
async def harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    h = Harness(engine)
    async with engine.begin() as conn:
        await conn.run_sync(h.metadata.create_all)
    yield h
    async with engine.begin() as conn:
        await conn.run_sync(h.metadata.drop_all)


def _message(offset: int, event_id: str, type_: str = "Thing") -> Message:
    envelope = Envelope(event_id=event_id, type=type_, report_id=f"r{offset}", producer="test", payload={})
    return Message(topic="in", partition=0, offset=offset, key=envelope.report_id, value=envelope.to_bytes())


async def test_a_batch_handles_each_new_event_once_and_emits_in_order(harness: Harness) -> None:
    async with harness.uow() as uow:  # handled before, in an earlier batch
        assert await uow.claim("seen")
        await uow.commit()
    batch = [
        _message(0, "a"),
        _message(1, "b"),
        _message(2, "seen"),
        _message(3, "a"),
        _message(4, "other", type_="NotMine"),
        _message(5, "c"),
    ]

    assert await harness.loop.process_together(batch)

    assert harness.handled == ["a", "b", "c"]
    assert await harness.emitted() == ["a", "b", "c"]
    assert await harness.claimed() == {"seen", "a", "b", "c"}


async def test_a_batch_that_fails_leaves_nothing_and_one_by_one_handles_the_rest(harness: Harness) -> None:
    harness.fail_on = {"b"}
    batch = [_message(0, "a"), _message(1, "b"), _message(2, "c")]

    assert not await harness.loop.process_together(batch)
    assert await harness.claimed() == set()
    assert await harness.emitted() == []

    # The consumer's fallback: each message alone, the failing one failing alone.
    harness.handled.clear()
    for message in batch:
        with contextlib.suppress(RuntimeError):
            await harness.on_thing(Envelope.from_bytes(message.value))
    assert harness.handled == ["a", "c"]
    assert await harness.emitted() == ["a", "c"]
    assert await harness.claimed() == {"a", "c"}


async def test_a_redelivered_batch_changes_nothing(harness: Harness) -> None:
    batch = [_message(0, "a"), _message(1, "b")]
    assert await harness.loop.process_together(batch)
    assert await harness.loop.process_together(batch)

    assert harness.handled == ["a", "b"]
    assert await harness.emitted() == ["a", "b"]
    async with harness.engine.connect() as conn:
        assert (await conn.scalar(text(f"SELECT count(*) FROM {_name(harness)}"))) == 2


def _name(h: Harness) -> str:
    return h.outbox.fullname
