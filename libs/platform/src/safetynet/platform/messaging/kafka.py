"""The production broker: Apache Kafka through aiokafka."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from safetynet.platform.messaging.broker import Headers, Message, Outgoing, next_offsets, with_trace_headers

log = logging.getLogger(__name__)

LINGER_BELOW = 20  # messages


class KafkaBroker:
    def __init__(self, bootstrap: str, *, client_id: str, partitions: int = 3, batch_linger_ms: int = 10):
        self._bootstrap = bootstrap
        self._batch_linger = batch_linger_ms / 1000
        self._client_id = client_id
        self.partitions = partitions
        # acks=all plus idempotence: a retried send never duplicates or reorders a message.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=15_000,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, *, key: str, value: bytes, headers: Headers) -> None:
        await self.publish_many([Outgoing(topic, key, value, headers)])

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        # Hand every message to the producer first and wait for the acknowledgements
        # together: the producer batches them into a few requests, where one
        # send_and_wait after another paid a round trip (and a linger) each. Idempotence
        # keeps them in order per partition even when a request is retried.
        deliveries = [
            await self._producer.send(
                m.topic, value=m.value, key=m.key.encode(), headers=with_trace_headers(list(m.headers))
            )
            for m in messages
        ]
        await asyncio.gather(*deliveries)

    def consumer(self, *, group: str, topics: Sequence[str]) -> "KafkaConsumer":
        return KafkaConsumer(
            self._bootstrap, group=group, topics=topics, client_id=self._client_id, linger=self._batch_linger
        )

    async def ensure_topics(self, topics: Sequence[str], *, replication_factor: int = 1) -> None:
        """Create `topics` with the configured partition count; auto-creation gives one."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(t, num_partitions=self.partitions, replication_factor=replication_factor)
                for t in topics
                if t not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # another replica created them first
                    await admin.create_topics(missing)
        finally:
            await admin.close()


class KafkaConsumer:
    def __init__(self, bootstrap: str, *, group: str, topics: Sequence[str], client_id: str, linger: float = 0.01):
        self._linger = linger  # seconds
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=200,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=1_000,
        )
        self._positions: dict[tuple[str, int], int] = {}  # committed, for the lag gauge

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def getmany(self, timeout_ms: int) -> Sequence[Message]:
        records = await self._consumer.getmany(timeout_ms=timeout_ms)
        if self._linger and 0 < sum(len(batch) for batch in records.values()) < LINGER_BELOW:
            # A few messages: wait a moment for more, so that a steady trickle is handled
            # in batches (one transaction, one inbox claim and one outbox write per batch)
            # rather than one transaction per message. Costs at most the linger
            # (SAFETYNET_KAFKA_BATCH_LINGER_MS) per hop; a backlog never waits.
            await asyncio.sleep(self._linger)
            for tp, batch in (await self._consumer.getmany(timeout_ms=0)).items():
                records[tp] = [*records.get(tp, []), *batch]  # each partition's order kept
        return [
            Message(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=(r.key or b"").decode(),
                value=r.value or b"",
                headers=list(r.headers or []),
            )
            for batch in records.values()
            for r in batch
        ]

    def lag(self) -> dict[tuple[str, int], int]:
        """End of each assigned partition minus our position, as of the last fetch."""
        lags = {}
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            position = self._positions.get((tp.topic, tp.partition))
            if end is not None and position is not None:
                lags[(tp.topic, tp.partition)] = max(end - position, 0)
        return lags

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = {TopicPartition(t, p): o for (t, p), o in next_offsets(messages).items()}
        for tp, offset in offsets.items():
            self._positions[(tp.topic, tp.partition)] = offset
        if offsets:
            await self._consumer.commit(offsets)
