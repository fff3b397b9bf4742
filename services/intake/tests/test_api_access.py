"""Who may post and read reports, what each role sees, idempotency, the 202 body, and
the operational endpoints.

DOMAIN.md, "Keys and scope" and "What GET returns".
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from safetynet.cli.services import service_module
from safetynet.intake.adapters import orm
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.messaging.sqlbus import SqlLogBroker

# -- helpers -------------------------------------------------------------------------------


async def accepted_id(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


async def count_reports(engine: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(orm.reports)))


async def eventually(probe: Callable[[], Awaitable[Any]], *, timeout: float = 20.0) -> Any:
    """Poll `probe` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the pipeline")
        await asyncio.sleep(0.05)


def keys_anywhere(value: Any) -> set[str]:
    """Every dict key at any depth of a JSON document."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_anywhere(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_anywhere(v) for v in value)) if value else set()
    return set()


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


# -- 401: no or unknown credentials -----------------------------------------------------------

BAD_AUTH = {
    "none": {},
    "wrong-key": {"Authorization": "Bearer sn_not-a-real-key"},
    "empty-bearer": {"Authorization": "Bearer"},
    "bearer-space-only": {"Authorization": "Bearer "},
    "basic-scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    "token-scheme": {"Authorization": "Token sn_whatever"},
    "no-scheme": {"Authorization": "sn_whatever"},
    "empty-header": {"Authorization": ""},
}


@pytest.mark.parametrize("headers", list(BAD_AUTH.values()), ids=list(BAD_AUTH))
async def test_post_without_valid_credentials_is_401(
    headers: dict[str, str], client: httpx.AsyncClient, report: Any
) -> None:
    response = await client.post("/v1/reports", json=report(), headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", list(BAD_AUTH.values()), ids=list(BAD_AUTH))
async def test_get_without_valid_credentials_is_401(
    headers: dict[str, str], client: httpx.AsyncClient, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))

    response = await client.get(f"/v1/reports/{report_id}", headers=headers)

    assert response.status_code == 401
    assert "narrative" not in response.text


async def test_raw_secret_without_scheme_is_401(client: httpx.AsyncClient, keys: Any, report: Any) -> None:
    response = await client.post("/v1/reports", json=report(), headers={"Authorization": keys.police.secret})

    assert response.status_code == 401


async def test_secret_of_another_key_with_one_character_changed_is_401(
    client: httpx.AsyncClient, keys: Any, report: Any
) -> None:
    secret = keys.police.secret
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = await client.post("/v1/reports", json=report(), headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401


async def test_revoked_key_is_401(client: httpx.AsyncClient, keys: Any, engine: Any, report: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.api_keys)
            .where(orm.api_keys.c.key_id == keys.police.principal.key_id)
            .values(revoked_at=datetime.now(UTC))
        )

    response = await client.post("/v1/reports", json=report(), headers=keys.police.headers)

    assert response.status_code == 401


async def test_authentication_comes_before_body_validation(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/reports", content=b"not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 401


async def test_keys_are_stored_hashed(engine: Any, keys: Any) -> None:
    async with engine.connect() as conn:
        stored = (await conn.execute(select(orm.api_keys))).mappings().all()

    assert len(stored) == 4
    dump = json.dumps([{k: str(v) for k, v in row.items()} for row in stored])
    for key in (keys.police, keys.school, keys.dispatcher_miaoli, keys.dispatcher_nantou):
        assert key.secret not in dump
        assert len(key.secret) >= 32


# -- 403: authenticated, wrong role -------------------------------------------------------------


@pytest.mark.parametrize("role", ["dispatcher", "supervisor", "admin", "unit"])
async def test_posting_with_a_key_that_is_not_an_agency_is_403(
    role: str, client: httpx.AsyncClient, mint_key: Any, report: Any
) -> None:
    key = await mint_key(
        role=role, name=f"苗栗{role}", county="苗栗縣", unit="苗栗縣/protection" if role == "unit" else None
    )

    response = await client.post("/v1/reports", json=report(), headers=key.headers)

    assert response.status_code == 403
    assert response.json()["detail"] == "this action needs a key of role agency"


async def test_dispatcher_posting_garbage_is_403_not_400(client: httpx.AsyncClient, keys: Any) -> None:
    response = await client.post(
        "/v1/reports", content=b"{{{", headers={**keys.dispatcher_miaoli.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 403


# -- 404: not yours to see ----------------------------------------------------------------


async def test_another_agency_gets_404(client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any) -> None:
    report_id = await accepted_id(await post_report(report()))

    response = await client.get(f"/v1/reports/{report_id}", headers=keys.school.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "no such report"}


async def test_dispatcher_of_another_county_gets_404(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))  # 苗栗縣

    response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_nantou.headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "no such report"}


async def test_county_scope_follows_the_report_not_the_agency_key(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    # The police key was minted in 苗栗縣, but an agency may report for any configured county.
    report_id = await accepted_id(await post_report(report(county="南投縣", township="埔里鎮")))

    nantou = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_nantou.headers)
    miaoli = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    assert nantou.status_code == 200
    assert nantou.json()["county"] == "南投縣"
    assert miaoli.status_code == 404


@pytest.mark.parametrize("report_id", [str(uuid.uuid4()), "not-a-uuid", "x" * 500, "報告", "%00"])
async def test_unknown_report_is_404(report_id: str, client: httpx.AsyncClient, keys: Any) -> None:
    response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    assert response.status_code == 404


async def test_unknown_and_foreign_reports_look_the_same(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))

    foreign = await client.get(f"/v1/reports/{report_id}", headers=keys.school.headers)
    unknown = await client.get(f"/v1/reports/{uuid.uuid4()}", headers=keys.school.headers)

    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())


async def test_unit_key_without_a_referral_gets_404(
    client: httpx.AsyncClient, mint_key: Any, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")

    response = await client.get(f"/v1/reports/{report_id}", headers=unit.headers)

    assert response.status_code == 404


# -- what each role sees ------------------------------------------------------------------

AGENCY_VIEW_KEYS = {"report_id", "status", "received_at", "sla", "destinations"}
FORBIDDEN_TO_AGENCIES = {
    "reasons",
    "narrative",
    "subjects",
    "unit",
    "source",
    "referrals",
    "timeline",
    "risk_level",
    "recommended",
    "indicators",
    "household",
    "rule_version",
}


async def test_agency_sees_only_progress_of_its_own_report(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    posted = await post_report(report())
    report_id = await accepted_id(posted)

    response = await client.get(f"/v1/reports/{report_id}", headers=keys.police.headers)

    assert response.status_code == 200
    view = response.json()
    assert set(view) == AGENCY_VIEW_KEYS
    assert not keys_anywhere(view) & FORBIDDEN_TO_AGENCIES
    assert view["report_id"] == report_id
    assert view["status"] == "received"
    assert view["destinations"] == []
    assert parse_time(view["received_at"]) == parse_time(posted.json()["received_at"])
    assert view["sla"] == {"due_at": view["sla"]["due_at"], "state": "open", "closed_at": None}
    assert parse_time(view["sla"]["due_at"]) == parse_time(posted.json()["sla_due_at"])
    for secret in ("A123456789", "A223456781", "陳美玲", "林大同", "鄰居報案", "王小明"):
        assert secret not in response.text


async def test_another_key_of_the_same_agency_sees_the_report(
    client: httpx.AsyncClient, mint_key: Any, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))
    second = await mint_key(role="agency", name="苗栗縣政府警察局", county="苗栗縣", agency_type="police")

    response = await client.get(f"/v1/reports/{report_id}", headers=second.headers)

    assert response.status_code == 200
    assert set(response.json()) == AGENCY_VIEW_KEYS


DISPATCHER_VIEW_KEYS = {
    "report_id",
    "status",
    "received_at",
    "county",
    "township",
    "risk_level",
    "urgent",
    "direct_dispatch",
    "rule_version",
    "reasons",
    "recommended",
    "destinations",
    "referrals",
    "sla",
    "timeline",
    "source",
    "subjects",
    "categories",
    "occurred_at",
    "household",
    "indicators",
    "bsrs5",  # the BSRS-5 score read (v1.1 rule 3): null without one
    "narrative",
    "personal_data_purged_at",
    "linked_to",  # rule 1 (併案, issue 14): links to and from other reports' open cases
    "linked_from",
}


async def test_dispatcher_sees_everything_before_screening(
    client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    body = report()
    posted = await post_report(body)
    report_id = await accepted_id(posted)

    response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    assert response.status_code == 200
    view = response.json()
    assert set(view) == DISPATCHER_VIEW_KEYS
    assert view["subjects"] == body["subjects"]
    assert view["narrative"] == body["narrative"]
    assert view["source"] == body["source"]
    assert view["indicators"] == body["indicators"]
    assert view["household"] == body["household"]
    assert view["categories"] == ["intimate_partner_violence"]
    assert (view["county"], view["township"]) == ("苗栗縣", "頭份市")
    assert parse_time(view["occurred_at"]) == parse_time("2026-11-20T21:30:00+08:00")
    assert view["status"] == "received"
    assert (view["risk_level"], view["urgent"], view["direct_dispatch"], view["rule_version"]) == (None,) * 4
    assert (view["reasons"], view["recommended"], view["destinations"], view["referrals"]) == ([], [], [], [])
    assert view["sla"]["state"] == "open" and view["sla"]["closed_at"] is None
    assert parse_time(view["sla"]["due_at"]) == parse_time(posted.json()["sla_due_at"])
    [entry] = view["timeline"]
    assert set(entry) == {"at", "event", "actor", "detail"}
    assert entry["event"] == "received"
    assert entry["actor"] == "agency:苗栗縣政府警察局"
    assert entry["detail"] == "intimate_partner_violence"
    assert parse_time(entry["at"]) == parse_time(posted.json()["received_at"])


@pytest.mark.parametrize("role", ["supervisor", "admin"])
async def test_other_county_staff_roles_see_everything(
    role: str, client: httpx.AsyncClient, mint_key: Any, post_report: Any, report: Any
) -> None:
    report_id = await accepted_id(await post_report(report()))
    staff = await mint_key(role=role, name=f"苗栗{role}", county="苗栗縣")
    elsewhere = await mint_key(role=role, name=f"南投{role}", county="南投縣")

    response = await client.get(f"/v1/reports/{report_id}", headers=staff.headers)
    foreign = await client.get(f"/v1/reports/{report_id}", headers=elsewhere.headers)

    assert response.status_code == 200
    assert set(response.json()) == DISPATCHER_VIEW_KEYS
    assert foreign.status_code == 404


async def test_dispatcher_and_agency_views_after_screening(
    running_pipeline: None, client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any
) -> None:
    # TIPVDA 9 -> red; intimate-partner violence with a child under 6 -> direct dispatch.
    report_id = await accepted_id(await post_report(report()))
    url = f"/v1/reports/{report_id}"

    async def screened() -> dict[str, Any] | None:
        view = (await client.get(url, headers=keys.dispatcher_miaoli.headers)).json()
        return view if view["risk_level"] is not None else None

    view = await eventually(screened)

    assert set(view) == DISPATCHER_VIEW_KEYS
    assert view["risk_level"] == "red"
    assert view["urgent"] is True
    assert view["direct_dispatch"] is True
    assert isinstance(view["rule_version"], str) and view["rule_version"]
    assert view["reasons"], "every condition that held has a reason"
    for reason in view["reasons"]:
        assert set(reason) == {"code", "text"}
        assert isinstance(reason["code"], str) and reason["code"]
        assert isinstance(reason["text"], str) and reason["text"]
    assert view["recommended"] == [{"kind": "protection", "unit": "苗栗縣/protection"}]
    assert view["destinations"] == [{"kind": "protection", "unit": "苗栗縣/protection"}]
    assert view["referrals"] == []  # routing is not running in this test
    assert set(view["sla"]) == {"due_at", "state", "closed_at"}
    assert [e["event"] for e in view["timeline"]][:2] == ["received", "screened"]
    for entry in view["timeline"]:
        assert set(entry) == {"at", "event", "actor", "detail"}
        parse_time(entry["at"])

    agency = await client.get(url, headers=keys.police.headers)
    assert agency.status_code == 200
    assert set(agency.json()) == AGENCY_VIEW_KEYS
    assert agency.json()["destinations"] == [{"kind": "protection"}]
    assert not keys_anywhere(agency.json()) & FORBIDDEN_TO_AGENCIES
    assert "苗栗縣/protection" not in agency.text
    for reason in view["reasons"]:
        assert reason["code"] not in agency.text


# -- the 202 ------------------------------------------------------------------------------


async def test_accepted_body(client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any) -> None:
    before = datetime.now(UTC)
    response = await post_report(report())
    after = datetime.now(UTC)

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"report_id", "received_at", "sla_due_at", "status_url"}
    assert str(uuid.UUID(body["report_id"])) == body["report_id"]
    received_at, due_at = parse_time(body["received_at"]), parse_time(body["sla_due_at"])
    assert before <= received_at <= after
    assert due_at - received_at == timedelta(hours=24)
    # SAFETYNET_PUBLIC_BASE_URL is unset: the URL is built from the request's own base URL.
    assert body["status_url"] == f"http://intake.test/v1/reports/{body['report_id']}"
    assert response.headers["location"] == body["status_url"]
    assert "idempotent-replayed" not in response.headers

    status = await client.get(body["status_url"], headers=keys.police.headers)
    assert status.status_code == 200
    assert status.json()["report_id"] == body["report_id"]


async def test_sla_due_at_follows_the_configured_default(
    settings: IntakeSettings, engine: Any, broker: SqlLogBroker, keys: Any, report: Any
) -> None:
    two_hours = IntakeSettings(
        database_url=settings.database_url, kafka_bootstrap=None, sla_seconds=7200, sla_warn_seconds=[3600]
    )
    app = service_module("intake").bootstrap(settings=two_hours, engine=engine, broker=broker).app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://intake.test"
    ) as client:
        response = await client.post("/v1/reports", json=report(), headers=keys.police.headers)

    assert response.status_code == 202
    body = response.json()
    assert parse_time(body["sla_due_at"]) - parse_time(body["received_at"]) == timedelta(hours=2)


async def test_every_report_gets_its_own_id(post_report: Any, report: Any, engine: Any) -> None:
    ids = {await accepted_id(await post_report(report())) for _ in range(3)}

    assert len(ids) == 3
    assert await count_reports(engine) == 3


# -- idempotency ----------------------------------------------------------------------------


async def test_replay_returns_the_same_status_and_body(post_report: Any, report: Any, engine: Any) -> None:
    first = await post_report(report(), headers={"Idempotency-Key": "req-1"})
    replay = await post_report(report(), headers={"Idempotency-Key": "req-1"})

    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["location"] == first.headers["location"]
    assert await count_reports(engine) == 1


async def test_replay_matches_on_parsed_json_not_bytes(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any
) -> None:
    body = report()
    compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    shuffled = dict(reversed(list(body.items())))
    shuffled["subjects"] = [dict(reversed(list(s.items()))) for s in body["subjects"]]
    spaced = json.dumps(shuffled, indent=4, ensure_ascii=True).encode()
    assert compact != spaced
    headers = {**keys.police.headers, "Content-Type": "application/json", "Idempotency-Key": "k-order"}

    first = await client.post("/v1/reports", content=compact, headers=headers)
    replay = await client.post("/v1/reports", content=spaced, headers=headers)

    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    assert await count_reports(engine) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"narrative": "另一份報告"},
        {"categories": ["intimate_partner_violence", "child_maltreatment"]},
        {"township": "竹南鎮"},
        {"indicators": None},
    ],
    ids=["narrative", "categories", "township", "dropped-indicators"],
)
async def test_same_key_with_another_body_is_409(
    change: dict[str, Any], client: httpx.AsyncClient, keys: Any, post_report: Any, report: Any, engine: Any
) -> None:
    first = await post_report(report(), headers={"Idempotency-Key": "req-2"})
    body = report(**change)
    if change.get("indicators", 1) is None:
        del body["indicators"]

    conflict = await post_report(body, headers={"Idempotency-Key": "req-2"})

    assert first.status_code == 202
    assert conflict.status_code == 409
    assert first.json()["report_id"] not in conflict.text
    assert await count_reports(engine) == 1
    # The original stays replayable after the conflict.
    again = await post_report(report(), headers={"Idempotency-Key": "req-2"})
    assert (again.status_code, again.json()) == (202, first.json())


async def test_idempotency_key_is_scoped_to_the_api_key(
    keys: Any, mint_key: Any, post_report: Any, report: Any, engine: Any
) -> None:
    school_body = report(source={"agency_type": "school"})
    second_police = await mint_key(role="agency", name="苗栗縣政府警察局", county="苗栗縣", agency_type="police")

    police = await post_report(report(), headers={"Idempotency-Key": "shared"})
    school = await post_report(school_body, key=keys.school, headers={"Idempotency-Key": "shared"})
    same_agency_other_key = await post_report(report(), key=second_police, headers={"Idempotency-Key": "shared"})

    assert (police.status_code, school.status_code, same_agency_other_key.status_code) == (202, 202, 202)
    assert len({police.json()["report_id"], school.json()["report_id"], same_agency_other_key.json()["report_id"]}) == 3
    assert "idempotent-replayed" not in school.headers
    assert await count_reports(engine) == 3


async def test_without_idempotency_key_a_resend_is_a_new_report(post_report: Any, report: Any, engine: Any) -> None:
    first = await post_report(report())
    second = await post_report(report())

    assert first.json()["report_id"] != second.json()["report_id"]
    assert await count_reports(engine) == 2


async def test_rejected_body_does_not_burn_the_idempotency_key(post_report: Any, report: Any) -> None:
    rejected = await post_report(report(county="台北市"), headers={"Idempotency-Key": "fix-and-retry"})
    accepted = await post_report(report(), headers={"Idempotency-Key": "fix-and-retry"})

    assert rejected.status_code == 422
    assert accepted.status_code == 202


async def test_concurrent_retries_with_one_key_make_one_report(post_report: Any, report: Any, engine: Any) -> None:
    responses = await asyncio.gather(*(post_report(report(), headers={"Idempotency-Key": "burst"}) for _ in range(5)))

    assert [r.status_code for r in responses] == [202] * 5
    assert len({r.json()["report_id"] for r in responses}) == 1
    assert await count_reports(engine) == 1


# -- operational endpoints ----------------------------------------------------------------------


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


class _UnreachableDatabase:
    """Stands in for the engine: every connection attempt is refused."""

    def connect(self) -> Any:
        raise ConnectionRefusedError("database down")


async def test_readyz_is_503_when_the_database_is_unreachable(intake: Any, client: httpx.AsyncClient) -> None:
    intake.app.state.intake.engine = _UnreachableDatabase()

    ready = await client.get("/readyz")
    health = await client.get("/healthz")

    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable"})
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


async def test_docs_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "swagger" in response.text.lower()
    assert "/openapi.json" in response.text


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()


async def test_openapi_documents_the_report_submission(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    doc = response.json()
    post = doc["paths"]["/v1/reports"]["post"]
    assert post["requestBody"]["required"] is True
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportSubmission"
    }
    assert {"202", "400", "401", "403", "409", "413", "422"} <= set(post["responses"])
    assert "get" in doc["paths"]["/v1/reports/{report_id}"]
    assert {"/healthz", "/readyz"} <= set(doc["paths"])

    schemas = doc["components"]["schemas"]
    submission = schemas["ReportSubmission"]
    assert set(submission["properties"]) == {
        "county",
        "township",
        "source",
        "categories",
        "occurred_at",
        "subjects",
        "household",
        "indicators",
        "narrative",
    }
    assert set(submission["required"]) == {"county", "township", "categories", "subjects", "narrative"}
    assert submission["additionalProperties"] is False
    for name in ("Subject", "Source", "Household", "Indicators", "ReportAccepted"):
        assert name in schemas
    assert set(schemas["Indicators"]["properties"]) == {
        "tipvda_score",
        "injury",
        "weapon",
        "threat_to_kill",
        "offender_lives_with_victim",
        "suicide_attempt",
        "suicide_ideation",
        "suspected_mental_illness",
        "youth_law_violation",
        "economic_hardship",
        "bsrs5",  # the BSRS-5 score (issue 14), an object of its own
    }
    # Every reference in the document resolves.
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
