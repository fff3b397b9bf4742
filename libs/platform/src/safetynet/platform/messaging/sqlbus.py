"""The embedded broker: a partitioned, append-only log in the database, with Kafka's
semantics (order per key, consumer groups, committed offsets, at-least-once delivery,
redelivery after a restart of whatever was not committed).

`safetynet dev` uses it so that the whole system runs in one process with no broker.
It assumes one consumer per group, which holds in a single process.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.messaging.broker import (
    Headers,
    Message,
    Outgoing,
    next_offsets,
    partition_for,
    with_trace_headers,
)
from safetynet.platform.storage import EMBEDDED_LOG_SCHEMA, JsonDocument, UtcDateTime

metadata = MetaData(schema=EMBEDDED_LOG_SCHEMA)

bus_messages = Table(
    "bus_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("headers", JsonDocument, nullable=False),
    Column("appended_at", UtcDateTime, nullable=False),
    UniqueConstraint("topic", "partition", "offset"),
)

bus_offsets = Table(
    "bus_offsets",
    metadata,
    Column("group_id", String(200), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("committed", BigInteger, nullable=False),
)


class SqlLogBroker:
    def __init__(self, engine: AsyncEngine, *, partitions: int = 3):
        self._engine = engine
        self.partitions = partitions
        self._listeners: set[asyncio.Event] = set()

    async def start(self) -> None:
        async with self._engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def stop(self) -> None:
        for listener in self._listeners:
            listener.set()

    async def publish(self, topic: str, *, key: str, value: bytes, headers: Headers) -> None:
        await self.publish_many([Outgoing(topic, key, value, headers)])

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        """Append `messages` in one transaction, in order."""
        if not messages:
            return
        rows = [(m, partition_for(m.key, self.partitions), with_trace_headers(list(m.headers))) for m in messages]
        now = datetime.now(UTC)
        for _ in range(20):  # a concurrent append took our offset: take the next one
            try:
                async with self._engine.begin() as conn:
                    next_offset: dict[tuple[str, int], int] = {}
                    values = []
                    for m, partition, headers in rows:
                        place = (m.topic, partition)
                        if place not in next_offset:
                            last = await conn.scalar(
                                select(func.max(bus_messages.c.offset)).where(
                                    bus_messages.c.topic == m.topic, bus_messages.c.partition == partition
                                )
                            )
                            next_offset[place] = 0 if last is None else last + 1
                        values.append(
                            dict(
                                topic=m.topic,
                                partition=partition,
                                offset=next_offset[place],
                                key=m.key,
                                value=m.value,
                                headers=[[k, v.decode()] for k, v in headers],
                                appended_at=now,
                            )
                        )
                        next_offset[place] += 1
                    await conn.execute(bus_messages.insert(), values)
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("could not append to the embedded log")
        for listener in self._listeners:
            listener.set()

    def consumer(self, *, group: str, topics: Sequence[str]) -> "SqlLogConsumer":
        return SqlLogConsumer(self, group=group, topics=topics)

    def _listen(self) -> asyncio.Event:
        event = asyncio.Event()
        self._listeners.add(event)
        return event


class SqlLogConsumer:
    def __init__(self, broker: SqlLogBroker, *, group: str, topics: Sequence[str]):
        self._broker = broker
        self._group = group
        self._topics = list(topics)
        self._positions: dict[tuple[str, int], int] = {}
        self._wakeup: asyncio.Event | None = None

    async def start(self) -> None:
        self._wakeup = self._broker._listen()
        async with self._broker._engine.connect() as conn:
            rows = await conn.execute(select(bus_offsets).where(bus_offsets.c.group_id == self._group))
            committed = {(r.topic, r.partition): r.committed for r in rows}
        for topic in self._topics:
            for partition in range(self._broker.partitions):
                self._positions[(topic, partition)] = committed.get((topic, partition), 0)

    async def stop(self) -> None:
        if self._wakeup is not None:
            self._broker._listeners.discard(self._wakeup)
            self._wakeup.set()

    async def getmany(self, timeout_ms: int) -> Sequence[Message]:
        assert self._wakeup is not None, "start() the consumer first"
        self._wakeup.clear()
        batch = await self._fetch()
        if not batch:
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout_ms / 1000)
            except TimeoutError:
                return []
            batch = await self._fetch()
        return batch

    async def _fetch(self, limit: int = 200) -> list[Message]:
        t = bus_messages.c
        batch: list[Message] = []
        async with self._broker._engine.connect() as conn:
            for (topic, partition), position in self._positions.items():
                rows = await conn.execute(
                    select(bus_messages)
                    .where(t.topic == topic, t.partition == partition, t.offset >= position)
                    .order_by(t.offset)
                    .limit(limit)
                )
                for r in rows:
                    batch.append(
                        Message(
                            topic=r.topic,
                            partition=r.partition,
                            offset=r.offset,
                            key=r.key,
                            value=r.value,
                            headers=[(k, v.encode()) for k, v in r.headers],
                        )
                    )
                    self._positions[(topic, partition)] = r.offset + 1
        return batch

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = next_offsets(messages)
        if not offsets:
            return
        async with self._broker._engine.begin() as conn:
            for (topic, partition), offset in offsets.items():
                key = dict(group_id=self._group, topic=topic, partition=partition)
                updated = await conn.execute(bus_offsets.update().filter_by(**key).values(committed=offset))
                if updated.rowcount == 0:
                    await conn.execute(bus_offsets.insert().values(**key, committed=offset))
