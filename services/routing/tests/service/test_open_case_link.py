"""Rule 1 (併案) on a real database, and its race with a reassignment of the open case.

A new report naming a subject whose referral is live goes at once to the unit that holds
that referral, linked to it. When the open case is being reassigned as the report comes
in, the link goes to the unit that holds the case once the reassignment commits; on
PostgreSQL the two really run at once (the reassignment holds the case's row lock), on
SQLite they run one after the other in both orders.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.envelope import Envelope
from safetynet.contracts.events import ReferralChanged, ReportScreened, ReportStatusChanged
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine
from safetynet.routing.adapters.contracts import to_command, to_screened_report
from safetynet.routing.bootstrap import MIGRATIONS
from safetynet.routing.service_layer import handlers
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork

from .test_rereport_race import DISPATCHER, T0, UNIT, W_MIAOLI, W_TOUFEN, close_a_referral, command, sent
from .test_rereport_race import screened as v1_screened

W_JHUNAN = "苗栗縣/welfare_center/竹南區"
DIRECTORY = CountyDirectory.load()
ADMIN_URL = os.environ.get("SAFETYNET_DATABASE_URL", "")


def screened(
    report_id: str, *, minutes: int, unit: str | None = W_JHUNAN, rules: tuple[str, ...] = ("open_case_link",)
):
    envelope = v1_screened(report_id, received_at=T0 + timedelta(minutes=minutes), unit=unit)
    payload = {**envelope.payload, "rule_version": "v1.1", "routing_rules": list(rules)}
    return Envelope(type="ReportScreened", report_id=report_id, producer="screening", payload=payload)


async def refer(engine: AsyncEngine, handle: Callable[[Envelope], Any], report_id: str, unit: str) -> str:
    """A first report, confirmed by a dispatcher: its referral is live (assigned)."""
    await handle(screened(report_id, minutes=-60, unit=unit, rules=()))
    await handle(command("ConfirmDestinations", DISPATCHER, report_id=report_id, at=T0 - timedelta(minutes=50)))
    return await referral_of(engine, report_id)


async def referral_of(engine: AsyncEngine, report_id: str) -> str:
    [status] = [e for e in await sent(engine) if e.report_id == report_id and e.type == "ReportStatusChanged"][-1:]
    [live] = [r for r in status.payload_as(ReportStatusChanged).referrals if r.status != "reassigned"]
    return live.referral_id


async def routed(engine: AsyncEngine, report_id: str) -> tuple[ReportStatusChanged, list[ReferralChanged]]:
    out = [e for e in await sent(engine) if e.report_id == report_id]
    assigned = [e.payload_as(ReferralChanged) for e in out if e.type == "ReferralAssigned"]
    return out[-1].payload_as(ReportStatusChanged), assigned


def reassign(report_id: str, referral_id: str, unit: str) -> Envelope:
    return command(
        "ReassignReferral",
        DISPATCHER,
        report_id=report_id,
        referral_id=referral_id,
        unit=unit,
        reason="鄰近個案住所 nearer the household",
        at=T0,
    )


# -- on SQLite (conftest's engine) -------------------------------------------------------


async def test_a_report_on_a_subject_with_a_live_referral_goes_to_its_unit_linked(engine, handle) -> None:
    open_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(screened("r-2", minutes=1))

    status, [assigned] = await routed(engine, "r-2")
    assert (assigned.unit, assigned.linked_to, assigned.detail) == (W_MIAOLI, open_id, "direct_dispatch")
    assert status.status == "assigned" and status.direct_dispatch is True
    assert [(r.unit, r.linked_to) for r in status.referrals] == [(W_MIAOLI, open_id)]
    assert [r.code for r in status.reasons or []][-1] == "DIRECT_OPEN_CASE"


async def test_switched_off_the_report_is_routed_as_in_v1(engine, handle) -> None:
    await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(screened("r-2", minutes=1, rules=()))
    status, assigned = await routed(engine, "r-2")
    assert assigned == [] and (status.status, status.direct_dispatch) == ("awaiting_review", False)
    assert [(d.kind, d.unit) for d in status.recommended] == [("welfare_center", W_JHUNAN)]


async def test_an_open_case_beats_a_closed_one(engine, handle) -> None:
    await close_a_referral(engine, handle, report_id="r-0", unit=W_TOUFEN, closed_at=T0 - timedelta(hours=2))
    open_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(screened("r-2", minutes=1))
    status, [assigned] = await routed(engine, "r-2")
    assert (assigned.unit, assigned.linked_to) == (W_MIAOLI, open_id)
    codes = [r.code for r in status.reasons or []]
    assert "DIRECT_OPEN_CASE" in codes and "DIRECT_RECENT_CLOSED_REFERRAL" not in codes


async def test_reassigned_first_then_the_report_links_to_the_new_unit(engine, handle) -> None:
    old_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(reassign("r-1", old_id, W_TOUFEN))
    current_id = await referral_of(engine, "r-1")
    await handle(screened("r-2", minutes=1))
    _, [assigned] = await routed(engine, "r-2")
    assert (assigned.unit, assigned.linked_to) == (W_TOUFEN, current_id)


async def test_report_first_then_the_reassignment_the_linked_referral_follows(engine, handle) -> None:
    old_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(screened("r-2", minutes=1))
    await handle(reassign("r-1", old_id, W_TOUFEN))
    current_id = await referral_of(engine, "r-1")
    status, [first, followed] = await routed(engine, "r-2")
    assert (first.unit, first.linked_to) == (W_MIAOLI, old_id)
    assert (followed.unit, followed.linked_to, followed.actor) == (W_TOUFEN, current_id, "routing")
    assert [(r.unit, r.status, r.linked_to) for r in status.referrals] == [
        (W_MIAOLI, "reassigned", old_id),
        (W_TOUFEN, "assigned", current_id),
    ]
    assert [(d.kind, d.unit) for d in status.destinations] == [("welfare_center", W_TOUFEN)]


async def test_a_linked_referral_its_unit_took_stays_with_it(engine, handle) -> None:
    old_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(screened("r-2", minutes=1))
    linked_id = await referral_of(engine, "r-2")
    await handle(command("AcknowledgeReferral", UNIT, report_id="r-2", referral_id=linked_id, at=T0))
    await handle(reassign("r-1", old_id, W_TOUFEN))
    status, assigned = await routed(engine, "r-2")
    assert len(assigned) == 1  # no second assignment: nothing moved
    assert [(r.unit, r.status) for r in status.referrals] == [(W_MIAOLI, "acknowledged")]


async def test_an_acknowledged_open_case_links_too(engine, handle) -> None:
    open_id = await refer(engine, handle, "r-1", W_MIAOLI)
    await handle(command("AcknowledgeReferral", UNIT, report_id="r-1", referral_id=open_id, at=T0))
    await handle(screened("r-2", minutes=1))
    _, [assigned] = await routed(engine, "r-2")
    assert (assigned.unit, assigned.linked_to) == (W_MIAOLI, open_id)


# -- the real race, on PostgreSQL ----------------------------------------------------------


@pytest.fixture
async def pg_engine() -> AsyncIterator[tuple[AsyncEngine, str]]:
    if not ADMIN_URL.startswith("postgres"):
        pytest.skip("set SAFETYNET_DATABASE_URL to PostgreSQL to run")
    name = "sn_routing_link_" + secrets.token_hex(4)
    admin = await asyncpg.connect("postgresql://" + ADMIN_URL.split("://", 1)[1])
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(ADMIN_URL.rsplit("/", 1)[0] + "/" + name, pool_size=6)
    try:
        await upgrade(engine, schema="routing", script_location=MIGRATIONS)
        yield engine, name
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


class HeldAtCommit(RoutingUnitOfWork):
    """A unit of work that does its work, then waits to be released before it commits:
    its row locks stay held meanwhile."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.ready, self.release = asyncio.Event(), asyncio.Event()

    async def commit(self) -> None:
        self.ready.set()
        await self.release.wait()
        await super().commit()


async def eventually(condition: Callable[[], Any], what: str, deadline: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not await condition():
        assert loop.time() < end, f"timed out waiting until {what}"
        await asyncio.sleep(0.02)


async def someone_waits_on_a_lock(engine: AsyncEngine, database: str) -> bool:
    async with engine.connect() as conn:
        waiting = await conn.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
            {"db": database},
        )
    return bool(waiting)


@pytest.mark.parametrize("first", ["reassignment", "report"])
async def test_a_report_routed_while_its_case_is_reassigned(pg_engine, first: str) -> None:
    engine, database = pg_engine

    async def handle(envelope: Envelope, uow: RoutingUnitOfWork | None = None) -> None:
        uow = uow or RoutingUnitOfWork(engine)
        if envelope.type == "ReportScreened":
            await handlers.open_case(
                event_id=envelope.event_id,
                report=to_screened_report(envelope.payload_as(ReportScreened)),
                at=T0 + timedelta(minutes=2),
                uow=uow,
            )
        else:
            await handlers.apply_command(
                event_id=envelope.event_id,
                command=to_command(envelope),
                at=envelope.occurred_at,
                uow=uow,
                units=DIRECTORY,
            )

    old_id = await refer(engine, handle, "r-1", W_MIAOLI)
    moving, report = reassign("r-1", old_id, W_TOUFEN), screened("r-2", minutes=1)
    held_first = HeldAtCommit(engine)
    one, other = (moving, report) if first == "reassignment" else (report, moving)

    holder = asyncio.create_task(handle(one, held_first))
    await asyncio.wait_for(held_first.ready.wait(), 30)  # done its work, holding its locks
    waiter = asyncio.create_task(handle(other))
    await eventually(lambda: someone_waits_on_a_lock(engine, database), "the second waits for the first's lock")
    assert not waiter.done()
    held_first.release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), 30)

    # Either way the new report's live referral is with the unit holding the case now,
    # linked to the referral it holds: the report waited for the reassignment, or the
    # reassignment waited for the report and then moved its linked referral along.
    status, _ = await routed(engine, "r-2")
    current_id = await referral_of(engine, "r-1")
    assert current_id != old_id
    [live] = [r for r in status.referrals if r.status != "reassigned"]
    assert (live.unit, live.linked_to) == (W_TOUFEN, current_id)
