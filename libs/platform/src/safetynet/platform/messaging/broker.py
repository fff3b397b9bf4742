"""The broker interface every service codes against."""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from opentelemetry import propagate

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes
    headers: Headers = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode()
        return None


@dataclass(frozen=True)
class Outgoing:
    """A message to publish."""

    topic: str
    key: str
    value: bytes
    headers: Headers = field(default_factory=list)


class Consumer(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def getmany(self, timeout_ms: int) -> Sequence[Message]: ...
    async def commit(self, messages: Sequence[Message]) -> None:
        """Mark `messages` done: commit the next offset of each of their partitions."""
        ...


class Broker(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, *, key: str, value: bytes, headers: Headers) -> None:
        """Return once the broker has durably accepted the message."""
        ...

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        """Return once the broker has durably accepted every message, kept in order per key."""
        ...

    def consumer(self, *, group: str, topics: Sequence[str]) -> Consumer: ...


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """The offset to commit per (topic, partition): one past the last message done."""
    offsets: dict[tuple[str, int], int] = {}
    for m in messages:
        offsets[(m.topic, m.partition)] = max(offsets.get((m.topic, m.partition), 0), m.offset + 1)
    return offsets


def with_trace_headers(headers: Headers) -> Headers:
    """`headers` plus the current W3C trace context, for brokers nobody instruments."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    present = {k for k, _ in headers}
    return headers + [(k, v.encode()) for k, v in carrier.items() if k not in present]


def partition_for(key: str, partitions: int) -> int:
    """A stable partition for `key`, so that one report's messages keep their order."""
    return zlib.crc32(key.encode()) % partitions
