"""Routing's real handlers on SQLite: migrations, inbox, outbox and the wiring.

Envelopes go straight into the consumer handlers; what routing announces is read back
from its outbox table, in order.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from safetynet.contracts import topics
from safetynet.contracts.commands import COMMAND_EVENT_TYPES, COMMAND_TYPES
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.events import EVENT_TYPES
from safetynet.platform.messaging.broker import Message
from safetynet.platform.messaging.sqlbus import SqlLogBroker, bus_messages
from safetynet.routing.adapters import orm
from safetynet.routing.bootstrap import MIGRATIONS, bootstrap
from safetynet.routing.service_layer.messagebus import COMMAND_HANDLERS, EVENT_HANDLERS, HANDLERS
from safetynet.routing.settings import RoutingSettings

MIAOLI = "苗栗縣"
PROTECTION = "苗栗縣/protection"
MENTAL = "苗栗縣/mental_health"
W_TOUFEN = "苗栗縣/welfare_center/頭份區"
W_MIAOLI = "苗栗縣/welfare_center/苗栗區"
RECEIVED = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
# Commands are dated by intake's clock, after routing (on the real clock) opened the case.
ACTED = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
DISPATCHER = {"key_id": "key-d1", "role": "dispatcher", "name": "王小明"}
UNIT = {"key_id": "key-u7", "role": "unit", "name": "林社工"}


def screened(
    report_id: str = "r-1",
    *,
    urgent: bool = False,
    direct: bool = False,
    recommended: list[dict[str, Any]] | None = None,
) -> Envelope:
    payload = {
        "report_id": report_id,
        "county": MIAOLI,
        "received_at": RECEIVED.isoformat(),
        "rule_version": "v1.0.0",
        "risk_level": "red" if urgent else "yellow",
        "urgent": urgent,
        "direct_dispatch": direct,
        "needs_review": False,
        "sla_due_at": (RECEIVED + timedelta(hours=24)).isoformat(),
        "reasons": [{"code": "protection_category", "text": "保護類別"}],
        "recommended": recommended
        if recommended is not None
        else [{"kind": "protection", "unit": PROTECTION}, {"kind": "mental_health", "unit": MENTAL}],
        "subject_hashes": ["hash-a", "hash-b"],
    }
    return Envelope(type="ReportScreened", report_id=report_id, producer="screening", payload=payload)


def command(
    type_: str,
    actor: dict[str, str] = DISPATCHER,
    *,
    report_id: str = "r-1",
    county: str = MIAOLI,
    minutes: int = 10,
    **fields: Any,
) -> Envelope:
    payload = {"report_id": report_id, "county": county, "actor": actor, **fields}
    return Envelope(
        type=type_,
        report_id=report_id,
        producer="intake",
        payload=payload,
        occurred_at=ACTED + timedelta(minutes=minutes),
    )


async def outbox(engine) -> list[Envelope]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(orm.outbox.c.topic, orm.outbox.c.value).order_by(orm.outbox.c.id))
        result = []
        for row in rows:
            assert row.topic == topics.REFERRALS
            result.append(Envelope.from_bytes(row.value))
        return result


async def rows(engine, table) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(select(table)))


def validated(envelope: Envelope) -> Any:
    """The payload, checked against the published contract."""
    model = {**EVENT_TYPES, **COMMAND_EVENT_TYPES}[envelope.type]
    return envelope.payload_as(model)


async def test_an_urgent_report_is_referred_at_once_and_announced(engine, handle) -> None:
    await handle(screened(urgent=True))

    sent = await outbox(engine)
    assert [e.type for e in sent] == ["ReferralAssigned", "ReferralAssigned", "ReportStatusChanged"]
    assert {e.producer for e in sent} == {"routing"} and {e.report_id for e in sent} == {"r-1"}
    first, second, status = (validated(e) for e in sent)
    assert (first.kind, first.unit, first.status, first.urgent, first.actor, first.detail) == (
        "protection",
        PROTECTION,
        "assigned",
        True,
        "routing",
        "urgent",
    )
    assert first.subject_hashes == ["hash-a", "hash-b"] and second.unit == MENTAL
    assert first.referral_id != second.referral_id
    assert (status.seq, status.status, status.actor) == (1, "assigned", "routing")
    assert [r.referral_id for r in status.referrals] == [first.referral_id, second.referral_id]
    assert [d.unit for d in status.recommended] == [d.unit for d in status.destinations] == [PROTECTION, MENTAL]

    [case] = await rows(engine, orm.cases)
    assert (case.status, case.urgent, case.seq, case.risk_level, case.received_at) == (
        "assigned",
        True,
        1,
        "red",
        RECEIVED,
    )
    assert case.subject_hashes == ["hash-a", "hash-b"]
    assert sorted((r.unit, r.status, r.county) for r in await rows(engine, orm.referrals)) == [
        (MENTAL, "assigned", MIAOLI),
        (PROTECTION, "assigned", MIAOLI),
    ]


async def test_a_command_dated_before_the_case_changed_is_dated_with_the_change(engine, handle) -> None:
    await handle(screened())
    [case] = await rows(engine, orm.cases)
    early = command("ConfirmDestinations")
    early = early.model_copy(update={"occurred_at": case.updated_at - timedelta(seconds=3)})
    await handle(early)
    status = validated((await outbox(engine))[-1])
    assert status.at == case.updated_at and status.status == "assigned"


async def test_the_same_decision_twice_opens_one_case_and_announces_once(engine, handle) -> None:
    event = screened(urgent=True)
    await handle(event)
    await handle(event)  # a redelivery
    await handle(screened(urgent=True))  # another decision for the same report
    assert len(await rows(engine, orm.cases)) == 1
    assert len(await rows(engine, orm.referrals)) == 2
    assert [e.type for e in await outbox(engine)] == ["ReferralAssigned", "ReferralAssigned", "ReportStatusChanged"]
    assert len(await rows(engine, orm.inbox)) == 2


async def test_a_dispatcher_confirms_a_waiting_report(engine, handle) -> None:
    await handle(screened())
    [waiting] = await outbox(engine)
    assert (waiting.type, waiting.payload["status"], waiting.payload["referrals"]) == (
        "ReportStatusChanged",
        "awaiting_review",
        [],
    )

    confirm = command("ConfirmDestinations")
    await handle(confirm)
    await handle(confirm)  # redelivered: applied once

    sent = (await outbox(engine))[1:]
    assert [e.type for e in sent] == ["ReferralAssigned", "ReferralAssigned", "ReportStatusChanged"]
    assigned = validated(sent[0])
    assert (assigned.actor, assigned.detail, assigned.at, assigned.urgent) == (
        "dispatcher:王小明",
        "confirmed",
        confirm.occurred_at,
        False,
    )
    status = validated(sent[2])
    assert (status.seq, status.status, status.actor) == (2, "assigned", "dispatcher:王小明")

    actions = await rows(engine, orm.actions)
    assert [(a.action, a.actor) for a in actions] == [
        ("CaseOpened", "routing"),
        ("DestinationsConfirmed", "dispatcher:王小明"),
        ("ReferralAssigned", "dispatcher:王小明"),
        ("ReferralAssigned", "dispatcher:王小明"),
    ]
    assert actions[1].at == confirm.occurred_at and actions[1].detail["key_id"] == "key-d1"


async def test_a_change_keeps_both_decisions_and_the_reason(engine, handle) -> None:
    # An unmapped township: screening found no welfare unit.
    await handle(screened(recommended=[{"kind": "welfare_center", "unit": None}]))
    await handle(
        command(
            "ChangeDestinations",
            reason="依戶籍地派頭份區",
            destinations=[{"kind": "welfare_center", "unit": W_TOUFEN}, {"kind": "mental_health", "unit": MENTAL}],
        )
    )

    status = validated((await outbox(engine))[-1])
    assert status.status == "assigned" and status.detail == "依戶籍地派頭份區"
    assert [(d.kind, d.unit) for d in status.recommended] == [("welfare_center", None)]
    assert [(d.kind, d.unit) for d in status.destinations] == [("welfare_center", W_TOUFEN), ("mental_health", MENTAL)]
    [case] = await rows(engine, orm.cases)
    assert case.recommended == [{"kind": "welfare_center", "unit": None}]
    assert case.destinations == [
        {"kind": "welfare_center", "unit": W_TOUFEN},
        {"kind": "mental_health", "unit": MENTAL},
    ]
    change = next(a for a in await rows(engine, orm.actions) if a.action == "DestinationsChanged")
    assert change.detail["detail"] == "依戶籍地派頭份區"
    assert change.detail["recommended"] == [{"kind": "welfare_center", "unit": None}]


async def test_the_referral_lifecycle_through_the_database(engine, handle) -> None:
    await handle(
        screened(
            urgent=True,
            recommended=[{"kind": "protection", "unit": PROTECTION}, {"kind": "welfare_center", "unit": W_TOUFEN}],
        )
    )
    ids = {e.payload["unit"]: e.payload["referral_id"] for e in await outbox(engine) if e.type == "ReferralAssigned"}
    p, w = ids[PROTECTION], ids[W_TOUFEN]
    [case] = await rows(engine, orm.cases)
    opened_at = case.updated_at  # routing's own clock: it referred the report itself
    assert RECEIVED < opened_at < ACTED

    async def status_after(envelope: Envelope) -> tuple[str, int]:
        await handle(envelope)
        last = validated((await outbox(engine))[-1])
        return last.status, last.seq

    assert await status_after(command("AcknowledgeReferral", UNIT, referral_id=p, minutes=20)) == ("assigned", 2)
    assert await status_after(
        command("RejectReferral", UNIT, referral_id=w, reason="wrong_district", note="已遷居苗栗", minutes=30)
    ) == (
        "awaiting_review",
        3,
    )
    assert await status_after(
        command("ReassignReferral", referral_id=w, unit=W_MIAOLI, reason="已遷居", minutes=40)
    ) == ("assigned", 4)
    new = [e for e in await outbox(engine) if e.type == "ReferralAssigned"][-1].payload["referral_id"]
    assert await status_after(command("AcknowledgeReferral", UNIT, referral_id=new, minutes=50)) == ("acknowledged", 5)
    assert await status_after(command("CloseReferral", UNIT, referral_id=p, outcome="opened", minutes=60)) == (
        "acknowledged",
        6,
    )
    assert await status_after(
        command("CloseReferral", UNIT, referral_id=new, outcome="not_opened", reason="referred_elsewhere", minutes=70)
    ) == ("closed", 7)

    referrals = {r.referral_id: r for r in await rows(engine, orm.referrals)}
    assert {k: v.status for k, v in referrals.items()} == {p: "closed", w: "reassigned", new: "closed"}
    assert (referrals[w].reason, referrals[new].unit, referrals[new].outcome) == ("已遷居", W_MIAOLI, "not_opened")
    # The codes are stored, and a rejection keeps its code after the reassignment.
    assert (referrals[new].outcome_reason, referrals[p].outcome, referrals[p].outcome_reason) == (
        "referred_elsewhere",
        "opened",
        None,
    )
    assert (referrals[w].outcome_reason, referrals[w].note) == ("wrong_district", "已遷居苗栗")
    assert (referrals[p].assigned_at, referrals[p].updated_at) == (opened_at, ACTED + timedelta(minutes=60))
    assert (referrals[new].assigned_at, referrals[w].updated_at) == ((ACTED + timedelta(minutes=40),) * 2)
    types = [e.type for e in await outbox(engine)]
    assert types.count("ReportStatusChanged") == 7
    assert [t for t in types if t != "ReportStatusChanged"] == [
        "ReferralAssigned",
        "ReferralAssigned",
        "ReferralAcknowledged",
        "ReferralRejected",
        "ReferralReassigned",
        "ReferralAssigned",
        "ReferralAcknowledged",
        "ReferralClosed",
        "ReferralClosed",
    ]
    rejected = validated(next(e for e in await outbox(engine) if e.type == "ReferralRejected"))
    assert (rejected.status, rejected.detail, rejected.actor) == (
        "rejected",
        "wrong_district — 已遷居苗栗",
        "unit:林社工",
    )
    assert (rejected.outcome, rejected.outcome_reason, rejected.note) == (None, "wrong_district", "已遷居苗栗")
    closed = validated([e for e in await outbox(engine) if e.type == "ReferralClosed"][-1])
    assert (closed.outcome, closed.outcome_reason, closed.note) == ("not_opened", "referred_elsewhere", None)
    snapshot = validated((await outbox(engine))[-1])
    assert {r.referral_id: (r.outcome, r.outcome_reason) for r in snapshot.referrals} == {
        p: ("opened", None),
        w: (None, "wrong_district"),
        new: ("not_opened", "referred_elsewhere"),
    }


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        (command("AcknowledgeReferral", UNIT, referral_id="nope"), "has no referral nope"),
        (command("AcknowledgeReferral", UNIT, report_id="r-404", referral_id="x"), "no case for report r-404"),
        (command("ConfirmDestinations", county="南投縣"), "not in 南投縣"),
        (
            command("ReassignReferral", referral_id="FIRST", unit="南投縣/protection", reason="r"),
            "not a protection unit of 苗栗縣",
        ),
        (
            command("ChangeDestinations", destinations=[{"kind": "protection", "unit": "苗栗縣/nowhere"}], reason="r"),
            "every destination already has a referral",
        ),
        (command("CloseReferral", UNIT, referral_id="FIRST", outcome="opened"), "is assigned, not acknowledged"),
        # A code outside the vocabulary is refused like any other invalid command.
        (command("RejectReferral", UNIT, referral_id="FIRST", reason="非本轄"), "reason is not a reason for rejecting"),
        (
            command("RejectReferral", UNIT, referral_id="FIRST", reason="other", note=" "),
            "note is required when the reason is other",
        ),
    ],
)
async def test_an_invalid_command_is_answered_and_changes_nothing(engine, handle, envelope, reason) -> None:
    await handle(screened(urgent=True))
    first = (await outbox(engine))[0].payload["referral_id"]
    if envelope.payload.get("referral_id") == "FIRST":
        envelope = envelope.model_copy(update={"payload": {**envelope.payload, "referral_id": first}})
    before = (await rows(engine, orm.cases), await rows(engine, orm.referrals), await rows(engine, orm.actions))

    await handle(envelope)
    await handle(envelope)  # a redelivery is not answered twice

    sent = await outbox(engine)
    assert len(sent) == 4 and sent[-1].type == "CommandRejected"
    rejected = validated(sent[-1])
    assert reason in rejected.reason
    assert (rejected.command_type, rejected.report_id, rejected.actor.key_id, rejected.at) == (
        envelope.type,
        envelope.payload["report_id"],
        envelope.payload["actor"]["key_id"],
        envelope.occurred_at,
    )
    after = (await rows(engine, orm.cases), await rows(engine, orm.referrals), await rows(engine, orm.actions))
    assert after == before


async def test_a_malformed_command_is_left_to_the_dead_letter_topic(engine, handle) -> None:
    await handle(screened(urgent=True))
    with pytest.raises(ValidationError):
        await handle(command("RejectReferral", UNIT, referral_id="x", reason="   "))  # a blank reason
    with pytest.raises(ValidationError):
        await handle(command("ReassignReferral", referral_id="x", reason="r"))  # no unit
    assert len(await outbox(engine)) == 3


async def test_an_unknown_field_is_ignored_by_the_tolerant_reader(engine, handle) -> None:
    # A newer intake may add an optional field; this routing applies what it knows.
    await handle(screened(urgent=False))
    await handle(command("ConfirmDestinations", added_in_a_later_version=True))
    assert "ReferralAssigned" in [e.type for e in await outbox(engine)]


async def test_bootstrap_wires_the_consumer_and_the_relay(engine) -> None:
    broker = SqlLogBroker(engine, partitions=2)
    await broker.start()
    runtime = bootstrap(settings=RoutingSettings(), engine=engine, broker=broker)
    [loop] = runtime.loops
    assert (runtime.name, runtime.schema, runtime.migrations) == ("routing", "routing", MIGRATIONS)
    assert (loop.group, loop.topics) == ("safetynet-routing", [topics.DECISIONS, topics.COMMANDS])

    event = screened(urgent=True)
    message = Message(topic=topics.DECISIONS, partition=0, offset=0, key="r-1", value=event.to_bytes())
    await loop.process(message, asyncio.Event())
    assert runtime.relay is not None and await runtime.relay.publish_batch() == 3

    async with engine.connect() as conn:
        published = list(
            await conn.execute(
                select(bus_messages.c.topic, bus_messages.c.key, bus_messages.c.value).order_by(bus_messages.c.id)
            )
        )
        dead = await conn.scalar(
            select(func.count()).select_from(bus_messages).where(bus_messages.c.topic.like("%.dlq"))
        )
    assert [(m.topic, m.key) for m in published] == [(topics.REFERRALS, "r-1")] * 3
    assert [json.loads(m.value)["type"] for m in published] == [
        "ReferralAssigned",
        "ReferralAssigned",
        "ReportStatusChanged",
    ]
    assert dead == 0
    assert await runtime.relay.backlog() == 0


def test_every_command_type_has_a_handler() -> None:
    assert set(EVENT_HANDLERS) == {"ReportScreened"} and set(COMMAND_HANDLERS) == set(COMMAND_TYPES)
    assert set(HANDLERS) == {"ReportScreened", *COMMAND_TYPES}
    assert set(COMMAND_TYPES) == {
        "ConfirmDestinations",
        "ChangeDestinations",
        "ReassignReferral",
        "AcknowledgeReferral",
        "RejectReferral",
        "CloseReferral",
        "PlaceInLongTermCare",
    }
