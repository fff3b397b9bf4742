"""The whole notify runtime (consumer, scheduler, delivery worker, relay) on the embedded
broker with the real clock and a 6-second SLA."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from safetynet.contracts import events, topics
from safetynet.contracts.envelope import Envelope
from safetynet.notify.bootstrap import bootstrap
from safetynet.notify.settings import NotifySettings
from safetynet.platform.messaging.sqlbus import SqlLogBroker, bus_messages


async def publish(broker: SqlLogBroker, topic: str, type_: str, payload) -> None:
    envelope = Envelope(
        type=type_, report_id=payload.report_id, producer="test", payload=payload.model_dump(mode="json")
    )
    await broker.publish(topic, key=envelope.report_id, value=envelope.to_bytes(), headers=[])


def received(report_id: str, now: datetime) -> events.ReportReceived:
    return events.ReportReceived(
        report_id=report_id,
        county="南投縣",
        township="埔里鎮",
        agency_type="school",
        received_at=now,
        sla_due_at=now + timedelta(seconds=6),
        categories=["child_maltreatment"],
        subjects=[events.SubjectFacts(role="child", age=5, subject_hash=None)],
    )


async def published_sla(engine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(bus_messages.c.value)
                .where(bus_messages.c.topic == topics.NOTIFICATIONS)
                .order_by(bus_messages.c.id)
            )
        ).all()
    return [(e["report_id"], e["type"]) for e in (json.loads(r.value) for r in rows)]


async def test_a_six_second_sla_is_breached_without_acknowledgement(engine, tmp_path) -> None:
    settings = NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notify.db", sla_seconds=6, sla_warn_seconds=[4, 5]
    )
    broker = SqlLogBroker(engine)
    await broker.start()
    runtime = bootstrap(settings=settings, engine=engine, broker=broker)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        now = datetime.now(UTC)
        await publish(broker, topics.REPORTS, "ReportReceived", received("late", now))
        await publish(broker, topics.REPORTS, "ReportReceived", received("acked", now))
        await asyncio.sleep(1)
        await publish(
            broker,
            topics.REFERRALS,
            "ReportStatusChanged",
            events.ReportStatusChanged(
                report_id="acked",
                county="南投縣",
                seq=1,
                status="acknowledged",
                recommended=[events.DestinationRef(kind="protection", unit="南投縣/protection")],
                destinations=[events.DestinationRef(kind="protection", unit="南投縣/protection")],
                referrals=[
                    events.ReferralSnapshot(
                        referral_id="ref-1",
                        kind="protection",
                        unit="南投縣/protection",
                        status="acknowledged",
                        urgent=False,
                        assigned_at=now,
                        updated_at=now + timedelta(seconds=1),
                    )
                ],
                at=datetime.now(UTC),
                actor="unit",
            ),
        )
        deadline = time.monotonic() + 15
        while ("late", "SlaBreached") not in await published_sla(engine) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        breached_after = (datetime.now(UTC) - now).total_seconds()
        await asyncio.sleep(1.5)  # a few more ticks: nothing fires twice
    finally:
        stop.set()
        await task
        await broker.stop()
    assert 6 <= breached_after < 9
    sla = await published_sla(engine)
    assert [t for r, t in sla if r == "late"] == ["SlaStarted", "SlaWarning", "SlaWarning", "SlaBreached"]
    assert [t for r, t in sla if r == "acked"] == ["SlaStarted", "SlaMet"]
