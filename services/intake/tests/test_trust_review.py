"""Issue 11, the security review: each test here failed on the code before the fix.

Bodies refused before they are read and capped; a unit's access ends with its referral;
console sessions revocable; Secure cookies, HSTS and trusted proxies; agencies owned by
identity; failed sign-ins throttled; lists paged; duplicate JSON keys refused."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from safetynet.intake.adapters import orm
from safetynet.intake.settings import IntakeSettings

MB = 1024 * 1024


async def sign_in(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    form = await client.get("/console/sign-in")
    token = re.search(r'name="signin_token" value="([^"]*)"', form.text)
    assert token, form.text
    return await client.post(
        "/console/sign-in", data={"key": secret, "signin_token": token.group(1), "next": "/console"}
    )


async def csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/console")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert found
    return found.group(1)


class Chunks:
    """A chunked body (no Content-Length) that counts how much of it the server pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024):
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            self.pulled += self.chunk
            yield b"[" + b" " * (self.chunk - 2) + b"]"


async def _report(client: httpx.AsyncClient, keys: Any, report: Any, **overrides: Any) -> str:
    posted = await client.post("/v1/reports", json=report(**overrides), headers=keys.police.headers)
    assert posted.status_code == 202, posted.text
    return str(posted.json()["report_id"])


async def _refer(engine: Any, report_id: str, unit: str, status: str = "assigned") -> str:
    referral_id = f"{report_id[:8]}-ref-{status}"
    now = datetime.now(UTC).isoformat()
    referral = {
        "referral_id": referral_id,
        "kind": unit.split("/")[1],
        "unit": unit,
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
                destinations=[{"kind": referral["kind"], "unit": unit}],
            )
        )
        await conn.execute(orm.referral_index.insert().values(referral_id=referral_id, report_id=report_id, unit=unit))
    return referral_id


# -- 1. bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/reports/x/destinations", "/v1/referrals/x/reject", "/v1/reports", "/console/reports/x/confirm"]
)
async def test_an_unauthenticated_body_is_refused_before_it_is_read(client: httpx.AsyncClient, path: str) -> None:
    body = Chunks(60 * MB)
    response = await client.post(
        path, content=body, headers={"Content-Type": "application/json", "Authorization": "Bearer sn_not-a-key"}
    )
    assert response.status_code == 401 or response.headers.get("location", "").startswith("/console/sign-in")
    assert body.pulled <= 64 * 1024, f"{body.pulled} bytes read before the key was checked"


async def test_every_body_is_capped_as_it_streams_chunked_included(client: httpx.AsyncClient, keys: Any) -> None:
    body = Chunks(60 * MB)
    response = await client.post(
        "/v1/reports/x/destinations",
        content=body,
        headers={**keys.dispatcher_miaoli.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert body.pulled <= 2 * MB, f"{body.pulled} bytes read past a 1 MiB limit"
    declared = await client.post(
        "/v1/referrals/x/reject",
        content=b"{}",
        headers={**keys.dispatcher_miaoli.headers, "Content-Type": "application/json", "Content-Length": str(2 * MB)},
    )
    assert declared.status_code == 413


# -- 2. a unit's access ends with its referral --------------------------------------------------


@pytest.mark.parametrize("ended", ["rejected", "reassigned"])
async def test_a_unit_stops_reading_once_its_referral_is_rejected_or_reassigned(
    client: httpx.AsyncClient, engine: Any, keys: Any, mint_key: Any, report: Any, ended: str
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")
    live = await _report(client, keys, report)
    await _refer(engine, live, "苗栗縣/protection")
    assert (await client.get(f"/v1/reports/{live}", headers=unit.headers)).status_code == 200
    gone = await _report(client, keys, report)
    await _refer(engine, gone, "苗栗縣/protection", status=ended)
    refused = await client.get(f"/v1/reports/{gone}", headers=unit.headers)
    assert refused.status_code == 404 and "陳美玲" not in refused.text
    closed = await _report(client, keys, report)
    await _refer(engine, closed, "苗栗縣/protection", status="closed")
    assert (await client.get(f"/v1/reports/{closed}", headers=unit.headers)).status_code == 200
    async with engine.connect() as conn:  # what it read before stays on the trail
        reads = (
            (
                await conn.execute(
                    select(orm.audit_records.c.report_id).where(
                        orm.audit_records.c.actor_key_id == unit.principal.key_id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert live in reads and gone not in reads


# -- 3. sessions ---------------------------------------------------------------------------------


async def test_signing_out_ends_every_copy_of_the_session(client: httpx.AsyncClient, keys: Any) -> None:
    assert (await sign_in(client, keys.dispatcher_miaoli.secret)).status_code == 303
    copied = client.cookies.get("sn_console_session", path="/console")
    token = await csrf(client)
    out = await client.post("/console/sign-out", data={"csrf_token": token})
    assert out.status_code == 303
    thief = httpx.AsyncClient(
        transport=client._transport, base_url="http://intake.test", cookies={"sn_console_session": copied}
    )
    async with thief:
        assert (await thief.get("/console/queue")).status_code == 401


async def test_revoking_a_key_and_idling_end_sessions(client: httpx.AsyncClient, keys: Any, engine: Any) -> None:
    from safetynet.intake.service_layer.keys import revoke_key
    from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

    assert (await sign_in(client, keys.dispatcher_miaoli.secret)).status_code == 303
    assert (await client.get("/console/queue")).status_code == 200
    async with engine.begin() as conn:  # unused for longer than the idle timeout (30 minutes)
        await conn.execute(update(orm.console_sessions).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    assert (await client.get("/console/queue")).status_code == 401
    assert (await sign_in(client, keys.dispatcher_miaoli.secret)).status_code == 303
    assert (await client.get("/console/queue")).status_code == 200
    await revoke_key(key_id=keys.dispatcher_miaoli.principal.key_id, uow=IntakeUnitOfWork(engine))
    async with engine.connect() as conn:
        ended = (await conn.execute(select(orm.console_sessions.c.ended_at))).scalars().all()
    assert ended and all(e is not None for e in ended)
    assert (await client.get("/console/queue")).status_code == 401


# -- 6. proxies, Secure, HSTS -------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, request: Any) -> IntakeSettings:
    overrides = {"kafka_bootstrap": None, **getattr(request, "param", {})}  # embedded unless a test says
    return IntakeSettings(database_url=database_url, **overrides)


@pytest.mark.parametrize("settings", [{"kafka_bootstrap": "kafka:9092", "trusted_proxies": "127.0.0.1"}], indirect=True)
async def test_behind_a_trusted_proxy_cookies_are_secure_hsts_is_sent_and_the_audit_has_the_client(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any
) -> None:
    form = await client.get("/console/sign-in")
    assert "secure" in form.headers["set-cookie"].lower()  # over plain http too: not the embedded mode
    assert form.headers["strict-transport-security"].startswith("max-age=")
    report_id = await _report(client, keys, report)
    forwarded = {**keys.dispatcher_miaoli.headers, "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert (await client.get(f"/v1/reports/{report_id}", headers=forwarded)).status_code == 200
    async with engine.connect() as conn:
        clients = (
            (await conn.execute(select(orm.audit_records.c.client).where(orm.audit_records.c.action == "read_report")))
            .scalars()
            .all()
        )
    assert clients == ["203.0.113.9"]


async def test_an_untrusted_client_cannot_forge_its_address(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any
) -> None:
    report_id = await _report(client, keys, report)
    forged = {**keys.dispatcher_miaoli.headers, "X-Forwarded-For": "203.0.113.9"}
    assert (await client.get(f"/v1/reports/{report_id}", headers=forged)).status_code == 200
    async with engine.connect() as conn:
        clients = (
            (await conn.execute(select(orm.audit_records.c.client).where(orm.audit_records.c.action == "read_report")))
            .scalars()
            .all()
        )
    assert clients == ["127.0.0.1"]


# -- 7. the smaller ones ------------------------------------------------------------------------


async def test_an_agency_owns_its_reports_by_identity_not_by_name(
    client: httpx.AsyncClient, mint_key: Any, report: Any
) -> None:
    miaoli = await mint_key(role="agency", name="中正國小", county="苗栗縣", agency_type="school")
    nantou = await mint_key(role="agency", name="中正國小", county="南投縣", agency_type="school")
    body = report(county="南投縣", township="埔里鎮", source={"agency_type": "school"})
    posted = await client.post("/v1/reports", json=body, headers=nantou.headers)
    assert posted.status_code == 202, posted.text
    report_id = posted.json()["report_id"]
    assert (await client.get(f"/v1/reports/{report_id}", headers=nantou.headers)).status_code == 200
    assert (await client.get(f"/v1/reports/{report_id}", headers=miaoli.headers)).status_code == 404


async def test_bad_keys_and_failed_sign_ins_are_throttled_per_address(client: httpx.AsyncClient, keys: Any) -> None:
    for _ in range(10):
        assert (await client.get("/v1/queue", headers={"Authorization": "Bearer sn_guess"})).status_code == 401
    throttled = await client.get("/v1/queue", headers={"Authorization": "Bearer sn_guess"})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    # No oracle meanwhile: a right key from the same address is not looked at either.
    assert (await client.get("/v1/queue", headers=keys.dispatcher_miaoli.headers)).status_code == 429
    assert (await sign_in(client, keys.dispatcher_miaoli.secret)).status_code == 429


async def test_failed_console_sign_ins_count_too(client: httpx.AsyncClient) -> None:
    answers = [(await sign_in(client, "sn_guess")).status_code for _ in range(11)]
    assert answers == [401] * 10 + [429]


async def test_metrics_are_not_served_on_the_api(client: httpx.AsyncClient) -> None:
    from safetynet.cli.metrics import metrics_app

    assert (await client.get("/metrics")).status_code in (401, 403, 404)
    transport = httpx.ASGITransport(app=metrics_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics.test") as own_port:
        served = await own_port.get("/metrics")
    assert served.status_code == 200 and "text/plain" in served.headers["content-type"]


async def test_the_queue_and_the_ops_view_are_paged(client: httpx.AsyncClient, keys: Any, report: Any) -> None:
    ids = {await _report(client, keys, report) for _ in range(5)}
    for path in ("/v1/queue", "/v1/ops/slas"):
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        for _ in range(5):
            page = await client.get(path, params=params, headers=keys.dispatcher_miaoli.headers)
            assert page.status_code == 200, page.text
            assert len(page.json()) <= 2
            seen += [item["report_id"] for item in page.json()]
            if "x-next-cursor" not in page.headers:
                break
            assert page.headers["link"].endswith('rel="next"')
            params = {"limit": 2, "after": page.headers["x-next-cursor"]}
        assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)), path
        assert (
            await client.get(path, params={"limit": 501}, headers=keys.dispatcher_miaoli.headers)
        ).status_code == 422
        bad = await client.get(path, params={"after": "bm9wZQ"}, headers=keys.dispatcher_miaoli.headers)
        assert bad.status_code == 422


async def test_duplicate_json_keys_are_refused(
    client: httpx.AsyncClient, keys: Any, engine: Any, mint_key: Any, report: Any
) -> None:
    raw = (
        '{"county": "苗栗縣", "township": "頭份市", "source": {"agency_type": "police"}, '
        '"categories": ["intimate_partner_violence"], "subjects": [{"role": "victim", "name": "陳美玲"}], '
        '"indicators": {"weapon": true, "weapon": false}, "narrative": "x"}'
    )
    posted = await client.post(
        "/v1/reports", content=raw.encode(), headers={**keys.police.headers, "Content-Type": "application/json"}
    )
    assert posted.status_code == 422 and posted.json()["detail"][0]["type"] == "duplicate_key"
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")
    referral_id = await _refer(engine, await _report(client, keys, report), "苗栗縣/protection")
    action = await client.post(
        f"/v1/referrals/{referral_id}/reject",
        content=b'{"reason": "a", "reason": "b"}',
        headers={**unit.headers, "Content-Type": "application/json"},
    )
    assert action.status_code == 422 and action.json()["detail"][0]["type"] == "duplicate_key"
