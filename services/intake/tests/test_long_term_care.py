"""Long-term care households (長期關懷戶, issue 14) in intake: the API and the unit's console
check the review date (a 422 naming `review_on`) and who may (a welfare center's own
referral: else 403), send PlaceInLongTermCare to routing and audit it; the projection keeps
the review date and the household's time in long-term care; the inbox lists the unit's
households with overdue reviews flagged."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from safetynet.contracts.commands import PlaceInLongTermCare
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.projections import EVENT_HANDLERS
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.policy.long_term_care import latest_review_on, today_at

from .test_console_units import hidden, posted, refer, referral, sign_in
from .test_outcome_actions import _commands

CENTER = "苗栗縣/welfare_center/頭份區"
PROTECTION = "苗栗縣/protection"


def today() -> date:
    return today_at(datetime.now(UTC))


@pytest.fixture
async def center(mint_key: Any) -> Any:
    return await mint_key(role="unit", name="頭份社福中心", county="苗栗縣", unit=CENTER)


async def test_the_api_sends_the_review_date_and_audits_it(client, keys, report, engine, center) -> None:
    [ref] = await refer(engine, await posted(client, keys, report), referral(CENTER, "acknowledged"))
    review_on = today() + timedelta(days=180)
    body = {"review_on": review_on.isoformat(), "note": "  獨居長者，每季訪視  "}
    answer = await client.post(f"/v1/referrals/{ref}/long-term-care", json=body, headers=center.headers)
    assert answer.status_code == 202, answer.text
    [sent] = await _commands(engine)
    command = sent.payload_as(PlaceInLongTermCare)
    assert (sent.type, command.referral_id, command.review_on, command.note) == (
        "PlaceInLongTermCare",
        ref,
        review_on,
        "獨居長者，每季訪視",
    )
    async with engine.connect() as conn:
        [record] = (
            await conn.execute(select(orm.audit_records).where(orm.audit_records.c.action == "PlaceInLongTermCare"))
        ).all()
    # The date is on the trail (each renewal shows); the note (it can name people) is not.
    assert record.referral_id == ref and record.detail["review_on"] == review_on.isoformat()
    assert "獨居" not in str(record.detail)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"review_on": "next spring"},
        {"review_on": "2026-02-30"},
        {"review_on": None},
    ],
)
async def test_a_missing_or_malformed_date_is_a_422_naming_it(client, keys, report, engine, center, body) -> None:
    [ref] = await refer(engine, await posted(client, keys, report), referral(CENTER, "acknowledged"))
    answer = await client.post(f"/v1/referrals/{ref}/long-term-care", json=body, headers=center.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "review_on"]
    assert await _commands(engine) == []


async def test_a_date_in_the_past_or_beyond_twelve_months_is_a_422_naming_it(
    client, keys, report, engine, center
) -> None:
    [ref] = await refer(engine, await posted(client, keys, report), referral(CENTER, "acknowledged"))
    for bad, words in (
        (today() - timedelta(days=1), "must not be in the past"),
        (latest_review_on(today()) + timedelta(days=1), "at most 12 months ahead"),
    ):
        answer = await client.post(
            f"/v1/referrals/{ref}/long-term-care", json={"review_on": bad.isoformat()}, headers=center.headers
        )
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["detail"]
        assert problem["loc"] == ["body", "review_on"] and words in problem["msg"]
    assert await _commands(engine) == []
    # The edges are fine: today, and twelve months ahead to the day.
    for good in (today(), latest_review_on(today())):
        answer = await client.post(
            f"/v1/referrals/{ref}/long-term-care", json={"review_on": good.isoformat()}, headers=center.headers
        )
        assert answer.status_code == 202, answer.text


async def test_a_unit_of_another_kind_or_a_dispatcher_gets_403_and_a_new_referral_409(
    client, keys, report, engine, center, mint_key
) -> None:
    protection = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    report_id = await posted(client, keys, report)
    [theirs, new] = await refer(
        engine, report_id, referral(PROTECTION, "acknowledged"), referral(CENTER.replace("頭份區", "竹南區"))
    )
    body = {"review_on": (today() + timedelta(days=30)).isoformat()}
    refused = await client.post(f"/v1/referrals/{theirs}/long-term-care", json=body, headers=protection.headers)
    assert refused.status_code == 403 and "welfare center" in refused.json()["detail"]
    dispatcher = await client.post(
        f"/v1/referrals/{theirs}/long-term-care", json=body, headers=keys.dispatcher_miaoli.headers
    )
    assert dispatcher.status_code == 403
    chunan_center = await mint_key(
        role="unit", name="竹南社福中心", county="苗栗縣", unit=CENTER.replace("頭份區", "竹南區")
    )
    not_yet = await client.post(f"/v1/referrals/{new}/long-term-care", json=body, headers=chunan_center.headers)
    assert not_yet.status_code == 409 and "assigned" in not_yet.json()["detail"]
    other_unit = await client.post(f"/v1/referrals/{new}/long-term-care", json=body, headers=center.headers)
    assert other_unit.status_code == 404  # not its referral: as if there were none
    assert await _commands(engine) == []


# -- the projection ---------------------------------------------------------------------------


def _referral_event(type_: str, report_id: str, referral_id: str, at: datetime, **extra: Any) -> Envelope:
    payload = {
        "report_id": report_id,
        "referral_id": referral_id,
        "county": "苗栗縣",
        "kind": "welfare_center",
        "unit": CENTER,
        "status": {"ReferralInLongTermCare": "long_term_care", "ReferralClosed": "closed"}[type_],
        "urgent": False,
        "at": at.isoformat(),
        "actor": "unit:頭份社福中心",
        **extra,
    }
    return Envelope(type=type_, report_id=report_id, producer="routing", payload=payload)


async def test_the_projection_keeps_each_households_time_in_long_term_care(client, keys, report, engine) -> None:
    report_id = await posted(client, keys, report)
    ref = str(uuid.uuid4())
    t0 = datetime(2026, 12, 1, 2, tzinfo=UTC)
    handler = EVENT_HANDLERS["ReferralInLongTermCare"]
    await handler(
        _referral_event("ReferralInLongTermCare", report_id, ref, t0, review_on="2027-03-01"), IntakeUnitOfWork(engine)
    )
    renewal = _referral_event("ReferralInLongTermCare", report_id, ref, t0 + timedelta(days=80), review_on="2027-09-01")
    await handler(renewal, IntakeUnitOfWork(engine))
    await EVENT_HANDLERS["ReferralClosed"](
        _referral_event("ReferralClosed", report_id, ref, t0 + timedelta(days=200)), IntakeUnitOfWork(engine)
    )
    async with engine.connect() as conn:
        [row] = (await conn.execute(select(orm.long_term_care))).all()
        timeline = [
            r.event
            for r in await conn.execute(select(orm.timeline.c.event).where(orm.timeline.c.report_id == report_id))
        ]
    assert (row.referral_id, row.report_id, row.since, row.until) == (ref, report_id, t0, t0 + timedelta(days=200))
    assert timeline.count("referral_long_term_care") == 2


# -- the unit's console -----------------------------------------------------------------------


async def test_the_inbox_lists_the_households_and_flags_an_overdue_review(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any, center: Any
) -> None:
    overdue, later = referral(CENTER, "long_term_care"), referral(CENTER, "long_term_care")
    overdue["review_on"] = (today() - timedelta(days=3)).isoformat()
    later["review_on"] = (today() + timedelta(days=60)).isoformat()
    await refer(engine, await posted(client, keys, report), later)
    await refer(engine, await posted(client, keys, report), overdue)
    await sign_in(client, center.secret)
    inbox = await client.get("/console/inbox")
    assert inbox.status_code == 200
    section = inbox.text[inbox.text.index('id="long-term"') :]
    # The overdue one first, flagged; the other with its date, not flagged.
    assert section.index(overdue["referral_id"]) < section.index(later["referral_id"])
    assert 'id="long-term-overdue">1 筆逾期未追蹤' in section
    assert section.count('data-overdue="true"') == 1 and later["review_on"] in section
    # The report page warns too, and opens the renewal form.
    page = await client.get(f"/console/inbox/reports/{_report_of(inbox.text, overdue['referral_id'])}")
    assert page.status_code == 200 and "逾期，請追蹤或續列" in page.text
    assert f'<details open id="long-term-care-{overdue["referral_id"]}">' in page.text


def _report_of(html: str, referral_id: str) -> str:
    row = html[html.index(f'data-referral-id="{referral_id}"') - 80 :]
    return row[row.index('data-report-id="') + 16 :].split('"', 1)[0]


async def test_the_console_form_checks_the_date_and_sends_the_command(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any, center: Any
) -> None:
    report_id = await posted(client, keys, report)
    [ref] = await refer(engine, report_id, referral(CENTER, "acknowledged"))
    await sign_in(client, center.secret)
    page = await client.get(f"/console/inbox/reports/{report_id}")
    assert f'action="/console/inbox/referrals/{ref}/long-term-care"' in page.text
    token = hidden(page.text, "csrf_token")
    url = f"/console/inbox/referrals/{ref}/long-term-care"

    too_late = (latest_review_on(today()) + timedelta(days=1)).isoformat()
    refused = await client.post(url, data={"csrf_token": token, "review_on": too_late, "note": "每季訪視"})
    assert refused.status_code == 422 and f'id="ltc-review-{ref}-error">追蹤日期須在今天到 12 個月內' in refused.text
    assert "每季訪視</textarea>" in refused.text and await _commands(engine) == []

    review_on = (today() + timedelta(days=90)).isoformat()
    sent = await client.post(url, data={"csrf_token": token, "review_on": review_on, "note": "每季訪視"})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=long_term_care#referrals")
    [command] = await _commands(engine)
    assert command.type == "PlaceInLongTermCare" and command.payload["review_on"] == review_on


async def test_no_form_for_a_protection_referral(client, keys, report, engine, mint_key) -> None:
    protection = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    report_id = await posted(client, keys, report)
    await refer(engine, report_id, referral(PROTECTION, "acknowledged"))
    await sign_in(client, protection.secret)
    page = await client.get(f"/console/inbox/reports/{report_id}")
    assert page.status_code == 200 and "/long-term-care" not in page.text
