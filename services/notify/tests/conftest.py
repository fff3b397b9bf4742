"""Fixtures for the notify tests: a migrated SQLite database per test, a clock the test
moves by hand, and a harness that boots the service on them, feeds it envelopes through
its real consumer loop and reads back what it wrote to its outbox."""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select

from safetynet.contracts import events, topics
from safetynet.contracts.envelope import Envelope
from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels import NotificationChannel
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.bootstrap import MIGRATIONS, bootstrap
from safetynet.notify.entrypoints.loops import DeliveryWorker, SlaScheduler
from safetynet.notify.settings import NotifySettings
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop
from safetynet.platform.messaging.runtime import ServiceRuntime
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine

T0 = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
COUNTY = "苗栗縣"


class FakeClock:
    """The time the service sees; the test moves it."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, **offset: float) -> "FakeClock":
        """Set the time to T0 plus `offset` (timedelta keywords)."""
        self.now = T0 + timedelta(**offset)
        return self


class FakeBroker:
    """Takes what the service publishes (only dead letters, in these tests)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def publish(self, topic: str, *, key: str, value: bytes, headers: Any) -> None:
        self.published.append((topic, value))

    async def publish_many(self, messages: Sequence[Any]) -> None:
        for m in messages:
            await self.publish(m.topic, key=m.key, value=m.value, headers=m.headers)

    def consumer(self, *, group: str, topics: Sequence[str]) -> Any:
        raise AssertionError("the tests feed the consumer loop by hand")


class Harness:
    t0 = T0
    county = COUNTY

    def __init__(self, engine: Any, clock: FakeClock, settings: NotifySettings):
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.broker = FakeBroker()
        self.runtime: ServiceRuntime

    def boot(
        self, *, channels: Mapping[str, NotificationChannel] | None = None, directory: UnitDirectory | None = None
    ) -> ServiceRuntime:
        """A fresh bootstrap on the same database: what a restart (or a replica) is."""
        self.runtime = bootstrap(
            settings=self.settings,
            engine=self.engine,
            broker=self.broker,
            directory=directory,
            channels=channels,
            clock=self.clock,
        )
        return self.runtime

    def loop(self, kind: type) -> Any:
        return next(loop for loop in self.runtime.loops if isinstance(loop, kind))

    async def deliver(self, type_: str, payload: BaseModel, *, topic: str, event_id: str | None = None) -> Envelope:
        """Hand one envelope to the service's consumer loop, as the broker would."""
        envelope = Envelope(
            type=type_,
            report_id=payload.report_id,
            producer="test",
            payload=payload.model_dump(mode="json"),
            **({"event_id": event_id} if event_id else {}),
        )
        message = Message(topic=topic, partition=0, offset=0, key=envelope.report_id, value=envelope.to_bytes())
        await self.loop(ConsumerLoop).process(message, asyncio.Event())
        assert not self.broker.published, f"dead-lettered: {self.broker.published}"
        return envelope

    async def tick(self) -> int:
        """One scheduler tick then one delivery tick, at the clock's time."""
        fired = await self.loop(SlaScheduler).tick()
        await self.loop(DeliveryWorker).tick()
        return fired

    async def outbox(self, *types: str) -> list[dict[str, Any]]:
        """The envelopes in notify's outbox (of `types`, if given), oldest first."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(orm.outbox).order_by(orm.outbox.c.id))).all()
        found = [json.loads(r.value) | {"topic": r.topic} for r in rows]
        return [e for e in found if not types or e["type"] in types]

    async def sla_types(self) -> list[str]:
        return [e["type"] for e in await self.outbox() if e["type"].startswith("Sla")]

    async def rows(self, table: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(table))).all())

    # Envelopes as the other services publish them.

    async def report_received(
        self, report_id: str, *, received_at: datetime = T0, seconds: int | None = None, **kw: Any
    ) -> Envelope:
        due = received_at + timedelta(seconds=seconds or self.settings.sla_seconds)
        payload = events.ReportReceived(
            report_id=report_id,
            county=COUNTY,
            township="頭份市",
            agency_type="police",
            received_at=received_at,
            sla_due_at=due,
            categories=["intimate_partner_violence"],
            subjects=[events.SubjectFacts(role="victim", age=30, subject_hash="h" * 64)],
        )
        return await self.deliver("ReportReceived", payload, topic=topics.REPORTS, **kw)

    async def report_screened(
        self, report_id: str, *, seconds: int, received_at: datetime = T0, risk_level: str = "red", **kw: Any
    ) -> Envelope:
        payload = events.ReportScreened(
            report_id=report_id,
            county=COUNTY,
            received_at=received_at,
            rule_version="v1",
            risk_level=risk_level,
            urgent=risk_level == "red",
            direct_dispatch=False,
            needs_review=False,
            sla_due_at=received_at + timedelta(seconds=seconds),
            reasons=[],
            recommended=[],
            subject_hashes=[],
        )
        return await self.deliver("ReportScreened", payload, topic=topics.DECISIONS, **kw)

    async def status_changed(
        self, report_id: str, *, seq: int, statuses: Sequence[str], at: datetime, **kw: Any
    ) -> Envelope:
        referrals = [
            events.ReferralSnapshot(
                referral_id=f"{report_id}-ref-{i}",
                kind="protection",
                unit=f"{COUNTY}/protection",
                status=s,
                urgent=False,
                assigned_at=T0,
                updated_at=at,
            )
            for i, s in enumerate(statuses)
        ]
        # Routing's snapshot: its one destination is held while a referral is live.
        destinations = [events.DestinationRef(kind="protection", unit=f"{COUNTY}/protection")] if statuses else []
        payload = events.ReportStatusChanged(
            report_id=report_id,
            county=COUNTY,
            seq=seq,
            status="assigned",
            recommended=destinations,
            destinations=destinations,
            referrals=referrals,
            at=at,
            actor="test",
        )
        return await self.deliver("ReportStatusChanged", payload, topic=topics.REFERRALS, **kw)

    async def referral_assigned(
        self, report_id: str, referral_id: str, *, unit: str = f"{COUNTY}/protection", urgent: bool = False, **kw: Any
    ) -> Envelope:
        payload = events.ReferralChanged(
            report_id=report_id,
            referral_id=referral_id,
            county=COUNTY,
            kind="protection",
            unit=unit,
            status="assigned",
            urgent=urgent,
            at=self.clock(),
            actor="system",
        )
        return await self.deliver("ReferralAssigned", payload, topic=topics.REFERRALS, **kw)


@pytest.fixture
def settings(tmp_path: Any) -> NotifySettings:
    # Explicit SLA values, so a SAFETYNET_SLA_* variable in the environment changes nothing.
    return NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notify.db",
        sla_seconds=24 * 3600,
        sla_warn_seconds=[16 * 3600, 22 * 3600],
    )


@pytest.fixture
async def engine(settings: NotifySettings) -> AsyncIterator[Any]:
    engine = make_engine(settings.database_url, schemas=("notify",))
    await upgrade(engine, schema="notify", script_location=MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def harness(engine: Any, clock: FakeClock, settings: NotifySettings) -> Harness:
    h = Harness(engine, clock, settings)
    h.boot()
    return h
