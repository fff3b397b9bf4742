"""Issue 13: a unit closes a referral with an outcome (opened or not, a reason code, a
note) and rejects one with a reason code. The API checks the vocabulary
(safetynet.policy.outcomes): a wrong value is a 422 whose `loc` names the field, and
nothing is sent; a right one is sent to routing as the command's fields."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from safetynet.contracts import topics
from safetynet.contracts.commands import CloseReferral, RejectReferral
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import orm
from safetynet.intake.domain import actions
from safetynet.intake.service_layer.actions import request_action
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

UNIT = "苗栗縣/protection"


async def _referral(client: httpx.AsyncClient, keys: Any, report: Any, engine: Any, status: str) -> str:
    """A report of the police, referred to UNIT, its referral in `status` as intake last heard."""
    posted = await client.post("/v1/reports", json=report(), headers=keys.police.headers)
    assert posted.status_code == 202, posted.text
    report_id = posted.json()["report_id"]
    referral_id = f"{report_id[:8]}-ref"
    now = datetime.now(UTC).isoformat()
    referral = {
        "referral_id": referral_id,
        "kind": "protection",
        "unit": UNIT,
        "status": status,
        "urgent": False,
        "assigned_at": now,
        "updated_at": now,
        "reason": None,
        "outcome": None,
    }
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.report_views)
            .where(orm.report_views.c.report_id == report_id)
            .values(
                status="assigned",
                routing_seq=1,
                referrals=[referral],
                destinations=[{"kind": "protection", "unit": UNIT}],
            )
        )
        await conn.execute(orm.referral_index.insert().values(referral_id=referral_id, report_id=report_id, unit=UNIT))
    return referral_id


async def _commands(engine: Any) -> list[Envelope]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(orm.outbox.c.value).where(orm.outbox.c.topic == topics.COMMANDS).order_by(orm.outbox.c.id)
        )
        return [Envelope.from_bytes(r.value) for r in rows]


@pytest.fixture
async def unit(mint_key: Any) -> Any:
    return await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=UNIT)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"outcome": "opened"}, {"outcome": "opened"}),
        ({"outcome": "opened", "note": "  每週家訪  "}, {"outcome": "opened", "note": "每週家訪"}),
        (
            {"outcome": "not_opened", "reason": "declined", "note": " "},  # a blank note is no note
            {"outcome": "not_opened", "reason": "declined"},
        ),
        (
            {"outcome": "not_opened", "reason": "other", "note": "已轉介長照"},
            {"outcome": "not_opened", "reason": "other", "note": "已轉介長照"},
        ),
    ],
)
async def test_close_sends_the_outcome_its_reason_and_note(client, keys, report, engine, unit, body, fields) -> None:
    referral_id = await _referral(client, keys, report, engine, "acknowledged")
    answer = await client.post(f"/v1/referrals/{referral_id}/close", json=body, headers=unit.headers)
    assert answer.status_code == 202, answer.text
    [sent] = await _commands(engine)
    assert sent.type == "CloseReferral"
    payload = sent.payload_as(CloseReferral)
    assert {k: v for k, v in sent.payload.items() if k in ("outcome", "reason", "note")} == fields
    assert payload.referral_id == referral_id


async def test_reject_sends_the_reason_code_and_note(client, keys, report, engine, unit) -> None:
    referral_id = await _referral(client, keys, report, engine, "assigned")
    body = {"reason": "wrong_district", "note": "案家已遷居南投縣"}
    answer = await client.post(f"/v1/referrals/{referral_id}/reject", json=body, headers=unit.headers)
    assert answer.status_code == 202, answer.text
    [sent] = await _commands(engine)
    payload = sent.payload_as(RejectReferral)
    assert (sent.type, payload.reason, payload.note) == ("RejectReferral", "wrong_district", "案家已遷居南投縣")


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("close", {"outcome": "結案"}, "outcome"),  # free text is no longer an outcome
        ("close", {"outcome": "OPENED"}, "outcome"),
        ("close", {"reason": "declined"}, "outcome"),  # missing
        ("close", {"outcome": "not_opened"}, "reason"),  # not opened: say why
        ("close", {"outcome": "not_opened", "reason": "wrong_district"}, "reason"),  # a rejection's reason
        ("close", {"outcome": "opened", "reason": "nonsense"}, "reason"),
        ("close", {"outcome": "not_opened", "reason": "other"}, "note"),  # other: explain
        ("close", {"outcome": "not_opened", "reason": "other", "note": "   "}, "note"),
        ("close", {"outcome": "opened", "note": "x" * 4001}, "note"),
        ("close", {"outcome": "opened", "note": 7}, "note"),
        ("reject", {"reason": "非本轄"}, "reason"),
        ("reject", {"reason": "assessed_no_need"}, "reason"),  # a closing reason
        ("reject", {}, "reason"),
        ("reject", {"reason": "other"}, "note"),
        ("reject", {"reason": "duplicate", "note": "a\x00b"}, "note"),
    ],
)
async def test_a_wrong_value_is_a_422_naming_the_field_and_sends_nothing(
    client, keys, report, engine, unit, action, body, field
) -> None:
    referral_id = await _referral(client, keys, report, engine, "acknowledged" if action == "close" else "assigned")
    answer = await client.post(f"/v1/referrals/{referral_id}/{action}", json=body, headers=unit.headers)
    assert answer.status_code == 422, answer.text
    assert [p["loc"] for p in answer.json()["detail"]] == [["body", field]]
    assert await _commands(engine) == []


async def test_the_service_layer_takes_the_answer_as_keywords(client, keys, report, engine, unit) -> None:
    # The console's forms call request_action with outcome=, reason= and note= directly.
    referral_id = await _referral(client, keys, report, engine, "acknowledged")
    with pytest.raises(actions.Invalid) as refused:
        await request_action(
            principal=unit.principal,
            command_type="CloseReferral",
            uow=IntakeUnitOfWork(engine),
            referral_id=referral_id,
            outcome="not_opened",
            reason=None,
            note=None,
        )
    assert refused.value.field == "reason"
    await request_action(
        principal=unit.principal,
        command_type="CloseReferral",
        uow=IntakeUnitOfWork(engine),
        referral_id=referral_id,
        outcome="not_opened",
        reason="unreachable",
        note="三次家訪未遇",
    )
    [sent] = await _commands(engine)
    payload = sent.payload_as(CloseReferral)
    assert (payload.outcome, payload.reason, payload.note) == ("not_opened", "unreachable", "三次家訪未遇")


async def test_the_report_shows_the_outcome_its_reason_and_note(client, keys, report, engine, unit) -> None:
    referral_id = await _referral(client, keys, report, engine, "acknowledged")
    report_id = await _report_of(engine, referral_id)
    async with engine.begin() as conn:
        view = (
            await conn.execute(select(orm.report_views.c.referrals).where(orm.report_views.c.report_id == report_id))
        ).scalar_one()
        closed = {
            **view[0],
            "status": "closed",
            "outcome": "not_opened",
            "outcome_reason": "declined",
            "note": "案母婉拒",
        }
        await conn.execute(
            update(orm.report_views).where(orm.report_views.c.report_id == report_id).values(referrals=[closed])
        )
    for key in (keys.dispatcher_miaoli, unit):
        [shown] = (await client.get(f"/v1/reports/{report_id}", headers=key.headers)).json()["referrals"]
        assert (shown["outcome"], shown["outcome_reason"], shown["note"]) == ("not_opened", "declined", "案母婉拒")
    page = await client.get(f"/console/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200
    assert (
        "未開案 / Not opened" in page.text and "案家拒絕服務 / Family declined" in page.text and "案母婉拒" in page.text
    )


async def _report_of(engine: Any, referral_id: str) -> str:
    async with engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    select(orm.referral_index.c.report_id).where(orm.referral_index.c.referral_id == referral_id)
                )
            ).scalar_one()
        )
