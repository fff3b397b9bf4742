"""The dispatch console at /console over HTTP: sign-in and sessions, CSRF, bearer access
for kiosks, who is refused, the actions as forms, the queue's filters, the security
headers and the event stream. (tests/browser drives the same pages in chromium.)"""

import asyncio
import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from sqlalchemy import update

from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.console.events import changes
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from tests.support.processes import free_port
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

ELDER = next(s for s in SCENARIOS if s.name == "elder_abuse_no_injury")  # 南投縣, yellow, review
RED = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")  # 苗栗縣, red, assigned
CO_CASE = next(s for s in SCENARIOS if s.name == "ipv_with_mental_illness")  # 苗栗縣, orange, review
GREEN = next(s for s in SCENARIOS if s.name == "vulnerable_family_mapped")  # 苗栗縣, green, review
UNMAPPED = next(s for s in SCENARIOS if s.name == "vulnerable_family_unmapped_county")  # 新竹縣, no unit


def secret_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, secret: str, *, next_path: str = "/console") -> httpx.Response:
    form = await client.get("/console/sign-in", params={"next": next_path})
    assert form.status_code == 200
    return await client.post(
        "/console/sign-in",
        data={"key": secret, "signin_token": hidden(form.text, "signin_token"), "next": hidden(form.text, "next")},
    )


async def csrf_of(client: httpx.AsyncClient, path: str = "/console") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf_token")


async def post_report(
    system: Any, scenario: Any, agency: dict[str, str], dispatcher: dict[str, str], until: Any = None
) -> dict[str, Any]:
    posted = await system.client.post("/v1/reports", json=with_fresh_ids(scenario.body), headers=agency)
    assert posted.status_code == 202, posted.text
    return await system.wait_for(
        posted.json()["report_id"],
        dispatcher,
        until or (lambda b: b["risk_level"] is not None and b["status"] != "received"),
    )


def status_is(*wanted: str) -> Any:
    return lambda body: body["status"] in wanted


# -- sign-in and sessions -----------------------------------------------------------------


async def test_without_a_session_pages_redirect_and_fragments_answer_401(client):
    page = await client.get("/console?risk=red")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=%2Fconsole%3Frisk%3Dred"
    for path in ("/console/queue", "/console/events", "/console/reports/x/live"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"


async def test_sign_in_starts_an_httponly_strict_session_that_holds_no_key(client, keys):
    signed_in = await sign_in(client, keys.dispatcher_miaoli.secret, next_path="/console?risk=red")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console?risk=red"
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sn_console_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= attributes
    assert "secure" not in attributes  # plain http here; see the https test
    value = cookie.split(";")[0].split("=", 1)[1]
    assert keys.dispatcher_miaoli.secret not in value
    body = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))
    assert body["k"] == keys.dispatcher_miaoli.principal.key_id and set(body) == {"k", "s", "e"}

    page = await client.get("/console")
    assert page.status_code == 200
    assert "派案佇列" in page.text and "苗栗派案員" in page.text and "苗栗縣" in page.text


async def test_the_session_cookie_is_secure_over_https(intake, keys):
    transport = httpx.ASGITransport(app=intake.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
        signed_in = await sign_in(client, keys.dispatcher_miaoli.secret)
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sn_console_session="))
        assert "secure" in cookie.lower()
        assert (await client.get("/console")).status_code == 200


async def test_sign_in_refuses_other_roles_unknown_keys_and_forged_forms(client, keys, mint_key):
    unit = await mint_key(role="unit", name="苗栗家防", county="苗栗縣", unit="苗栗縣/protection")
    admin = await mint_key(role="admin", name="苗栗管理者", county="苗栗縣")
    for secret, status in ((keys.police.secret, 403), (admin.secret, 403), ("sn_not-a-key", 401)):
        response = await sign_in(client, secret)
        assert response.status_code == status
        assert not any(c.startswith("sn_console_session=") for c in response.headers.get_list("set-cookie"))
    assert "不是派案人員、督導或派案單位的金鑰" in (await sign_in(client, keys.police.secret)).text
    # A unit signs in too, to its inbox (test_console_units.py).
    assert (await sign_in(client, unit.secret)).headers["location"] == "/console/inbox"
    # A cross-site form post carries neither the sign-in cookie nor its token (login CSRF).
    client.cookies.clear()
    forged = await client.post("/console/sign-in", data={"key": keys.dispatcher_miaoli.secret, "signin_token": "x"})
    assert forged.status_code == 403 and "sn_console_session" not in forged.headers.get("set-cookie", "")


async def test_sign_in_never_redirects_off_the_console(client, keys):
    for target in ("//evil.example/", "https://evil.example/console", "/v1/queue", "/console\\@evil"):
        response = await sign_in(client, keys.dispatcher_miaoli.secret, next_path=target)
        assert response.headers["location"] == "/console", target


async def test_a_tampered_session_or_a_revoked_key_goes_back_to_sign_in(client, keys, engine):
    await sign_in(client, keys.dispatcher_miaoli.secret)
    assert (await client.get("/console")).status_code == 200
    good = client.cookies["sn_console_session"]
    body, mac = good.split(".")
    forged = (
        base64.urlsafe_b64encode(
            json.dumps({"k": keys.dispatcher_nantou.principal.key_id, "s": "x", "e": 9999999999}).encode()
        )
        .decode()
        .rstrip("=")
    )

    def use(value: str) -> None:
        client.cookies.clear()
        client.cookies.set("sn_console_session", value, domain="intake.test", path="/console")

    for value in (f"{forged}.{mac}", f"{body}.{mac[:-2]}AA", "garbage"):
        use(value)
        assert (await client.get("/console")).status_code == 303
    use(good)
    assert (await client.get("/console")).status_code == 200
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.api_keys)
            .where(orm.api_keys.c.key_id == keys.dispatcher_miaoli.principal.key_id)
            .values(revoked_at=datetime.now(UTC))
        )
    assert (await client.get("/console")).status_code == 303


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(client, keys):
    await sign_in(client, keys.dispatcher_miaoli.secret)
    token = await csrf_of(client)
    assert (await client.post("/console/sign-out")).status_code == 403
    signed_out = await client.post("/console/sign-out", data={"csrf_token": token})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/console/sign-in?signed_out=true"
    assert (await client.get("/console")).status_code == 303


# -- bearer keys (kiosks, scripts) ---------------------------------------------------------


async def test_bearer_keys_of_dispatch_staff_open_the_console_and_others_are_refused(client, keys, mint_key):
    supervisor = await mint_key(role="supervisor", name="督導", county="南投縣")
    for key in (keys.dispatcher_miaoli, supervisor):
        for path in ("/console", "/console/queue"):
            assert (await client.get(path, headers=key.headers)).status_code == 200, path
    refused = await client.get("/console", headers=keys.police.headers)
    assert refused.status_code == 403 and "派案台只開放派案人員" in refused.text
    unknown = await client.get("/console", headers={"Authorization": "Bearer sn_nope"})
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/console", headers={"Authorization": "Basic eDp5"})).status_code == 401


async def test_console_responses_carry_the_security_headers(client, keys):
    responses = [
        await client.get("/console", headers=keys.dispatcher_miaoli.headers),
        await client.get("/console/sign-in"),
        await client.get("/console"),
        await client.get("/console/reports/nope", headers=keys.dispatcher_miaoli.headers),
        await client.get("/console/static/console.js"),
    ]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, response.url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert [r.headers["cache-control"] for r in responses] == ["no-store"] * 4 + ["no-cache"]
    assert responses[3].status_code == 404 and "找不到通報" in responses[3].text
    api = await client.get("/v1/queue", headers=keys.dispatcher_miaoli.headers)
    assert "content-security-policy" not in api.headers  # the API is left as it is


# -- actions as forms (the whole system, so routing applies them) -----------------------------


async def test_confirm_and_acknowledge_through_the_forms(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="南投縣")
        dispatcher = await system.key("dispatcher", name="值班社工", county="南投縣")
        rid = (await post_report(system, ELDER, agency, dispatcher))["report_id"]
        client = system.client
        await sign_in(client, secret_of(dispatcher))
        queue = await client.get("/console/queue")
        assert f'id="review-{rid}"' in queue.text and "黃燈 Yellow" in queue.text

        page = await client.get(f"/console/reports/{rid}")
        assert page.status_code == 200
        for shown in (
            "測試通報 test report",
            "YELLOW_PROTECTION_CATEGORY",
            "確認派案",
            "南投縣家庭暴力及性侵害防治中心",
            "收案",
        ):
            assert shown in page.text, shown
        token = hidden(page.text, "csrf_token")
        confirmed = await client.post(f"/console/reports/{rid}/confirm", data={"csrf_token": token})
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == f"/console/reports/{rid}?done=confirm#status"
        assert "已送出確認派案" in (await client.get(confirmed.headers["location"])).text
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        queue = await client.get("/console/queue")
        assert f'id="ack-{rid}"' in queue.text and f'id="review-{rid}"' not in queue.text

        referral = report["referrals"][0]["referral_id"]
        assert f'id="ack-{referral}"' in (await client.get(f"/console/reports/{rid}/live")).text
        acked = await client.post(
            f"/console/reports/{rid}/referrals/{referral}/acknowledge", data={"csrf_token": token}
        )
        assert acked.status_code == 303
        report = await system.wait_for(rid, dispatcher, status_is("acknowledged"))
        actors = {e["event"]: e["actor"] for e in report["timeline"]}
        assert (
            actors["requested_confirm_destinations"]
            == actors["requested_acknowledge_referral"]
            == "dispatcher:值班社工"
        )
        assert f'id="ack-{rid}"' not in (await client.get("/console/queue")).text


async def test_every_form_post_needs_the_sessions_csrf_token(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="南投縣")
        dispatcher = await system.key("dispatcher", county="南投縣")
        rid = (await post_report(system, ELDER, agency, dispatcher))["report_id"]
        await sign_in(system.client, secret_of(dispatcher))
        other = await system.key("dispatcher", county="南投縣")
        await sign_in(system.client, secret_of(other))
        foreign = await csrf_of(system.client)  # a valid token, of another session
        await sign_in(system.client, secret_of(dispatcher))
        token = await csrf_of(system.client)
        assert foreign != token
        for data in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"}, {"csrf_token": foreign}):
            for path, extra in (
                (f"/console/reports/{rid}/confirm", {}),
                (f"/console/reports/{rid}/destinations", {"unit": "南投縣/protection", "reason": "x"}),
            ):
                refused = await system.client.post(path, data={**data, **extra})
                assert refused.status_code == 403 and "表單已失效" in refused.text, (path, data)
        report = await system.wait_for(rid, dispatcher, lambda b: True)
        assert not any(e["event"].startswith("requested_") for e in report["timeline"])
        # A bearer key needs no token: browsers never add that header by themselves.
        system.client.cookies.clear()
        started_elsewhere = await system.client.post(
            f"/console/reports/{rid}/confirm", headers={**dispatcher, "Sec-Fetch-Site": "cross-site"}
        )
        assert started_elsewhere.status_code == 403  # unless another site started the post
        by_bearer = await system.client.post(f"/console/reports/{rid}/confirm", headers=dispatcher)
        assert by_bearer.status_code == 303


async def test_change_destinations_needs_a_reason_and_units_of_the_county(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        rid = (await post_report(system, CO_CASE, agency, dispatcher))["report_id"]
        await sign_in(system.client, secret_of(dispatcher))
        token = await csrf_of(system.client, f"/console/reports/{rid}")
        path = f"/console/reports/{rid}/destinations"
        no_reason = await system.client.post(
            path, data={"csrf_token": token, "unit": "苗栗縣/protection", "reason": " "}
        )
        assert no_reason.status_code == 422 and "變更派案需要書面理由" in no_reason.text
        assert 'value="苗栗縣/protection" id="unit-1-protection" checked' in no_reason.text  # the choice is kept
        assert 'value="苗栗縣/mental_health" id="unit-1-mental_health">' in no_reason.text
        elsewhere = await system.client.post(
            path, data={"csrf_token": token, "unit": "南投縣/protection", "reason": "r"}
        )
        assert elsewhere.status_code == 422 and "不是本縣市的單位" in elsewhere.text
        nothing = await system.client.post(path, data={"csrf_token": token, "reason": "r"})
        assert nothing.status_code == 422 and "請至少選擇一個派案單位" in nothing.text

        changed = await system.client.post(
            path,
            data={
                "csrf_token": token,
                "unit": ["苗栗縣/protection"],
                "reason": "精神科已在案 / already followed by psychiatry",
            },
        )
        assert changed.status_code == 303
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        assert [(d["kind"], d["unit"]) for d in report["destinations"]] == [("protection", "苗栗縣/protection")]
        assert len(report["recommended"]) == 2  # both decisions are kept


async def test_reassign_a_rejected_referral_through_the_form(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="新竹縣")
        dispatcher = await system.key("dispatcher", county="新竹縣")
        竹北 = await system.key("unit", county="新竹縣", unit="新竹縣/welfare_center/竹北")
        rid = (await post_report(system, UNMAPPED, agency, dispatcher))["report_id"]
        await sign_in(system.client, secret_of(dispatcher))
        page = await system.client.get(f"/console/reports/{rid}")
        assert 'id="confirm-button"' not in page.text  # no recommended destination has a unit
        token = hidden(page.text, "csrf_token")
        await system.client.post(
            f"/console/reports/{rid}/destinations",
            data={"csrf_token": token, "unit": "新竹縣/welfare_center/竹北", "reason": "住竹北市"},
        )
        referral = (await system.wait_for(rid, dispatcher, status_is("assigned")))["referrals"][0]["referral_id"]
        await system.client.post(
            f"/v1/referrals/{referral}/reject", headers=竹北, json={"reason": "wrong_district", "note": "非本轄"}
        )
        await system.wait_for(rid, dispatcher, status_is("awaiting_review"))
        page = (await system.client.get(f"/console/reports/{rid}")).text
        assert "請在下方改派" in page and 'id="change-button"' not in page and 'id="confirm-button"' not in page
        assert f'action="/console/reports/{rid}/referrals/{referral}/reassign"' in page

        dropping = await system.client.post(
            f"/console/reports/{rid}/destinations",
            data={"csrf_token": token, "unit": "新竹縣/welfare_center/竹東", "reason": "改派"},
        )
        assert dropping.status_code == 422 and "已有派案的單位須保留" in dropping.text
        assert "新竹縣竹北社會福利服務中心" in dropping.text  # named, not by id

        path = f"/console/reports/{rid}/referrals/{referral}/reassign"
        no_reason = await system.client.post(path, data={"csrf_token": token, "unit": "新竹縣/welfare_center/竹東"})
        assert no_reason.status_code == 422 and "改派需要書面理由" in no_reason.text
        elsewhere = await system.client.post(
            path, data={"csrf_token": token, "unit": "苗栗縣/protection", "reason": "r"}
        )
        assert elsewhere.status_code == 422 and "請選擇本縣市的單位" in elsewhere.text
        moved = await system.client.post(
            path, data={"csrf_token": token, "unit": "新竹縣/welfare_center/竹東", "reason": "改派竹東"}
        )
        assert moved.status_code == 303
        report = await system.wait_for(rid, dispatcher, lambda b: len(b["referrals"]) == 2)
        assert {r["unit"]: r["status"] for r in report["referrals"]} == {
            "新竹縣/welfare_center/竹北": "reassigned",
            "新竹縣/welfare_center/竹東": "assigned",
        }


async def test_refusals_become_friendly_messages(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        nantou = await system.key("dispatcher", county="南投縣")
        rid = (await post_report(system, RED, agency, dispatcher, until=status_is("assigned")))["report_id"]
        await sign_in(system.client, secret_of(dispatcher))
        token = await csrf_of(system.client)
        conflict = await system.client.post(f"/console/reports/{rid}/confirm", data={"csrf_token": token})
        assert (
            conflict.status_code == 409 and "通報狀態已經改變" in conflict.text and "awaiting review" in conflict.text
        )
        missing = await system.client.post(
            f"/console/reports/{rid}/referrals/nope/acknowledge", data={"csrf_token": token}
        )
        assert missing.status_code == 404 and "找不到這筆通報或派案" in missing.text
        other_county = await system.client.get(f"/console/reports/{rid}", headers=nantou)
        assert other_county.status_code == 404 and "紅燈" not in other_county.text


# -- the queue ------------------------------------------------------------------------------


async def test_the_queue_filters_by_risk_and_destination_kind(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        red = (await post_report(system, RED, agency, dispatcher, until=status_is("assigned")))["report_id"]
        green = (await post_report(system, GREEN, agency, dispatcher))["report_id"]
        orange = (await post_report(system, CO_CASE, agency, dispatcher))["report_id"]

        async def shown(query: str) -> set[str]:
            page = await system.client.get(f"/console/queue{query}", headers=dispatcher)
            return {rid for rid in (red, green, orange) if f'data-report-id="{rid}"' in page.text}

        assert await shown("") == {red, green, orange}
        assert await shown("?risk=red") == {red}
        assert await shown("?kind=welfare_center") == {green}
        assert await shown("?kind=mental_health&risk=orange") == {orange}
        assert await shown("?risk=purple") == {red, green, orange}  # an unknown filter is ignored
        page = (await system.client.get("/console?risk=green", headers=dispatcher)).text
        assert '<option value="green" selected>' in page and 'data-live-src="/console/queue?risk=green"' in page
        assert "沒有符合篩選的待簽收派案" in page


# -- the event stream -----------------------------------------------------------------------


async def test_the_event_stream_says_changed_when_a_report_of_the_county_changes(intake, keys, post_report, report):
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(intake.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
            http.stream("GET", "/console/events", headers=keys.dispatcher_nantou.headers) as stream,
        ):
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-store"
            lines = stream.aiter_lines()

            async def next_event() -> dict[str, str]:
                fields: dict[str, str] = {}
                async for line in lines:
                    if not line:
                        if "event" in fields:
                            return fields
                        continue
                    name, _, value = line.partition(":")
                    fields[name] = value.strip()
                raise AssertionError("the stream ended")

            ready = await asyncio.wait_for(next_event(), 5)
            assert ready["event"] == "ready"
            pending = asyncio.ensure_future(next_event())
            await post_report(report())  # 苗栗縣: not this dispatcher's county
            done, _ = await asyncio.wait({pending}, timeout=2.5)
            assert not done, pending.result()
            await post_report(report(county="南投縣", township="埔里鎮"))
            changed = await asyncio.wait_for(pending, 5)
            assert changed["event"] == "changed" and int(changed["id"]) > int(ready["id"])
    finally:
        server.should_exit = server.force_exit = True
        await asyncio.wait_for(serving, 10)


async def test_a_reconnecting_stream_reports_what_changed_since_its_last_event_id(intake, engine, post_report, report):
    await post_report(report())

    async def never_gone() -> bool:
        return False

    uow = lambda: IntakeUnitOfWork(engine)  # noqa: E731
    stream = changes(uow, "苗栗縣", 0, is_gone=never_gone, lifetime=1)
    assert b"event: ready\nid: 0\n" in await anext(stream)
    assert (await anext(stream)).startswith(b"event: changed\nid: ")
    quiet = [chunk async for chunk in changes(uow, "南投縣", 0, is_gone=never_gone, lifetime=1.5)]
    assert not any(b"changed" in chunk for chunk in quiet)
