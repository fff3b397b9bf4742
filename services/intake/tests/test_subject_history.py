"""The subject history (issue 13, part 4): a report's other reports about the same people,
matched by keyed hash within the dispatcher's county, with their referrals and outcomes;
in the API and on the console's report page; every view audited; dispatch staff only."""

import random
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update

from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from tests.support.scenarios import random_national_id

_ids = random.Random(1313)
CHILD, MOTHER, STRANGER = (random_national_id(_ids) for _ in range(3))
MIAOLI, NANTOU = "苗栗縣", "南投縣"


def person(national_id: str | None, role: str = "child", name: str = "王小華") -> dict[str, Any]:
    subject: dict[str, Any] = {"role": role, "name": name, "age": 5}
    if national_id:
        subject["national_id"] = national_id
    return subject


async def posted(post_report: Any, report: Any, subjects: list[dict[str, Any]], **overrides: Any) -> str:
    body = report(subjects=subjects, categories=["child_maltreatment"], **overrides)
    response = await post_report(body)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


async def closed_referral(engine: Any, report_id: str, *, outcome: str, outcome_reason: str | None) -> None:
    """Give a report a referral its unit closed, as routing's snapshot would."""
    now = datetime.now(UTC).isoformat()
    referral = {
        "referral_id": f"ref-{report_id[:8]}",
        "kind": "protection",
        "unit": "苗栗縣/protection",
        "status": "closed",
        "urgent": False,
        "assigned_at": now,
        "updated_at": now,
        "reason": None,
        "outcome": outcome,
        "outcome_reason": outcome_reason,
    }
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.report_views)
            .where(orm.report_views.c.report_id == report_id)
            .values(status="closed", risk_level="orange", routing_seq=1, referrals=[referral])
        )


async def history(client: httpx.AsyncClient, report_id: str, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"/v1/reports/{report_id}/history", headers=headers)


async def test_the_history_lists_exactly_the_same_peoples_reports_in_the_county(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    first = await posted(post_report, report, [person(CHILD)])
    second = await posted(post_report, report, [person(CHILD), person(MOTHER, "adult", "王媽媽")])
    third = await posted(post_report, report, [person(CHILD)])
    mother_only = await posted(post_report, report, [person(MOTHER, "adult", "王媽媽")])
    await posted(post_report, report, [person(STRANGER)])  # someone else
    await posted(post_report, report, [person(None)])  # the same name, no ID: never matched
    await posted(post_report, report, [person(CHILD)], county=NANTOU, township="埔里鎮")  # another county
    fourth = await posted(post_report, report, [person(None, "adult", "鄰居"), person(CHILD)])

    response = await history(client, fourth, keys.dispatcher_miaoli.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["report_id"] for r in body["reports"]] == [third, second, first]  # newest first
    assert body["total"] == 3 and body["county"] == MIAOLI
    assert {r["relation"] for r in body["reports"]} == {"earlier"}
    assert all(r["shared_subjects"] == [1] for r in body["reports"])  # the child, this report's 2nd subject
    assert body["reports"][0]["categories"] == ["child_maltreatment"]
    assert "王小華" not in response.text and CHILD not in response.text  # no personal data, no raw ID

    # From the second report: earlier and later reports of the child, and the mother's own.
    seen_from_second = (await history(client, second, keys.dispatcher_miaoli.headers)).json()["reports"]
    relations = {r["report_id"]: (r["relation"], r["shared_subjects"]) for r in seen_from_second}
    assert relations == {
        first: ("earlier", [0]),
        third: ("later", [0]),
        fourth: ("later", [0]),
        mother_only: ("later", [1]),
    }


async def test_the_history_shows_referrals_with_their_outcomes(
    client: httpx.AsyncClient, engine: Any, keys: Any, post_report: Any, report: Any
) -> None:
    first = await posted(post_report, report, [person(CHILD)])
    await closed_referral(engine, first, outcome="not_opened", outcome_reason="assessed_no_need")
    later = await posted(post_report, report, [person(CHILD)])

    [entry] = (await history(client, later, keys.dispatcher_miaoli.headers)).json()["reports"]

    assert (entry["status"], entry["risk_level"]) == ("closed", "orange")
    [referral] = entry["referrals"]
    assert (referral["unit"], referral["status"], referral["outcome"], referral["outcome_reason"]) == (
        "苗栗縣/protection",
        "closed",
        "not_opened",
        "assessed_no_need",
    )


async def test_each_view_is_audited_with_the_reports_it_showed(
    client: httpx.AsyncClient, engine: Any, keys: Any, post_report: Any, report: Any
) -> None:
    first = await posted(post_report, report, [person(CHILD)])
    later = await posted(post_report, report, [person(CHILD)])

    for _ in range(2):
        assert (await history(client, later, keys.dispatcher_miaoli.headers)).status_code == 200

    async with IntakeUnitOfWork(engine) as uow:
        records = await uow.audit.query(county=MIAOLI, report_id=later)
    views = [r.entry for r in records if r.entry.action == "read_subject_history"]
    assert len(views) == 2
    assert views[0].actor.key_id == keys.dispatcher_miaoli.principal.key_id
    assert views[0].detail == {"reports": [first], "total": 1}
    assert views[0].endpoint == "GET /v1/reports/{report_id}/history"


async def test_only_dispatch_staff_of_the_county_see_a_history(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, post_report: Any, report: Any
) -> None:
    rid = await posted(post_report, report, [person(CHILD)])
    unit = await mint_key(role="unit", name="苗栗家防", county=MIAOLI, unit="苗栗縣/protection")
    admin = await mint_key(role="admin", name="苗栗稽核", county=MIAOLI)
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county=MIAOLI)

    for key in (keys.police, unit, admin):
        assert (await history(client, rid, key.headers)).status_code == 403
    assert (await history(client, rid, keys.dispatcher_nantou.headers)).status_code == 404
    assert (await history(client, "no-such-report", keys.dispatcher_miaoli.headers)).status_code == 404
    assert (await history(client, rid, {})).status_code == 401
    assert (await history(client, rid, supervisor.headers)).status_code == 200


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, secret: str) -> None:
    form = await client.get("/console/sign-in")
    signed_in = await client.post(
        "/console/sign-in", data={"key": secret, "signin_token": _hidden(form.text, "signin_token"), "next": "/console"}
    )
    assert signed_in.status_code == 303, signed_in.text


async def test_a_fourth_reports_page_lists_the_first_three(
    client: httpx.AsyncClient, engine: Any, keys: Any, post_report: Any, report: Any
) -> None:
    earlier = [await posted(post_report, report, [person(CHILD)]) for _ in range(3)]
    await closed_referral(engine, earlier[0], outcome="opened", outcome_reason=None)
    elsewhere = await posted(post_report, report, [person(CHILD)], county=NANTOU, township="埔里鎮")
    fourth = await posted(post_report, report, [person(CHILD)])
    await sign_in(client, keys.dispatcher_miaoli.secret)

    page = await client.get(f"/console/reports/{fourth}")

    assert page.status_code == 200
    section = page.text[page.text.index('id="history"') :]
    listed = re.findall(r'<tr data-report-id="([^"]+)" data-relation="earlier">', section)
    assert listed == earlier[::-1] and elsewhere not in page.text
    assert "共 3 筆" in section and "開案" in section and "苗栗縣家庭暴力及性侵害防治中心" in section
    assert "兒童 王小華" in section  # which of this report's people each one names
    # The live fragment leaves the history out: refreshing it is not another audited view.
    assert 'id="history"' not in (await client.get(f"/console/reports/{fourth}/live")).text
    async with IntakeUnitOfWork(engine) as uow:
        records = await uow.audit.query(county=MIAOLI, report_id=fourth)
    assert [r.entry.action for r in records].count("read_subject_history") == 1
