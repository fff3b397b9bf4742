"""Destination units in the console (issue 13), over HTTP: a unit key signs in on the same
page and lands on its inbox; the inbox and the report page show the unit's own referrals
only; another unit's referral, or a report never sent to the unit, is a 404; the forms
need the session's CSRF token, check the outcome vocabulary and keep what was typed; and
the actions go through to routing. (tests/browser/test_unit_inbox_flow.py drives the same
pages in chromium.)"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.unit_inbox import unit_changes
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

PROTECTION, MENTAL = "苗栗縣/protection", "苗栗縣/mental_health"
RED = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")  # 苗栗縣, red, assigned to protection


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, secret: str, *, next_path: str = "/console") -> httpx.Response:
    form = await client.get("/console/sign-in", params={"next": next_path})
    return await client.post(
        "/console/sign-in",
        data={"key": secret, "signin_token": hidden(form.text, "signin_token"), "next": hidden(form.text, "next")},
    )


async def posted(client: httpx.AsyncClient, keys: Any, report: Any, **overrides: Any) -> str:
    response = await client.post("/v1/reports", json=report(**overrides), headers=keys.police.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


def referral(unit: str, status: str = "assigned", *, urgent: bool = False, age: timedelta = timedelta(0)) -> Any:
    at = (datetime.now(UTC) - age).isoformat()
    return {
        "referral_id": str(uuid.uuid4()),
        "kind": unit.split("/")[1],
        "unit": unit,
        "status": status,
        "urgent": urgent,
        "assigned_at": at,
        "updated_at": at,
        "reason": None,
        "outcome": "opened" if status == "closed" else None,
    }


async def refer(engine: Any, report_id: str, *referrals: Any, risk: str = "yellow", due_in: float = 20) -> list[str]:
    """Give a report these referrals, a light and an SLA deadline, as routing and
    screening would have; return the referral ids."""
    due = (datetime.now(UTC) + timedelta(hours=due_in)).isoformat()
    open_ = any(r["status"] in ("assigned", "acknowledged") for r in referrals)
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.report_views)
            .where(orm.report_views.c.report_id == report_id)
            .values(
                status="assigned" if open_ else "closed",
                risk_level=risk,
                routing_seq=1,
                referrals=list(referrals),
                destinations=[{"kind": r["kind"], "unit": r["unit"]} for r in referrals],
                sla={"due_at": due, "state": "open", "closed_at": None},
            )
        )
        for r in referrals:
            await conn.execute(
                orm.referral_index.insert().values(referral_id=r["referral_id"], report_id=report_id, unit=r["unit"])
            )
    return [r["referral_id"] for r in referrals]


async def audit_actions(engine: Any) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(orm.audit_records).order_by(orm.audit_records.c.seq))
        return [(r.action, r.endpoint) for r in rows]


# -- sign-in ------------------------------------------------------------------------------------


async def test_a_unit_signs_in_on_the_same_page_and_lands_on_its_inbox(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, engine: Any
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)

    signed_in = await sign_in(client, unit.secret)  # asked for the dispatch queue: goes home instead

    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/inbox"
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sn_console_session="))
    assert {"httponly", "samesite=strict"} <= {a.strip().lower() for a in cookie.split(";")[1:]}
    inbox = await client.get("/console/inbox")
    assert inbox.status_code == 200 and "單位收件匣" in inbox.text and "苗栗家防中心" in inbox.text
    assert 'href="/console/ops"' not in inbox.text  # no dispatch tool in its menu
    assert ("console_sign_in", "POST /console/sign-in") in await audit_actions(engine)

    queue = await client.get("/console")  # the dispatch pages are not a unit's
    assert queue.status_code == 403 and 'href="/console/inbox"' in queue.text
    assert (await client.get("/console/events")).status_code == 403

    client.cookies.clear()
    await sign_in(client, keys.dispatcher_miaoli.secret, next_path="/console/inbox")
    assert (await client.get("/console/inbox")).status_code == 403  # and the inbox is not a dispatcher's


async def test_sign_out_ends_a_units_session(client: httpx.AsyncClient, mint_key: Any, engine: Any) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    await sign_in(client, unit.secret)
    token = hidden((await client.get("/console/inbox")).text, "csrf_token")

    out = await client.post("/console/sign-out", data={"csrf_token": token})

    assert out.status_code == 303
    assert (await client.get("/console/inbox")).headers["location"].startswith("/console/sign-in")
    assert ("console_sign_out", "POST /console/sign-out") in await audit_actions(engine)


# -- what a unit sees ---------------------------------------------------------------------------


async def test_the_inbox_lists_only_the_units_referrals_most_urgent_first(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, engine: Any, report: Any
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    later = await posted(client, keys, report)
    sooner = await posted(client, keys, report)
    red = await posted(client, keys, report)
    shared = await posted(client, keys, report)
    others = await posted(client, keys, report)
    taken = await posted(client, keys, report)
    closed = await posted(client, keys, report)
    long_closed = await posted(client, keys, report)
    await refer(engine, later, referral(PROTECTION), due_in=20)
    await refer(engine, sooner, referral(PROTECTION), due_in=2)
    await refer(engine, red, referral(PROTECTION), risk="red", due_in=23)
    [_, sibling] = await refer(engine, shared, referral(PROTECTION, urgent=True), referral(MENTAL), due_in=22)
    await refer(engine, others, referral(MENTAL))
    await refer(engine, taken, referral(PROTECTION, "acknowledged"))
    await refer(engine, closed, referral(PROTECTION, "closed", age=timedelta(days=2)))
    await refer(engine, long_closed, referral(PROTECTION, "closed", age=timedelta(days=45)))

    page = await client.get("/console/inbox", headers=unit.headers)

    assert page.status_code == 200
    new = re.search(r'id="new-table".*?</table>', page.text, re.S)
    assert new is not None
    # red or urgent first (by time left among them), then by time left
    assert re.findall(r'data-report-id="([^"]+)"', new.group()) == [shared, red, sooner, later]
    assert "剩 1 小時" in new.group()  # time left, in words
    sections = {s: re.search(rf'id="{s}-table".*?</table>', page.text, re.S) for s in ("acknowledged", "closed")}
    assert taken in sections["acknowledged"].group()  # type: ignore[union-attr]
    assert closed in sections["closed"].group() and "開案" in sections["closed"].group()  # type: ignore[union-attr]
    assert others not in page.text and sibling not in page.text and long_closed not in page.text
    assert "陳美玲" not in page.text  # no names in the list: they are on the audited report page
    fragment = await client.get("/console/inbox/live", headers=unit.headers)
    assert fragment.status_code == 200 and red in fragment.text and others not in fragment.text


async def test_the_report_page_shows_a_unit_its_own_referral_and_nothing_else(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, engine: Any, report: Any
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    shared = await posted(client, keys, report)
    others = await posted(client, keys, report)
    [own, sibling] = await refer(engine, shared, referral(PROTECTION), referral(MENTAL))
    [other_referral] = await refer(engine, others, referral(MENTAL))

    page = await client.get(f"/console/inbox/reports/{shared}", headers=unit.headers)

    assert page.status_code == 200
    assert "陳美玲" in page.text and "鄰居報案" in page.text  # subjects and narrative, as the API shows a unit
    assert f'action="/console/inbox/referrals/{own}/acknowledge"' in page.text
    assert sibling not in page.text and "心理衛生" not in page.text  # not the other unit's referral
    assert "王小明" not in page.text and "苗栗縣警察局頭份分局" not in page.text  # not the source
    assert 'id="timeline"' not in page.text
    assert ("read_report", "GET /console/inbox/reports/{report_id}") in await audit_actions(engine)

    for path in (
        f"/console/inbox/reports/{others}",  # never sent to this unit
        f"/console/inbox/reports/{others}/live",
        f"/console/inbox/reports/{uuid.uuid4()}",
    ):
        refused = await client.get(path, headers=unit.headers)
        assert refused.status_code == 404 and others not in refused.text, path
        assert "不是派給您的單位" in refused.text
    for referral_id in (sibling, other_referral):  # another unit's referral, even on a shared report
        acted = await client.post(f"/console/inbox/referrals/{referral_id}/acknowledge", headers=unit.headers)
        assert acted.status_code == 404
    dispatcher_view = await client.get(f"/console/inbox/reports/{shared}", headers=keys.dispatcher_miaoli.headers)
    assert dispatcher_view.status_code == 403


async def test_the_units_event_stream_watches_only_its_own_reports(
    client: httpx.AsyncClient, keys: Any, engine: Any, report: Any
) -> None:
    own = await posted(client, keys, report)
    others = await posted(client, keys, report)
    await refer(engine, own, referral(PROTECTION))
    await refer(engine, others, referral(MENTAL))
    async with engine.begin() as conn:
        for report_id in (own, others):
            await conn.execute(
                orm.timeline.insert().values(
                    report_id=report_id, event_id=str(uuid.uuid4()), at=datetime.now(UTC), event="x", actor="t"
                )
            )
        rows = await conn.execute(select(orm.timeline.c.id, orm.timeline.c.report_id))
        by_report = [(r.id, r.report_id) for r in rows]

    seen = await unit_changes(unit=PROTECTION, uow=IntakeUnitOfWork(engine))

    assert seen == {i for i, report_id in by_report if report_id == own} and seen


# -- the forms ----------------------------------------------------------------------------------


async def test_a_units_forms_need_the_sessions_csrf_token(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, engine: Any, report: Any
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    report_id = await posted(client, keys, report)
    [referral_id] = await refer(engine, report_id, referral(PROTECTION))
    await sign_in(client, unit.secret)
    page = await client.get(f"/console/inbox/reports/{report_id}")
    token = hidden(page.text, "csrf_token")
    path = f"/console/inbox/referrals/{referral_id}/acknowledge"

    missing = await client.post(path)
    forged = await client.post(path, data={"csrf_token": token[:-2] + "xx"})
    cross_site = await client.post(path, data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})

    for refused in (missing, forged, cross_site):
        assert refused.status_code == 403 and "表單已失效" in refused.text
    assert [a for a, _ in await audit_actions(engine) if a == "AcknowledgeReferral"] == []
    sent = await client.post(path, data={"csrf_token": token})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/console/inbox/reports/{report_id}?done=acknowledge#referrals"
    assert ("AcknowledgeReferral", "POST /console/inbox/referrals/{referral_id}/acknowledge") in await audit_actions(
        engine
    )


async def test_reject_and_close_show_each_fields_error_and_keep_the_input(
    client: httpx.AsyncClient, keys: Any, mint_key: Any, engine: Any, report: Any
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit=PROTECTION)
    new_report, taken_report = await posted(client, keys, report), await posted(client, keys, report)
    [new] = await refer(engine, new_report, referral(PROTECTION))
    [taken] = await refer(engine, taken_report, referral(PROTECTION, "acknowledged"))
    await sign_in(client, unit.secret)
    token = hidden((await client.get("/console/inbox")).text, "csrf_token")

    async def post(referral_id: str, action: str, **fields: str) -> httpx.Response:
        return await client.post(
            f"/console/inbox/referrals/{referral_id}/{action}", data={"csrf_token": token, **fields}
        )

    no_reason = await post(new, "reject", note="看過了")
    assert no_reason.status_code == 422
    assert f'id="reject-reason-{new}-error">請從清單選擇退回理由' in no_reason.text
    assert f'id="reject-reason-{new}" name="reason" required aria-invalid="true"' in no_reason.text
    assert "看過了</textarea>" in no_reason.text and "<details open>" in no_reason.text

    other_bare = await post(new, "reject", reason="other", note="  ")
    assert other_bare.status_code == 422 and f'id="reject-note-{new}-error">理由為「其他」時' in other_bare.text
    assert '<option value="other" selected>' in other_bare.text

    not_a_reject_reason = await post(new, "reject", reason="declined")  # a close reason only
    assert not_a_reject_reason.status_code == 422 and "請從清單選擇退回理由" in not_a_reject_reason.text

    no_outcome = await post(taken, "close", reason="duplicate", note="與先前通報相同")
    assert no_outcome.status_code == 422 and f'id="close-outcome-{taken}-error">請選擇是否開案' in no_outcome.text
    assert '<option value="duplicate" selected>' in no_outcome.text and "與先前通報相同</textarea>" in no_outcome.text

    no_why = await post(taken, "close", outcome="not_opened")
    assert no_why.status_code == 422 and f'id="close-reason-{taken}-error">未開案時須選擇理由' in no_why.text
    assert f'value="not_opened" id="close-outcome-{taken}-not_opened" checked' in no_why.text

    wrong_list = await post(taken, "close", outcome="not_opened", reason="wrong_district")  # a reject reason only
    assert wrong_list.status_code == 422 and "請從清單選擇結案理由" in wrong_list.text

    too_long = await post(taken, "close", outcome="opened", note="長" * 4001)
    assert too_long.status_code == 422 and "說明最多 4000 字" in too_long.text

    wrong_state = await post(new, "close", outcome="opened")  # not acknowledged yet
    assert wrong_state.status_code == 409 and "派案狀態已經改變" in wrong_state.text
    assert not any(a in ("RejectReferral", "CloseReferral") for a, _ in await audit_actions(engine))


async def test_a_unit_acknowledges_and_closes_through_routing(tmp_path: Any) -> None:
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        unit_headers = await system.key("unit", name="苗栗家防中心", unit=PROTECTION)
        posted = await system.client.post("/v1/reports", json=with_fresh_ids(RED.body), headers=agency)
        report_id = posted.json()["report_id"]
        body = await system.wait_for(report_id, dispatcher, lambda b: b["status"] == "assigned" and b["referrals"])
        referral_id = body["referrals"][0]["referral_id"]
        await sign_in(system.client, unit_headers["Authorization"].removeprefix("Bearer "))
        inbox = await system.client.get("/console/inbox")
        assert f'id="inbox-new-{referral_id}"' in inbox.text
        token = hidden(inbox.text, "csrf_token")

        acked = await system.client.post(
            f"/console/inbox/referrals/{referral_id}/acknowledge", data={"csrf_token": token}
        )
        assert acked.status_code == 303
        await system.wait_for(report_id, dispatcher, lambda b: b["referrals"][0]["status"] == "acknowledged")
        closed = await system.client.post(
            f"/console/inbox/referrals/{referral_id}/close",
            data={"csrf_token": token, "outcome": "opened", "note": "已開案服務"},
        )
        assert closed.status_code == 303

        final = await system.wait_for(report_id, dispatcher, lambda b: b["referrals"][0]["status"] == "closed")
        assert final["referrals"][0]["outcome"] == "opened"
        inbox = await system.client.get("/console/inbox")
        closed_rows = re.search(r'id="closed-table".*?</table>', inbox.text, re.S)
        assert closed_rows and referral_id in closed_rows.group() and 'data-outcome="opened"' in closed_rows.group()
