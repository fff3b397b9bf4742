"""Screening in a consumer batch: the active rule version is read once for the batch, the
decisions are written at commit with the outbox, a referral's outcome is one statement,
and the result is exactly that of handling each event alone (several events of one
referral in a batch included). A replay after decisions of the same batch reads them
committed: the batch is handled again one by one. On SQLite and on PostgreSQL (the
driver's path) when the environment has it."""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop, bind_handlers
from safetynet.screening.adapters import orm
from safetynet.screening.bootstrap import MIGRATIONS
from safetynet.screening.service_layer import rule_versions
from safetynet.screening.service_layer.messagebus import EVENT_HANDLERS, Dependencies
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork
from tests.support.databases import migrated_engines
from tests.support.statements import Statements

from .test_rule_versions_service import MENTAL_HEALTH, candidate, generated_month, referral_event, replay_requested

POSTGRES_URL = os.environ.get("SAFETYNET_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_engines(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A factory of empty, migrated screening databases, each with v1 activated."""
    if request.param == "postgresql" and not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("no PostgreSQL in SAFETYNET_DATABASE_URL (scripts/infra up)")
    async with migrated_engines(
        request.param, admin_url=POSTGRES_URL, sqlite_dir=tmp_path, schema="screening", script_location=MIGRATIONS
    ) as migrated:

        async def make() -> AsyncEngine:
            engine = await migrated()
            await rule_versions.activate(engine, "v1", by="test", note=None)
            return engine

        yield make


def loop(engine: AsyncEngine) -> ConsumerLoop:
    dependencies = Dependencies(
        uow_factory=lambda: ScreeningUnitOfWork(engine), directory=CountyDirectory.load(), default_sla_seconds=86400
    )
    handlers = bind_handlers(EVENT_HANDLERS, dependencies)
    return ConsumerLoop(service="screening", group="s", topics=["t"], broker=None, handlers=handlers, engine=engine)


def messages(*, replay: bool = False) -> list[Message]:
    """Six reports, then what became of three referrals: one assigned, rejected and
    reassigned (the rejection stays), one assigned and closed, one assigned twice (a
    redelivery under a new id is the same state again); a replay last, if asked."""
    envelopes = [g.envelope for g in generated_month()[:6]]
    f3 = dict(report_id="m-00-0", referral_id="f-3", kind="mental_health", unit=MENTAL_HEALTH)
    f1 = dict(f3, referral_id="f-1", report_id="m-00-1")
    envelopes += [
        referral_event("ReferralAssigned", status="assigned", **f3),
        referral_event("ReferralAssigned", status="assigned", **f1),
        referral_event("ReferralRejected", status="rejected", outcome_reason="wrong_district", **f3),
        referral_event("ReferralClosed", status="closed", outcome="opened", outcome_reason="accepted", **f1),
        referral_event("ReferralReassigned", status="reassigned", **f3),
    ]
    if replay:
        envelopes.append(replay_requested(candidate("v1.0.0-tipvda10", **{"risk.tipvda_red": 10})))
    return [
        Message(topic="t", partition=0, offset=i, key=e.report_id, value=e.to_bytes()) for i, e in enumerate(envelopes)
    ]


async def snapshot(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        decisions = await conn.execute(select(orm.decisions).order_by(orm.decisions.c.report_id))
        outcomes = await conn.execute(select(orm.referral_outcomes).order_by(orm.referral_outcomes.c.referral_id))
        outbox = await conn.execute(select(orm.outbox.c.value).order_by(orm.outbox.c.id))
        announced = [Envelope.from_bytes(row.value) for row in outbox]
        return {
            "decisions": [(d.report_id, d.rule_version, d.risk_level, d.decision, d.input) for d in decisions],
            "outcomes": [tuple(o) for o in outcomes],
            "announced": [(e.type, e.report_id, e.payload.get("summary")) for e in announced],
        }


async def alone(engine: AsyncEngine, batch: list[Message]) -> dict[str, Any]:
    consumer = loop(engine)
    for message in batch:
        await consumer.process(message, stop=None)  # type: ignore[arg-type]  # nothing fails: no retries
    return await snapshot(engine)


async def test_a_batch_decides_as_each_event_alone_reading_the_version_once(fresh_engines, monkeypatch) -> None:
    batch = messages()
    expected = await alone(await fresh_engines(), batch)
    assert [o[4] for o in expected["outcomes"]] == ["closed", "rejected"]  # f-1, f-3

    engine = await fresh_engines()
    statements = Statements(engine, monkeypatch)
    assert await loop(engine).process_together(batch)
    sql, statements.sql = statements.sql, []
    assert await snapshot(engine) == expected
    statements.sql = sql
    assert statements.count(r"FROM (\w+\.)?screening_rule_activations") == 1  # for six decisions
    assert statements.count(r"INSERT INTO (\w+\.)?screening_decisions") == 1  # at commit, with the outbox
    assert statements.count(r"INSERT INTO (\w+\.)?screening_referral_outcomes") == 5  # one per event
    assert statements.count(r"^SELECT .*screening_referral_outcomes") == 0


async def test_an_activation_is_followed_from_the_next_batch_on(fresh_engines) -> None:
    engine = await fresh_engines()
    [first, second] = messages()[:2]
    assert await loop(engine).process_together([first])
    await rule_versions.activate(engine, "v1.1", by="test", note=None)
    assert await loop(engine).process_together([second])
    versions = [d[1] for d in (await snapshot(engine))["decisions"]]
    assert versions == ["v1.0.0", "v1.1.0"]


async def test_a_replay_after_decisions_of_its_batch_reads_them_committed(fresh_engines) -> None:
    batch = messages(replay=True)
    expected = await alone(await fresh_engines(), batch)
    [(_, _, summary)] = [a for a in expected["announced"] if a[0] == "ReplayCompleted"]
    assert summary["reports"] == 6

    engine = await fresh_engines()
    consumer = loop(engine)
    assert not await consumer.process_together(batch)  # handled again one by one
    assert (await snapshot(engine))["decisions"] == []
    for message in batch:
        await consumer.process(message, stop=None)  # type: ignore[arg-type]
    result = await snapshot(engine)
    assert result["announced"][:-1] == expected["announced"][:-1]
    assert result["decisions"] == expected["decisions"] and result["outcomes"] == expected["outcomes"]
    [(_, _, replayed)] = [a for a in result["announced"] if a[0] == "ReplayCompleted"]
    assert {k: v for k, v in replayed.items() if k != "seconds"} == {k: v for k, v in summary.items() if k != "seconds"}
