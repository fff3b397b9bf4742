"""The audit trail: a record for every read of personal data and every action, the hash
chain, `safetynet audit verify` catching a changed or removed record, the PostgreSQL
guard, and GET /v1/audit."""

import asyncio
import os
import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from safetynet.intake.adapters import orm
from safetynet.intake.domain.audit import Actor
from safetynet.intake.domain.kpis import TAIPEI
from safetynet.intake.service_layer import keys as key_admin
from safetynet.intake.service_layer.audit import verify_trail
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from tests.support.processes import SAFETYNET

ON_POSTGRES = bool(os.environ.get("SAFETYNET_TEST_POSTGRES_URL"))
STAFF_FIELDS = ["subjects", "narrative", "source", "household", "indicators", "occurred_at", "timeline"]


async def records(engine: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(orm.audit_records).order_by(orm.audit_records.c.seq))
        return [dict(r._mapping) for r in rows]


async def posted(client: httpx.AsyncClient, keys: Any, report: Any, **overrides: Any) -> str:
    response = await client.post("/v1/reports", json=report(**overrides), headers=keys.police.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


async def refer(engine: Any, report_id: str, unit: str = "苗栗縣/protection") -> str:
    referral_id, now = str(uuid.uuid4()), datetime.now(UTC).isoformat()
    referral = {
        "referral_id": referral_id,
        "kind": unit.split("/")[1],
        "unit": unit,
        "status": "assigned",
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
                destinations=[{"kind": "protection", "unit": unit}],
            )
        )
        await conn.execute(orm.referral_index.insert().values(referral_id=referral_id, report_id=report_id, unit=unit))
    return referral_id


def without_key_records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["action"] not in ("create_key", "revoke_key", "rotate_key")]


# -- what is recorded ---------------------------------------------------------------------------


async def test_a_dispatchers_read_is_recorded_with_who_what_when_where_why(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    report_id = await posted(client, keys, report)
    before = datetime.now(UTC)

    response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    assert response.status_code == 200
    [read] = without_key_records(await records(engine))
    dispatcher = keys.dispatcher_miaoli.principal
    assert (read["actor_key_id"], read["actor_name"], read["actor_role"]) == (
        dispatcher.key_id,
        "苗栗派案員",
        "dispatcher",
    )
    assert (read["action"], read["endpoint"]) == ("read_report", "GET /v1/reports/{report_id}")
    assert (read["report_id"], read["referral_id"], read["county"]) == (report_id, None, "苗栗縣")
    assert read["client"] == "127.0.0.1"  # httpx's in-process transport's client address
    assert read["detail"] == {"fields": STAFF_FIELDS}
    assert before <= read["at"] <= datetime.now(UTC)
    # The trail holds no personal data: it can never be purged.
    for secret in ("A123456789", "陳美玲", "鄰居報案", "王小明"):
        assert secret not in str(read)


async def test_agency_status_reads_and_refused_reads_are_not_recorded(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    report_id = await posted(client, keys, report)

    assert (await client.get(f"/v1/reports/{report_id}", headers=keys.police.headers)).status_code == 200
    assert (await client.get(f"/v1/reports/{report_id}", headers=keys.school.headers)).status_code == 404
    assert (await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_nantou.headers)).status_code == 404

    assert without_key_records(await records(engine)) == []


async def test_unit_reads_and_the_console_report_page_are_recorded(
    client: httpx.AsyncClient, engine: Any, keys: Any, mint_key: Any, report: Any
) -> None:
    report_id = await posted(client, keys, report)
    await refer(engine, report_id)
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")

    assert (await client.get(f"/v1/reports/{report_id}", headers=unit.headers)).status_code == 200
    page = await client.get(f"/console/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200

    recorded = without_key_records(await records(engine))
    # The console's page also shows the subject history, a read of its own (issue 13).
    by_unit, by_console = [r for r in recorded if r["action"] != "read_subject_history"]
    assert [r["endpoint"] for r in recorded if r["action"] == "read_subject_history"] == [
        "GET /console/reports/{report_id}"
    ]
    assert (by_unit["actor_role"], by_unit["detail"]) == ("unit", {"fields": ["subjects", "narrative"]})
    assert by_console["endpoint"] == "GET /console/reports/{report_id}"
    assert (by_console["actor_key_id"], by_console["report_id"]) == (keys.dispatcher_miaoli.principal.key_id, report_id)


async def test_the_high_danger_list_records_a_read_of_each_report_listed(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    high = await posted(client, keys, report)  # TIPVDA 9
    await posted(client, keys, report, indicators={"tipvda_score": 2})  # not listed
    month = datetime.now(UTC).astimezone(TAIPEI).strftime("%Y-%m")

    response = await client.get(
        "/v1/high-danger", params={"county": "苗栗縣", "month": month}, headers=keys.dispatcher_miaoli.headers
    )

    assert response.status_code == 200 and [r["report_id"] for r in response.json()["reports"]] == [high]
    [listed] = without_key_records(await records(engine))
    assert (listed["action"], listed["report_id"], listed["endpoint"]) == (
        "read_high_danger_list",
        high,
        "GET /v1/high-danger",
    )
    assert listed["detail"] == {"month": month}


async def test_every_action_is_recorded_with_its_command(
    client: httpx.AsyncClient, engine: Any, keys: Any, mint_key: Any, report: Any
) -> None:
    report_id = await posted(client, keys, report)
    referral_id = await refer(engine, report_id)
    unit = await mint_key(role="unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")

    acked = await client.post(f"/v1/referrals/{referral_id}/acknowledge", headers=unit.headers)
    reassigned = await client.post(
        f"/v1/referrals/{referral_id}/reassign",
        headers=keys.dispatcher_miaoli.headers,
        json={"unit": "苗栗縣/mental_health", "reason": "陳美玲 has a psychiatric history"},
    )

    assert (acked.status_code, reassigned.status_code) == (202, 202)
    ack, move = without_key_records(await records(engine))
    assert (ack["action"], ack["actor_role"], ack["endpoint"]) == (
        "AcknowledgeReferral",
        "unit",
        "POST /v1/referrals/{referral_id}/acknowledge",
    )
    assert (ack["report_id"], ack["referral_id"]) == (report_id, referral_id)
    assert ack["detail"] == {"command_id": acked.json()["command_id"], "fields": []}
    assert move["action"] == "ReassignReferral"
    assert move["detail"] == {
        "command_id": reassigned.json()["command_id"],
        "fields": ["reason", "unit"],
        "unit": "苗栗縣/mental_health",
    }
    assert "陳美玲" not in str(move)  # reasons are free text: the timeline keeps them, the trail does not


async def test_key_creation_revocation_and_rotation_are_recorded(engine: Any, mint_key: Any) -> None:
    operator = Actor(key_id=None, name="ops@host", role="operator")
    key = await mint_key(role="agency", name="苗栗縣政府警察局", county="苗栗縣", agency_type="police")
    rotated = await key_admin.rotate_key(key_id=key.principal.key_id, uow=IntakeUnitOfWork(engine), operator=operator)
    await key_admin.revoke_key(key_id=rotated.new.key_id, uow=IntakeUnitOfWork(engine), operator=operator)

    created, rotation, revocation = await records(engine)
    assert (created["action"], created["detail"]["key_id"], created["county"]) == (
        "create_key",
        key.principal.key_id,
        "苗栗縣",
    )
    assert (rotation["action"], rotation["actor_name"], rotation["actor_role"]) == (
        "rotate_key",
        "ops@host",
        "operator",
    )
    assert rotation["detail"]["key_id"] == key.principal.key_id
    assert rotation["detail"]["new_key_id"] == rotated.new.key_id
    assert (revocation["action"], revocation["detail"]["key_id"]) == ("revoke_key", rotated.new.key_id)
    assert rotated.secret not in str([created, rotation, revocation])


# -- the chain ------------------------------------------------------------------------------------


async def test_the_chain_links_every_record_and_verifies(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    report_id = await posted(client, keys, report)
    url = f"/v1/reports/{report_id}"
    # Concurrent reads still make one chain (appends are serialized).
    responses = await asyncio.gather(*(client.get(url, headers=keys.dispatcher_miaoli.headers) for _ in range(8)))
    assert {r.status_code for r in responses} == {200}

    rows = await records(engine)
    assert len(rows) == 4 + 8  # the four keys minted by the fixture, the eight reads
    assert rows[0]["prev_hash"] == "0" * 64
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert len({r["hash"] for r in rows}) == len(rows)
    verdict = await verify_trail(engine)
    assert (verdict.broken, verdict.count, verdict.head) == (None, 12, rows[-1]["hash"])


def audit_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAFETYNET, "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SAFETYNET_DATABASE_URL": database_url},
    )


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL refuses the change itself (see the trigger test)")
async def test_audit_verify_names_a_changed_record(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any, database_url: str
) -> None:
    report_id = await posted(client, keys, report)
    for _ in range(3):
        await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    assert audit_verify(database_url).returncode == 0
    target = (await records(engine))[5]

    # Someone hides who read the report.
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.audit_records).where(orm.audit_records.c.seq == target["seq"]).values(actor_name="someone else")
        )
    changed = await asyncio.to_thread(audit_verify, database_url)

    assert changed.returncode == 1, changed.stdout
    assert f"record {target['seq']} ({target['record_id']})" in changed.stdout
    assert "content does not match its hash" in changed.stdout


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL refuses the change itself (see the trigger test)")
async def test_audit_verify_names_the_record_after_a_removed_one(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any, database_url: str
) -> None:
    report_id = await posted(client, keys, report)
    for _ in range(3):
        await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    rows = await records(engine)

    async with engine.begin() as conn:
        await conn.execute(delete(orm.audit_records).where(orm.audit_records.c.seq == rows[5]["seq"]))
    removed = await asyncio.to_thread(audit_verify, database_url)

    assert removed.returncode == 1
    assert f"record {rows[6]['seq']} ({rows[6]['record_id']})" in removed.stdout
    assert "does not follow the record before it" in removed.stdout


@pytest.mark.skipif(not ON_POSTGRES, reason="the trigger exists on PostgreSQL only")
async def test_postgresql_refuses_to_change_or_remove_a_record(engine: Any, keys: Any) -> None:
    for change in (update(orm.audit_records).values(actor_name="someone else"), delete(orm.audit_records)):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(change)
    assert (await verify_trail(engine)).broken is None


# -- GET /v1/audit ------------------------------------------------------------------------------------


async def test_supervisors_query_their_countys_trail_by_report_and_by_actor(
    client: httpx.AsyncClient, engine: Any, keys: Any, mint_key: Any, report: Any
) -> None:
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county="苗栗縣")
    nantou = await mint_key(role="supervisor", name="南投督導", county="南投縣")
    first, second = await posted(client, keys, report), await posted(client, keys, report)
    for report_id in (first, second, first):
        await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    by_report = await client.get("/v1/audit", params={"report_id": first}, headers=supervisor.headers)
    by_key = await client.get(
        "/v1/audit", params={"actor": keys.dispatcher_miaoli.principal.key_id}, headers=supervisor.headers
    )
    by_name = await client.get("/v1/audit", params={"actor": "苗栗派案員", "limit": 2}, headers=supervisor.headers)
    page_two = await client.get(
        "/v1/audit",
        params={"actor": "苗栗派案員", "limit": 2, "before": by_name.json()["next_before"]},
        headers=supervisor.headers,
    )
    elsewhere = await client.get("/v1/audit", params={"report_id": first}, headers=nantou.headers)

    assert by_report.status_code == 200
    assert [(r["report_id"], r["action"]) for r in by_report.json()["records"]] == [(first, "read_report")] * 2
    record = by_report.json()["records"][0]
    assert record["actor"] == {
        "key_id": keys.dispatcher_miaoli.principal.key_id,
        "name": "苗栗派案員",
        "role": "dispatcher",
    }
    assert {"seq", "record_id", "at", "endpoint", "client", "county", "detail", "hash", "prev_hash"} <= set(record)
    assert [r["report_id"] for r in by_key.json()["records"]] == [first, second, first]  # newest first
    assert [r["report_id"] for r in by_name.json()["records"] + page_two.json()["records"]] == [first, second, first]
    assert page_two.json()["next_before"] is None
    assert (elsewhere.status_code, elsewhere.json()["records"]) == (200, [])  # another county's: nothing


@pytest.mark.parametrize("role", ["agency", "dispatcher", "unit"])
async def test_only_supervisors_and_admins_query_the_trail(role: str, client: httpx.AsyncClient, mint_key: Any) -> None:
    key = await mint_key(
        role=role,
        name=f"苗栗{role}",
        county="苗栗縣",
        agency_type="police" if role == "agency" else None,
        unit="苗栗縣/protection" if role == "unit" else None,
    )
    admin = await mint_key(role="admin", name="苗栗管理者", county="苗栗縣")

    assert (await client.get("/v1/audit", headers=key.headers)).status_code == 403
    assert (await client.get("/v1/audit")).status_code == 401
    assert (await client.get("/v1/audit", headers=admin.headers)).status_code == 200
