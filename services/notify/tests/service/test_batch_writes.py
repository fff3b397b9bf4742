"""A consumer batch reads its reports' SLA clocks once and writes clocks, timers and
notifications once each, just before it commits; the result is the same as handling
every event alone, and a failed batch keeps nothing and is handled again one by one.
On SQLite always, on PostgreSQL when SAFETYNET_DATABASE_URL names one."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from safetynet.contracts import topics
from safetynet.contracts.envelope import Envelope
from safetynet.notify.adapters import orm
from safetynet.notify.bootstrap import MIGRATIONS
from safetynet.notify.domain import DeliveryResult, RetryPolicy
from safetynet.notify.entrypoints.loops import DeliveryWorker
from safetynet.notify.service_layer.delivery import record_deliveries
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.notify.settings import NotifySettings
from safetynet.platform import driver
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine
from tests.support.databases import postgres_database

HOURS = 3600
TABLES = ("notify_sla_clocks", "notify_timers", "notify_notifications")


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: Any, settings: NotifySettings) -> AsyncIterator[Any]:
    """Overrides conftest's engine: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = settings.database_url
    else:
        admin = os.environ.get("SAFETYNET_DATABASE_URL", "")
        if not admin.startswith("postgres"):
            pytest.skip("set SAFETYNET_DATABASE_URL to PostgreSQL to run")
    if request.param == "sqlite":
        engine = make_engine(url, schemas=("notify",))
        await upgrade(engine, schema="notify", script_location=MIGRATIONS)
        yield engine
        await engine.dispose()
        return
    async with postgres_database(admin) as url:
        engine = make_engine(url)
        try:
            await upgrade(engine, schema="notify", script_location=MIGRATIONS)
            yield engine
        finally:
            await engine.dispose()


@dataclass
class Statements:
    """Statements sent to notify's clock, timer and notification tables, by table."""

    seen: list[str] = field(default_factory=list)

    def note(self, sql: str) -> None:
        self.seen.extend(t for t in TABLES if t in sql)

    def count(self, table: str) -> int:
        return self.seen.count(table)


@pytest.fixture
def statements(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    counted = Statements()

    def on_execute(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        counted.note(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    for name in ("fetch", "execute"):
        original = getattr(driver.Driver, name)

        async def counting(self: Any, sql: str, *args: Any, _original: Any = original) -> Any:
            counted.note(sql)
            return await _original(self, sql, *args)

        monkeypatch.setattr(driver.Driver, name, counting)
    yield counted
    event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


async def collected(harness: Any, build: Any) -> list[Message]:
    """The messages `build(harness)` would deliver, for a batch instead of one by one."""
    messages: list[Message] = []

    async def collect(type_: str, payload: Any, *, topic: str, event_id: str | None = None) -> Envelope:
        envelope = Envelope(
            type=type_,
            report_id=payload.report_id,
            producer="test",
            payload=payload.model_dump(mode="json"),
            **({"event_id": event_id} if event_id else {}),
        )
        value = envelope.to_bytes()
        messages.append(Message(topic=topic, partition=0, offset=len(messages), key=envelope.report_id, value=value))
        return envelope

    harness.deliver = collect
    try:
        await build(harness)
    finally:
        del harness.deliver
    return messages


async def events_of_one_report(h: Any, r: str) -> None:
    """Received, screened to a shorter deadline, a referral assigned twice (routing
    re-published it), then dispatch complete: every kind of write, all in one batch."""
    await h.report_received(r)
    await h.report_screened(r, seconds=4 * HOURS)
    await h.referral_assigned(r, f"{r}-ref")
    await h.referral_assigned(r, f"{r}-ref")
    await h.status_changed(r, seq=1, statuses=["acknowledged"], at=h.t0 + timedelta(hours=1))


async def late_and_out_of_order(h: Any, r: str) -> None:
    """Dispatch completes after the deadline, and notify hears of it before the report:
    the clock starts already settled, as breached, and escalates."""
    await h.status_changed(r, seq=1, statuses=["acknowledged"], at=h.t0 + timedelta(hours=30))
    await h.report_received(r)


async def state(h: Any, r: str) -> dict[str, Any]:
    """Everything notify keeps of report `r`, without the report id or bookkeeping."""
    clocks = [c for c in await h.rows(orm.sla_clocks) if c.report_id == r]
    timers = [t for t in await h.rows(orm.timers) if t.report_id == r]
    notices = [n for n in await h.rows(orm.notifications) if n.report_id == r]
    return {
        "clock": [(c.county, c.received_at, c.due_at, c.state, c.closed_at, c.snapshot_seq) for c in clocks],
        "from_screening": [c.deadline_from_screening for c in clocks],
        "timers": sorted((t.kind, t.index, t.fire_at, t.fired_at) for t in timers),
        "notifications": sorted((n.kind, n.recipient, n.channel, n.status) for n in notices),
        "events": [e["type"] for e in await h.outbox() if e["report_id"] == r],
    }


async def test_a_batch_locks_once_writes_once_and_matches_one_by_one(harness: Any, statements: Statements) -> None:
    reports = [f"batch-{n}" for n in range(4)]
    messages = await collected(harness, lambda h: _each(h, reports, events_of_one_report))
    messages += await collected(harness, lambda h: late_and_out_of_order(h, "batch-late"))
    statements.seen.clear()
    assert await harness.loop(ConsumerLoop).process_together(messages)

    new_clocks = len(reports) + 1
    postgresql = harness.engine.dialect.name == "postgresql"
    # One lock (PostgreSQL inserts the new clocks in it; SQLite, holding the write lock,
    # reads the existing ones and inserts each new one) and one save of every clock.
    assert statements.count("notify_sla_clocks") == (2 if postgresql else 2 + new_clocks)
    # One delete; nothing to insert, as every report's last word in the batch was "met"
    # or "breached" (the planned timers of its start and re-plan were never written).
    assert statements.count("notify_timers") == 1
    assert statements.count("notify_notifications") == 1

    alone = [f"alone-{n}" for n in range(2)]
    for r in alone:
        await events_of_one_report(harness, r)
    await late_and_out_of_order(harness, "alone-late")
    assert await state(harness, "batch-0") == await state(harness, "alone-0")
    assert await state(harness, "batch-3") == await state(harness, "alone-1")
    assert await state(harness, "batch-late") == await state(harness, "alone-late")
    batch = await state(harness, "batch-0")
    assert batch["clock"][0][3] == "met" and batch["from_screening"] == [True]
    assert batch["timers"] == []  # met: its timers cancelled
    assert batch["events"] == ["SlaStarted", "SlaRescheduled", "SlaMet"]
    assert len(batch["notifications"]) == 1  # planned twice, kept once
    assert (await state(harness, "batch-late"))["clock"][0][3] == "breached"


async def test_existing_clocks_are_read_in_one_statement(harness: Any, statements: Statements) -> None:
    reports = [f"r{n}" for n in range(5)]
    for r in reports:
        await harness.report_received(r)
    messages = await collected(
        harness, lambda h: _each(h, reports, lambda h, r: h.report_screened(r, seconds=4 * HOURS))
    )
    statements.seen.clear()
    assert await harness.loop(ConsumerLoop).process_together(messages)
    assert statements.count("notify_sla_clocks") == 2  # one lock of all five, one save of all five
    assert statements.count("notify_timers") == 2
    for r in reports:
        timers = sorted((t.kind, t.index, t.fire_at) for t in await harness.rows(orm.timers) if t.report_id == r)
        assert timers[0] == ("deadline", 0, harness.t0 + timedelta(hours=4))
        assert [t[1] for t in timers[1:]] == [0, 1]


async def test_a_fired_warning_is_not_planned_again_by_a_batch(harness: Any, clock: Any) -> None:
    for r in ("batch", "alone"):
        await harness.report_received(r)
    clock.at(hours=17)  # the first warning (16 h of 24) fires
    assert await harness.tick() == 2
    messages = await collected(harness, lambda h: h.report_screened("batch", seconds=20 * HOURS))
    messages += await collected(harness, lambda h: h.referral_assigned("other", "other-ref"))
    assert await harness.loop(ConsumerLoop).process_together(messages)
    await harness.report_screened("alone", seconds=20 * HOURS)
    assert await state(harness, "batch") == await state(harness, "alone")
    timers = (await state(harness, "batch"))["timers"]
    assert [(kind, index, fired is not None) for kind, index, _, fired in timers] == [
        ("deadline", 0, False),
        ("warning", 0, True),
        ("warning", 1, False),
    ]
    # "other" had no clock: the batch's lock made none that outlives the transaction.
    assert sorted(c.report_id for c in await harness.rows(orm.sla_clocks)) == ["alone", "batch"]


async def test_a_failed_batch_keeps_nothing_and_one_by_one_gives_the_same_result(harness: Any) -> None:
    messages = await collected(harness, lambda h: events_of_one_report(h, "r1"))
    broken = Envelope(type="ReportReceived", report_id="r2", producer="test", payload={"report_id": "r2"})
    messages.insert(2, Message(topic=topics.REPORTS, partition=0, offset=99, key="r2", value=broken.to_bytes()))
    loop = harness.loop(ConsumerLoop)
    assert not await loop.process_together(messages)
    assert await harness.rows(orm.sla_clocks) == [] and await harness.rows(orm.notifications) == []
    assert await harness.outbox() == []
    for message in messages:
        await loop.process(message, asyncio.Event())
    assert len(harness.broker.published) == 1  # the broken one, dead-lettered
    harness.broker.published.clear()
    await events_of_one_report(harness, "alone")
    assert await state(harness, "r1") == await state(harness, "alone")


async def _each(h: Any, reports: list[str], build: Any) -> None:
    for r in reports:
        await build(h, r)


class SomeFail:
    """A channel that refuses ref-retry (retryably) and ref-dead (for good)."""

    name = "recording"
    retry = RetryPolicy()

    async def send(self, notification: Any) -> DeliveryResult:
        if notification.referral_id == "ref-retry":
            return DeliveryResult("failed", "503")
        if notification.referral_id == "ref-dead":
            return DeliveryResult("failed", "410", retryable=False)
        return DeliveryResult("delivered", "200")


async def test_a_delivery_tick_settles_every_notification_in_one_statement(
    harness: Any, clock: Any, statements: Statements
) -> None:
    harness.boot(channels={"recording": SomeFail()})
    for ref in ("ref-ok", "ref-retry", "ref-dead"):
        await harness.referral_assigned("r1", ref)
    statements.seen.clear()
    assert await harness.loop(DeliveryWorker).tick() == 3
    # The lease (a read and its update), then one update that settles all three (on
    # SQLite, in-process, one each); the attempts are written with the outbox's rows at commit.
    postgresql = harness.engine.dialect.name == "postgresql"
    assert statements.count("notify_notifications") == (3 if postgresql else 5)
    status = {
        n.referral_id: (n.status, n.attempts, n.finished_at is not None) for n in await harness.rows(orm.notifications)
    }
    assert status == {
        "ref-ok": ("delivered", 1, True),
        "ref-retry": ("pending", 1, False),
        "ref-dead": ("failed", 1, True),
    }
    assert sorted((d.attempt, d.outcome) for d in await harness.rows(orm.deliveries)) == [
        (1, "delivered"),
        (1, "failed"),
        (1, "failed"),
    ]
    sent = {e["payload"]["referral_id"]: e["payload"] for e in await harness.outbox("NotificationSent")}
    assert {r: (p["outcome"], p["dead_lettered"]) for r, p in sent.items()} == {
        "ref-ok": ("delivered", False),
        "ref-retry": ("failed", False),
        "ref-dead": ("failed", True),
    }
    # A worker whose lease ran out mid-send (another one has made attempt 2 meanwhile):
    # its attempt is kept, but it neither settles the notification nor tells the timeline.
    async with NotifyUnitOfWork(harness.engine) as uow:
        [(retry, _)] = [
            found
            for found in (await uow.notifications.find(await _ids(harness))).values()
            if found[0].referral_id == "ref-retry"
        ]
    assert retry.attempt == 2
    stale = replace(retry, attempt=1)
    await record_deliveries(
        [(stale, DeliveryResult("delivered", "200"), RetryPolicy())], uow=NotifyUnitOfWork(harness.engine), now=clock()
    )
    assert [n.status for n in await harness.rows(orm.notifications) if n.referral_id == "ref-retry"] == ["pending"]
    assert len(await harness.outbox("NotificationSent")) == 3
    assert len(await harness.rows(orm.deliveries)) == 4


async def _ids(harness: Any) -> list[str]:
    return [n.notification_id for n in await harness.rows(orm.notifications)]
