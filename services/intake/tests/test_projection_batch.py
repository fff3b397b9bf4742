"""The projection handles a consumer batch with a fixed number of statements (issue 10,
adapters/view_batch.py): the views of every report of the batch read in one statement
and written in one, the new referrals indexed in one, the KPI records read and written
once. And the result is exactly what handling each event alone gives: two events of one
report in a batch see each other, a duplicate is handled once, and a failed batch leaves
nothing and is handled again one by one. On SQLite; on PostgreSQL too when
SAFETYNET_TEST_POSTGRES_URL is set (the driver's array statements)."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import orm
from safetynet.intake.service_layer import projections
from safetynet.platform import driver
from safetynet.platform.messaging.broker import Message

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
UNIT = "苗栗縣/protection"


def _envelope(type_: str, report_id: str, payload: Any, producer: str) -> Envelope:
    return Envelope(
        type=type_, report_id=report_id, producer=producer, occurred_at=AT, payload=payload.model_dump(mode="json")
    )


def _status(report_id: str, referral_id: str, seq: int, status: str, at: datetime) -> Envelope:
    referral = events.ReferralSnapshot(
        referral_id=referral_id,
        kind="protection",
        unit=UNIT,
        status=status,  # type: ignore[arg-type]
        urgent=True,
        assigned_at=AT,
        updated_at=at,
    )
    payload = events.ReportStatusChanged(
        report_id=report_id,
        county="苗栗縣",
        seq=seq,
        status="assigned",
        recommended=[events.DestinationRef(kind="protection", unit=UNIT)],
        destinations=[events.DestinationRef(kind="protection", unit=UNIT)],
        referrals=[referral],
        at=at,
        actor="routing",
        reasons=[events.ReasonCode(code="tipvda_high", text="TIPVDA ≥ 8")],
    )
    return _envelope("ReportStatusChanged", report_id, payload, "routing")


def report_events(report_id: str) -> list[Envelope]:
    """A report's life as the projection sees it, with a stale snapshot and a duplicate."""
    referral_id = str(uuid.uuid5(uuid.NAMESPACE_URL, report_id))
    screened = events.ReportScreened(
        report_id=report_id,
        county="苗栗縣",
        received_at=AT,
        rule_version="v1",
        risk_level="red",
        urgent=True,
        direct_dispatch=True,
        needs_review=False,
        sla_due_at=AT + timedelta(hours=1),
        reasons=[events.ReasonCode(code="tipvda_high", text="TIPVDA ≥ 8")],
        recommended=[events.DestinationRef(kind="protection", unit=UNIT)],
        subject_hashes=[],
    )
    assigned = _status(report_id, referral_id, 1, "assigned", AT + timedelta(minutes=1))
    sent = events.NotificationSent(
        report_id=report_id,
        referral_id=referral_id,
        unit=UNIT,
        channel="email",
        urgent=True,
        at=AT + timedelta(minutes=2),
        outcome="delivered",
    )
    sla = events.SlaChanged(report_id=report_id, county="苗栗縣", state="open", due_at=AT, at=AT)
    return [
        _envelope("ReportScreened", report_id, screened, "screening"),
        assigned,
        _envelope("NotificationSent", report_id, sent, "notify"),
        _status(report_id, referral_id, 2, "acknowledged", AT + timedelta(minutes=3)),
        assigned,  # delivered twice: handled once
        _status(report_id, referral_id, 1, "assigned", AT + timedelta(minutes=1)),  # stale: a new event, seq 1
        _envelope("SlaStarted", report_id, sla, "notify"),
    ]


def interleaved(report_ids: list[str]) -> list[Envelope]:
    """Every report's events, the reports' interleaved as a partition holds them."""
    lives = [report_events(r) for r in report_ids]
    return [life[i] for i in range(len(lives[0])) for life in lives]


def messages(envelopes: list[Envelope]) -> list[Message]:
    return [
        Message(topic="t", partition=0, offset=n, key=e.report_id, value=e.to_bytes()) for n, e in enumerate(envelopes)
    ]


async def accepted(post_report: Any, report: Any, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        response = await post_report(report())
        assert response.status_code == 202, response.text
        ids.append(response.json()["report_id"])
    return ids


async def read_model(engine: Any, report_ids: list[str]) -> list[Any]:
    """Each report's view, index, KPI records and timeline, its ids and receipt masked:
    comparable between reports that lived the same life."""
    out = []
    async with engine.connect() as conn:
        for report_id in report_ids:
            masked = str(uuid.uuid5(uuid.NAMESPACE_URL, report_id))

            def mask(values: dict[str, Any], report_id: str = report_id, masked: str = masked) -> str:
                text = repr(sorted((k, v) for k, v in values.items() if k != "received_at"))
                return text.replace(report_id, "R").replace(masked, "F")

            v = orm.report_views
            view = (await conn.execute(select(v).where(v.c.report_id == report_id))).one()._asdict()
            view.pop("updated_at")
            rows = [mask(view)]
            for table in (orm.referral_index, orm.referral_outcomes):
                rows += [
                    mask(r._asdict()) for r in await conn.execute(select(table).where(table.c.report_id == report_id))
                ]
            t = orm.timeline.c
            timeline = await conn.execute(
                select(t.at, t.event, t.actor, t.detail)
                .where(t.report_id == report_id, t.event != "received")  # accepted at its own time
                .order_by(t.at, t.event)
            )
            rows += [mask(r._asdict()) for r in timeline]
            out.append(rows)
    return out


@contextmanager
def statements(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent, through SQLAlchemy or on the driver."""
    sent: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(self: Any, sql: str, *args: Any) -> Any:
            sent.append(sql)
            return await method(self, sql, *args)

        return wrapper

    monkeypatch.setattr(driver.Driver, "fetch", counted(driver.Driver.fetch))
    monkeypatch.setattr(driver.Driver, "execute", counted(driver.Driver.execute))
    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)
        monkeypatch.undo()


def touching(sent: list[str], table: str) -> list[str]:
    return [s for s in sent if table in s and "intake_kpi" not in s]


async def test_a_batch_of_many_reports_reads_and_writes_each_table_once(
    intake: Any, engine: Any, post_report: Any, report: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = intake.loops[0]
    few, many = await accepted(post_report, report, 2), await accepted(post_report, report, 5)
    counts = []
    for report_ids in (few, many):
        with statements(engine, monkeypatch) as sent:
            assert await loop.process_together(messages(interleaved(report_ids)))
        views = touching(sent, "intake_report_views")
        assert len(views) == 2, views  # one read (with received_at), one write
        assert views[0].lstrip().upper().startswith("SELECT") and views[1].lstrip().upper().startswith("UPDATE")
        assert len(touching(sent, "intake_referral_index")) == 1  # the new referrals, once
        outcomes = touching(sent, "intake_referral_outcomes")
        assert len([s for s in outcomes if s.lstrip().upper().startswith("SELECT")]) == 1  # the records, once
        counts.append(len(sent))
    assert counts[0] == counts[1]  # 14 events or 35: the same statements
    alone = await accepted(post_report, report, 1)
    with statements(engine, monkeypatch) as sent:
        for message in messages(report_events(alone[0])):
            await loop.process(message, stop=None)
    assert len(sent) > 2 * counts[0]  # what the batch saves


async def test_a_batch_leaves_what_handling_each_event_alone_leaves(
    intake: Any, engine: Any, post_report: Any, report: Any
) -> None:
    loop = intake.loops[0]
    alone, together = await accepted(post_report, report, 3), await accepted(post_report, report, 3)
    for message in messages(interleaved(alone)):
        await loop.process(message, stop=None)
    assert await loop.process_together(messages(interleaved(together)))
    expected = await read_model(engine, alone)
    assert expected[0] == expected[1] == expected[2]
    assert "acknowledged" in repr(expected[0][0])  # the stale snapshot did not win
    assert await read_model(engine, together) == expected


async def test_a_failed_batch_keeps_nothing_and_one_by_one_gives_the_same_result(
    intake: Any, engine: Any, post_report: Any, report: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = intake.loops[0]
    alone, together = await accepted(post_report, report, 2), await accepted(post_report, report, 2)
    for message in messages(interleaved(alone)):
        await loop.process(message, stop=None)
    before = await read_model(engine, together)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("metrics down")

    monkeypatch.setattr(projections, "observe_sla", fail)  # the last event of the batch fails
    batch = messages(interleaved(together))
    assert not await loop.process_together(batch)
    assert await read_model(engine, together) == before  # the batch's flushed writes are gone too
    monkeypatch.undo()
    for message in batch:
        await loop.process(message, stop=None)
    assert await read_model(engine, together) == await read_model(engine, alone)
