"""Routing in a consumer batch: the cases of the batch's reports are read (and locked) in
one statement, each event's subject look-ups are one statement, each new case is written
in one, and the result is exactly that of handling each event alone, including a case
opened earlier in the batch that a later report links to (rule 1). On SQLite and on
PostgreSQL (the driver's path) when the environment has it."""

import json
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.consumer import ConsumerLoop, bind_handlers
from safetynet.routing.adapters import orm
from safetynet.routing.bootstrap import MIGRATIONS
from safetynet.routing.service_layer.messagebus import HANDLERS, Dependencies
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork
from tests.support.databases import migrated_engines
from tests.support.statements import Statements

from .test_open_case_link import screened
from .test_rereport_race import DISPATCHER, T0, W_MIAOLI, command

POSTGRES_URL = os.environ.get("SAFETYNET_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_engines(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A factory of empty, migrated routing databases."""
    if request.param == "postgresql" and not POSTGRES_URL.startswith("postgresql"):
        pytest.skip("no PostgreSQL in SAFETYNET_DATABASE_URL (scripts/infra up)")
    async with migrated_engines(
        request.param, admin_url=POSTGRES_URL, sqlite_dir=tmp_path, schema="routing", script_location=MIGRATIONS
    ) as migrated:
        yield migrated


def loop(engine: AsyncEngine, fail_once: set[str] | None = None) -> ConsumerLoop:
    handlers = bind_handlers(
        HANDLERS, Dependencies(uow_factory=lambda: RoutingUnitOfWork(engine), directory=CountyDirectory.load())
    )
    failing = set(fail_once or ())

    async def handle(envelope: Envelope) -> None:
        await handlers[envelope.type](envelope)
        if envelope.event_id in failing:  # after its work: the batch must undo it
            failing.discard(envelope.event_id)
            raise RuntimeError("a handler failed")

    wrapped = dict.fromkeys(handlers, handle)
    return ConsumerLoop(service="routing", group="routing", topics=["t"], broker=None, handlers=wrapped, engine=engine)


def batch() -> list[Message]:
    """Three reports; r-1 confirmed, decided twice and confirmed again (rejected: the case
    object that command changed is dropped); r-2 links to r-1's referral, made in the batch."""
    r1 = screened("r-1", minutes=-60, unit=W_MIAOLI, rules=())
    envelopes = [
        r1,
        command("ConfirmDestinations", DISPATCHER, report_id="r-1", at=T0 - timedelta(minutes=50)),
        screened("r-2", minutes=1),
        Envelope(type=r1.type, report_id="r-1", producer="screening", payload=r1.payload),  # a second decision
        command("ConfirmDestinations", DISPATCHER, report_id="r-1", at=T0 - timedelta(minutes=40)),
        screened("r-3", minutes=2, rules=()),
    ]
    return [
        Message(topic="t", partition=0, offset=i, key=e.report_id, value=e.to_bytes()) for i, e in enumerate(envelopes)
    ]


async def snapshot(engine: AsyncEngine) -> dict[str, Any]:
    """What routing stored and announced, with its random referral ids named by what they are."""
    async with engine.connect() as conn:
        referrals = list(await conn.execute(select(orm.referrals)))
        name = {r.referral_id: (r.report_id, r.kind, r.unit, r.status) for r in referrals}

        def named(reasons: Any) -> str:  # a reason may quote a referral id
            text = json.dumps(reasons, ensure_ascii=False)
            for referral_id, what in name.items():
                text = text.replace(referral_id, str(what))
            return text

        cases = await conn.execute(select(orm.cases).order_by(orm.cases.c.report_id))
        outbox = await conn.execute(select(orm.outbox.c.value).order_by(orm.outbox.c.id))
        actions = await conn.execute(select(orm.actions.c.report_id, orm.actions.c.action).order_by(orm.actions.c.id))
        return {
            "cases": [
                (c.report_id, c.status, c.seq, c.direct_dispatch, c.destinations, named(c.reasons)) for c in cases
            ],
            "referrals": sorted((*name[r.referral_id], name.get(r.linked_to)) for r in referrals),
            "announced": [(e.type, e.report_id) for e in map(Envelope.from_bytes, (row.value for row in outbox))],
            "actions": [tuple(a) for a in actions],
        }


async def alone(engine: AsyncEngine) -> dict[str, Any]:
    consumer = loop(engine)
    for message in batch():
        await consumer.process(message, stop=None)  # type: ignore[arg-type]  # nothing fails: no retries
    return await snapshot(engine)


async def test_a_batch_routes_as_each_event_alone_with_one_read_of_its_cases(fresh_engines, monkeypatch) -> None:
    expected = await alone(await fresh_engines())
    assert ("r-2", "welfare_center", W_MIAOLI, "assigned", ("r-1", "welfare_center", W_MIAOLI, "assigned")) in expected[
        "referrals"
    ]  # linked to the referral r-1's confirmation made earlier in the same batch

    engine = await fresh_engines()
    statements = Statements(engine, monkeypatch)
    assert await loop(engine).process_together(batch())
    sql, statements.sql = statements.sql, []
    assert await snapshot(engine) == expected
    statements.sql = sql
    # The batch's cases, read and locked once for the six events (none existed yet: no
    # referrals to read); one write per new case; one look-up by subject per new case,
    # except r-2's, which found r-1's live referral: locked FOR SHARE, its live referrals
    # read under the lock and the closures after it, as alone.
    assert statements.count(r"^SELECT .* FROM (\w+\.)?routing_cases WHERE .*( IN \(|ANY)") == 1
    assert statements.count(r"^SELECT .* FROM (\w+\.)?routing_cases WHERE") == 2  # with r-1's FOR SHARE
    assert statements.count(r"FROM (\w+\.)?routing_case_subjects JOIN") == 5
    assert statements.count(r"INSERT INTO (\w+\.)?routing_cases\b") == 3


async def test_a_failed_batch_is_routed_again_one_by_one_from_the_database(fresh_engines) -> None:
    expected = await alone(await fresh_engines())
    engine = await fresh_engines()
    messages = batch()
    last = Envelope.from_bytes(messages[-1].value).event_id
    consumer = loop(engine, fail_once={last})
    assert not await consumer.process_together(messages)
    assert (await snapshot(engine))["cases"] == []  # the cases the batch opened are gone, with its map
    for message in messages:
        await consumer.process(message, stop=None)  # type: ignore[arg-type]
    assert await snapshot(engine) == expected
