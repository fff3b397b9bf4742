"""The consumer loop: handle a batch of messages in one database transaction, then commit
their offsets. A batch that does not go through cleanly is rolled back and handled again
one message at a time, each in its own transaction (see uow.BatchTransaction). A message
that can never be handled goes to the dead-letter topic with its error, and the loop
carries on; a database or broker outage is waited out instead."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from opentelemetry import metrics, propagate, trace
from opentelemetry.util.types import AttributeValue
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.contracts.topics import dead_letter
from safetynet.platform.messaging.broker import Broker, Consumer, Message
from safetynet.platform.messaging.uow import BatchTransaction

log = logging.getLogger(__name__)
tracer = trace.get_tracer("safetynet.messaging")
dead_letters = metrics.get_meter("safetynet.messaging").create_counter(
    "safetynet_dead_letters", description="Messages sent to a dead-letter topic, by consumer group and topic"
)

Handler = Callable[[Envelope], Awaitable[None]]

D = TypeVar("D")  # a service's dependencies: each service layer defines its own
# One entry of a service layer's handler table (cosmicpython's EVENT_HANDLERS): what a
# message of one type does, given the service's dependencies (its units of work, …).
MessageHandler = Callable[[Envelope, D], Awaitable[None]]


def bind_handlers(table: Mapping[str, MessageHandler[D]], dependencies: D) -> dict[str, Handler]:
    """The consumer loop's handlers: a service layer's table (envelope type -> handler)
    with the service's dependencies bound, as its bootstrap wires them."""

    def bound(handler: MessageHandler[D]) -> Handler:
        async def handle(envelope: Envelope) -> None:
            await handler(envelope, dependencies)

        return handle

    return {message_type: bound(handler) for message_type, handler in table.items()}


class PoisonMessage(Exception):
    """The message is wrong in itself: retrying cannot help, so dead-letter it."""


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (ConnectionError, OSError, asyncio.TimeoutError))


# Payload fields that may go into spans: facts about the report, never about people
# (payloads carry no personal data anyway; this list keeps it that way if they grow).
_SPAN_FIELDS = ("county", "categories", "risk_level", "status", "kind", "unit", "direct_dispatch")


def _span_facts(envelope: Envelope) -> dict[str, AttributeValue]:
    facts: dict[str, AttributeValue] = {
        f"safetynet.{k}": envelope.payload[k]
        for k in _SPAN_FIELDS
        if isinstance(envelope.payload.get(k), (str, bool, list))
    }
    due = envelope.payload.get("sla_due_at") or envelope.payload.get("due_at")
    if isinstance(due, str):
        facts["safetynet.sla_due_at"] = due
        try:
            left = datetime.fromisoformat(due) - datetime.now(UTC)
            facts["safetynet.sla_seconds_left"] = int(left.total_seconds())
        except ValueError:
            pass
    return facts


class ConsumerLoop:
    def __init__(
        self,
        *,
        service: str,
        group: str,
        topics: Sequence[str],
        broker: Broker,
        handlers: Mapping[str, Handler],
        max_attempts: int = 3,
        on_dead_letter: Callable[[str], None] | None = None,
        engine: AsyncEngine | None = None,
    ):
        """With `engine` (the one the handlers' units of work use), each batch is handled
        in one transaction; without, each message in its own."""
        self.service = service
        self._engine = engine
        self.group = group
        self.topics = list(topics)
        self._broker = broker
        self._handlers = dict(handlers)
        self._max_attempts = max_attempts
        self._on_dead_letter = on_dead_letter
        self._consumer: Consumer | None = None

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages behind the end of each assigned partition, as last seen."""
        return self._consumer.lag() if self._consumer is not None and hasattr(self._consumer, "lag") else {}

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self._consumer = self._broker.consumer(group=self.group, topics=self.topics)
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                if not batch:
                    continue
                done: list[Message] = []
                try:
                    if len(batch) > 1 and await self.process_together(batch):
                        done = list(batch)
                    else:
                        for message in batch:
                            await self.process(message, stop)
                            done.append(message)
                finally:
                    await self._commit(consumer, done)
        finally:
            await consumer.stop()

    async def process_together(self, batch: Sequence[Message]) -> bool:
        """Handle `batch` in one transaction; False (and nothing kept) unless every
        message went through as it would have alone."""
        if self._engine is None:
            return False
        try:
            envelopes = [Envelope.from_bytes(message.value) for message in batch]
        except (ValidationError, ValueError):
            return False  # dead-lettered on the one-by-one pass
        handled = [(m, e, h) for m, e in zip(batch, envelopes) if (h := self._handlers.get(e.type)) is not None]
        try:
            async with BatchTransaction(
                self._engine,
                event_ids=[e.event_id for _, e, _ in handled],
                report_ids=[e.report_id for _, e, _ in handled],
            ) as transaction:
                for message, envelope, handler in handled:
                    with self._span(message, envelope):
                        await handler(envelope)
                    if transaction.tainted:
                        return False
                await transaction.commit()
                return True
        except Exception:  # handled again one by one, with retries and dead letters
            log.info("%s: batch of %d handled again one by one", self.group, len(batch), exc_info=True)
            return False

    async def _commit(self, consumer: Consumer, done: list[Message]) -> None:
        try:
            await consumer.commit(done)
        except Exception:  # a rebalance took the partition: its new owner redelivers, the inbox dedupes
            log.warning("%s: offset commit failed; messages will be redelivered", self.group, exc_info=True)

    async def process(self, message: Message, stop: asyncio.Event) -> None:
        """Handle one message; return once it is done or dead-lettered."""
        try:
            envelope = Envelope.from_bytes(message.value)
        except (ValidationError, ValueError) as error:
            await self._dead_letter(message, error)
            return
        handler = self._handlers.get(envelope.type)
        if handler is None:
            return  # another consumer's event on a shared topic
        with self._span(message, envelope):
            await self._handle_with_retries(handler, envelope, message, stop)

    @contextmanager
    def _span(self, message: Message, envelope: Envelope) -> Iterator[None]:
        """The message's processing span, a child of the producer's context (its headers)."""
        carrier = {k: v.decode() for k, v in message.headers} or envelope.trace
        parent = propagate.extract(carrier)
        attributes: dict[str, AttributeValue] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": message.topic,
            "messaging.consumer.group.name": self.group,
            "messaging.message.id": envelope.event_id,
            "safetynet.report_id": envelope.report_id,
            "safetynet.event_type": envelope.type,
            # From the event's creation (in the producing service's transaction) to now:
            # the outbox relay's and Kafka's hand-over plus this consumer's queue.
            "safetynet.event_age_ms": int((datetime.now(UTC) - envelope.occurred_at).total_seconds() * 1000),
        }
        attributes.update(_span_facts(envelope))  # at the start, not one set_attribute (and lock) each
        with tracer.start_as_current_span(
            f"process {message.topic}", context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield

    async def _handle_with_retries(
        self, handler: Handler, envelope: Envelope, message: Message, stop: asyncio.Event
    ) -> None:
        attempt = 0
        while True:
            try:
                await handler(envelope)
                return
            except (PoisonMessage, ValidationError) as error:
                await self._dead_letter(message, error)
                return
            except Exception as error:
                if _is_transient(error):
                    log.warning("%s: transient failure on %s; waiting", self.group, envelope.event_id)
                else:
                    attempt += 1
                    log.exception("%s: handler failed on %s (attempt %d)", self.group, envelope.event_id, attempt)
                    if attempt >= self._max_attempts:
                        await self._dead_letter(message, error)
                        return
                if stop.is_set():
                    raise
                await asyncio.sleep(min(0.2 * 2**attempt, 5.0))

    async def _dead_letter(self, message: Message, error: BaseException) -> None:
        log.error(
            "%s: dead-lettering %s[%d]@%d: %s",
            self.group,
            message.topic,
            message.partition,
            message.offset,
            type(error).__name__,
        )
        headers = [
            *message.headers,
            ("dlq.error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq.original_topic", message.topic.encode()),
            ("dlq.original_partition", str(message.partition).encode()),
            ("dlq.original_offset", str(message.offset).encode()),
            ("dlq.consumer_group", self.group.encode()),
        ]
        await self._broker.publish(dead_letter(message.topic), key=message.key, value=message.value, headers=headers)
        dead_letters.add(1, {"group": self.group, "topic": message.topic})
        if self._on_dead_letter:
            self._on_dead_letter(message.topic)
