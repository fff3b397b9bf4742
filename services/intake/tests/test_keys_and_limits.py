"""API keys that are revoked, rotated and expire; per-key rate limits (429, Retry-After);
and the `safetynet keys` commands."""

import asyncio
import os
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.api.ratelimit import TokenBuckets
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer import keys as key_admin
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import IntakeSettings
from tests.support.processes import SAFETYNET


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def accepted(client: httpx.AsyncClient, key: Any, report: Any) -> str:
    response = await client.post("/v1/reports", json=report(), headers=key.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


# -- revoke ---------------------------------------------------------------------------------------


async def test_a_revoked_key_is_401_at_once_and_its_console_session_ends(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    report_id = await accepted(client, keys.police, report)
    assert (await client.get("/console", headers=keys.dispatcher_miaoli.headers)).status_code == 200

    revoked = await key_admin.revoke_key(key_id=keys.police.principal.key_id, uow=IntakeUnitOfWork(engine))
    await key_admin.revoke_key(key_id=keys.dispatcher_miaoli.principal.key_id, uow=IntakeUnitOfWork(engine))

    assert revoked.name == "苗栗縣政府警察局"
    assert (await client.get(f"/v1/reports/{report_id}", headers=keys.police.headers)).status_code == 401
    assert (await client.post("/v1/reports", json=report(), headers=keys.police.headers)).status_code == 401
    assert (await client.get("/console/queue", headers=keys.dispatcher_miaoli.headers)).status_code == 401
    with pytest.raises(key_admin.UnknownKey):  # twice
        await key_admin.revoke_key(key_id=keys.police.principal.key_id, uow=IntakeUnitOfWork(engine))
    with pytest.raises(key_admin.UnknownKey):
        await key_admin.revoke_key(key_id="no-such-key", uow=IntakeUnitOfWork(engine))


# -- rotate ---------------------------------------------------------------------------------------


async def test_rotation_gives_the_same_principal_a_new_secret_and_revokes_the_old(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any
) -> None:
    report_id = await accepted(client, keys.police, report)

    rotated = await key_admin.rotate_key(key_id=keys.police.principal.key_id, uow=IntakeUnitOfWork(engine))

    new = bearer(rotated.secret)
    assert rotated.secret != keys.police.secret and rotated.new.key_id != keys.police.principal.key_id
    assert (rotated.new.role, rotated.new.name, rotated.new.county, rotated.new.agency_type) == (
        "agency",
        "苗栗縣政府警察局",
        "苗栗縣",
        "police",
    )
    assert (await client.get(f"/v1/reports/{report_id}", headers=keys.police.headers)).status_code == 401
    still_mine = await client.get(f"/v1/reports/{report_id}", headers=new)
    assert still_mine.status_code == 200 and still_mine.json()["report_id"] == report_id
    assert (await client.post("/v1/reports", json=report(), headers=new)).status_code == 202
    with pytest.raises(key_admin.UnknownKey):  # a revoked key cannot be rotated back to life
        await key_admin.rotate_key(key_id=keys.police.principal.key_id, uow=IntakeUnitOfWork(engine))


async def test_rotation_keeps_the_keys_lifetime_unless_told(engine: Any) -> None:
    principal, _ = await handlers.create_key(
        role="dispatcher",
        name="d",
        county="苗栗縣",
        uow=IntakeUnitOfWork(engine),
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )

    kept = await key_admin.rotate_key(key_id=principal.key_id, uow=IntakeUnitOfWork(engine))
    told = await key_admin.rotate_key(key_id=kept.new.key_id, uow=IntakeUnitOfWork(engine), expires_in_days=7)

    assert kept.expires_at is not None
    assert timedelta(days=29, hours=23) < kept.expires_at - datetime.now(UTC) <= timedelta(days=30)
    assert told.expires_at is not None
    assert timedelta(days=6, hours=23) < told.expires_at - datetime.now(UTC) <= timedelta(days=7)


# -- expire ---------------------------------------------------------------------------------------


async def test_an_expired_key_is_401_for_the_api_and_the_console(
    client: httpx.AsyncClient, engine: Any, report: Any
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    _, secret = await handlers.create_key(
        role="agency",
        name="苗栗縣政府警察局",
        county="苗栗縣",
        agency_type="police",
        uow=IntakeUnitOfWork(engine),
        expires_at=soon,
    )
    staff, staff_secret = await handlers.create_key(
        role="dispatcher", name="d", county="苗栗縣", uow=IntakeUnitOfWork(engine), expires_at=soon
    )
    assert (await client.post("/v1/reports", json=report(), headers=bearer(secret))).status_code == 202
    assert (await client.get("/console", headers=bearer(staff_secret))).status_code == 200

    async with engine.begin() as conn:  # an hour later
        await conn.execute(update(orm.api_keys).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    expired = await client.post("/v1/reports", json=report(), headers=bearer(secret))
    assert expired.status_code == 401 and expired.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/console/queue", headers=bearer(staff_secret))).status_code == 401
    async with IntakeUnitOfWork(engine) as uow:
        assert await uow.keys.by_id(staff.key_id) is None  # console sessions look keys up by id


def test_expiry_needs_a_positive_number_of_days() -> None:
    with pytest.raises(ValueError):
        key_admin.expiry(0)
    assert key_admin.expiry(None) is None


# -- rate limits ----------------------------------------------------------------------------------


@pytest.fixture
async def limited(settings: IntakeSettings, engine: Any, broker: Any) -> Any:
    from safetynet.cli.services import service_module

    app = (
        service_module("intake")
        .bootstrap(
            settings=IntakeSettings(database_url=settings.database_url, kafka_bootstrap=None, rate_limit_per_minute=3),
            engine=engine,
            broker=broker,
        )
        .app
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as client:
        yield client


async def test_past_its_rate_a_key_gets_429_with_retry_after(limited: httpx.AsyncClient, keys: Any) -> None:
    answers = [await limited.get("/v1/queue", headers=keys.dispatcher_miaoli.headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) == 20  # 3 a minute: a token every 20 s
    # Another key has its own bucket; requests without a key are not counted against anyone.
    assert (await limited.get("/v1/queue", headers=keys.dispatcher_nantou.headers)).status_code == 200
    assert (await limited.get("/v1/queue")).status_code == 401


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # a token a second, bursts of 60
    assert [buckets.take("k") for _ in range(60)] == [0] * 60
    assert buckets.take("k") == 1
    now[0] += 1.0
    assert buckets.take("k") == 0 and buckets.take("k") == 1
    now[0] += 1000
    assert [buckets.take("k") for _ in range(61)][-2:] == [0, 1]  # refilled to the burst, no further
    assert TokenBuckets(0).take("k") == 0  # 0: no limit


# -- the commands ---------------------------------------------------------------------------------


def safetynet(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAFETYNET, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SAFETYNET_DATABASE_URL": database_url},
    )


async def test_keys_commands_create_rotate_and_revoke(
    database_url: str, engine: Any, client: httpx.AsyncClient, report: Any
) -> None:
    created = await asyncio.to_thread(
        safetynet,
        "keys",
        "create",
        "--role",
        "agency",
        "--name",
        "苗栗縣政府警察局",
        "--county",
        "苗栗縣",
        "--agency-type",
        "police",
        "--expires-in-days",
        "30",
        database_url=database_url,
    )
    assert created.returncode == 0, created.stderr
    key_id, secret = created.stdout.split()[3], created.stdout.strip().splitlines()[-1]
    assert "expires" in created.stdout

    rotated = await asyncio.to_thread(safetynet, "keys", "rotate", key_id, database_url=database_url)
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.strip().splitlines()[-1]
    assert (await client.post("/v1/reports", json=report(), headers=bearer(secret))).status_code == 401
    assert (await client.post("/v1/reports", json=report(), headers=bearer(new_secret))).status_code == 202

    again = await asyncio.to_thread(safetynet, "keys", "revoke", key_id, database_url=database_url)
    assert again.returncode == 2 and "already revoked" in again.stderr
    verified = await asyncio.to_thread(safetynet, "audit", "verify", database_url=database_url)
    assert verified.returncode == 0 and "audit trail intact: 2 records" in verified.stdout
