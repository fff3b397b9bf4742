"""Fixtures for the intake API tests.

Every test gets a fresh SQLite database under its own tmp_path, with the intake and
screening migrations applied, the embedded broker (SqlLogBroker) and the intake app
bootstrapped on it. The HTTP client talks to the app in-process through
httpx.ASGITransport. The consumer loops are not running unless a test asks for the
`running_pipeline` fixture.

Set SAFETYNET_TEST_POSTGRES_URL (for example postgresql://postgres@127.0.0.1:5432/postgres)
to run the same tests on PostgreSQL instead: each test then gets its own new database,
created through that URL and dropped afterwards.
"""

import asyncio
import copy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from safetynet.cli.services import service_module
from safetynet.intake.domain.access import Principal
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.messaging.sqlbus import SqlLogBroker
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import is_sqlite, make_engine
from tests.support.databases import postgres_database

MIGRATED_SERVICES = ("intake", "screening")

# A valid report, as DOMAIN.md's example: every optional block present.
VALID_REPORT: dict[str, Any] = {
    "county": "苗栗縣",
    "township": "頭份市",
    "source": {
        "agency_type": "police",
        "agency_name": "苗栗縣警察局頭份分局",
        "reporter_name": "王小明",
        "reporter_phone": "037-000000",
        "mandated_reporter": True,
    },
    "categories": ["intimate_partner_violence"],
    "occurred_at": "2026-11-20T21:30:00+08:00",
    "subjects": [
        {"role": "victim", "name": "陳美玲", "national_id": "A223456781", "birth_date": "1990-01-01", "sex": "F"},
        {"role": "offender", "name": "林大同", "national_id": "A123456789", "age": 40, "sex": "M"},
    ],
    "household": {"children_under_6": 1, "children_under_18": 2},
    "indicators": {
        "tipvda_score": 9,
        "injury": "none",
        "weapon": False,
        "threat_to_kill": False,
        "offender_lives_with_victim": True,
        "suicide_attempt": False,
        "suicide_ideation": False,
        "suspected_mental_illness": False,
        "youth_law_violation": False,
        "economic_hardship": False,
    },
    "narrative": "鄰居報案：夜間聽到爭吵與摔東西的聲音。",
}


def make_report(**overrides: Any) -> dict[str, Any]:
    """A deep copy of VALID_REPORT with top-level fields replaced."""
    body = copy.deepcopy(VALID_REPORT)
    body.update(copy.deepcopy(overrides))
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass(frozen=True)
class Key:
    principal: Principal
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.secret)


@dataclass(frozen=True)
class Keys:
    """The standard cast: two agencies of different types, one dispatcher per county."""

    police: Key  # agency 苗栗縣政府警察局, agency_type police
    school: Key  # agency 南投縣立南投國中, agency_type school (a different agency)
    dispatcher_miaoli: Key
    dispatcher_nantou: Key


POSTGRES_ADMIN_URL = os.environ.get("SAFETYNET_TEST_POSTGRES_URL")


@pytest.fixture
async def database_url(tmp_path: Any) -> AsyncIterator[str]:
    if not POSTGRES_ADMIN_URL:
        yield f"sqlite+aiosqlite:///{tmp_path}/intake-{uuid.uuid4().hex}.db"
        return
    async with postgres_database(POSTGRES_ADMIN_URL) as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> IntakeSettings:
    # The app under test runs on the embedded broker, whatever SAFETYNET_KAFKA_BOOTSTRAP the
    # environment holds (CI exports the real broker's): embedded-mode defaults, plain-HTTP
    # cookies included. The Secure-cookie behaviour has tests of its own.
    return IntakeSettings(database_url=database_url, kafka_bootstrap=None)


@pytest.fixture
async def engine(settings: IntakeSettings) -> AsyncIterator[Any]:
    engine = make_engine(settings.database_url, schemas=MIGRATED_SERVICES)
    if not is_sqlite(settings.database_url):
        async with engine.begin() as conn:  # the embedded broker's schema
            await conn.execute(text("CREATE SCHEMA IF NOT EXISTS bus"))
    for name in MIGRATED_SERVICES:
        await upgrade(engine, schema=name, script_location=service_module(name).MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture
async def broker(engine: Any) -> AsyncIterator[SqlLogBroker]:
    broker = SqlLogBroker(engine)
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture
def intake(settings: IntakeSettings, engine: Any, broker: SqlLogBroker) -> Any:
    return service_module("intake").bootstrap(settings=settings, engine=engine, broker=broker)


@pytest.fixture
async def client(intake: Any) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a crash shows as the 500 a partner would get, so the
    # tests can assert on status codes instead of stopping at an exception.
    transport = httpx.ASGITransport(app=intake.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


MintKey = Callable[..., Awaitable[Key]]


@pytest.fixture
def mint_key(engine: Any) -> MintKey:
    """Mint a key through handlers.create_key: `await mint_key(role=..., name=..., ...)`."""

    async def mint(
        *, role: str, name: str, county: str, agency_type: str | None = None, unit: str | None = None
    ) -> Key:
        principal, secret = await handlers.create_key(
            role=role,
            name=name,
            county=county,
            agency_type=agency_type,
            unit=unit,
            uow=IntakeUnitOfWork(engine),
        )
        return Key(principal, secret)

    return mint


@pytest.fixture
async def keys(mint_key: MintKey) -> Keys:
    return Keys(
        police=await mint_key(role="agency", name="苗栗縣政府警察局", county="苗栗縣", agency_type="police"),
        school=await mint_key(role="agency", name="南投縣立南投國中", county="南投縣", agency_type="school"),
        dispatcher_miaoli=await mint_key(role="dispatcher", name="苗栗派案員", county="苗栗縣"),
        dispatcher_nantou=await mint_key(role="dispatcher", name="南投派案員", county="南投縣"),
    )


@pytest.fixture
def report() -> Callable[..., dict[str, Any]]:
    """`report(**overrides)`: a fresh valid report body (police source, 苗栗縣/頭份市)."""
    return make_report


@pytest.fixture
async def post_report(client: httpx.AsyncClient, keys: Keys) -> Callable[..., Awaitable[httpx.Response]]:
    """`await post_report(body, key=None, headers=None)`: POST /v1/reports as the police
    agency unless another key is given."""

    async def post(body: Any, *, key: Key | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return await client.post("/v1/reports", json=body, headers={**(key or keys.police).headers, **(headers or {})})

    return post


@pytest.fixture
async def running_pipeline(
    intake: Any, settings: IntakeSettings, engine: Any, broker: SqlLogBroker
) -> AsyncIterator[None]:
    """Run intake's relay and projections and the screening service, so that GET shows
    the screening decision. Routing is not running: reports stay without referrals."""
    screening = service_module("screening").bootstrap(settings=settings, engine=engine, broker=broker)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(intake.run(stop)), asyncio.create_task(screening.run(stop))]
    yield
    stop.set()
    await broker.stop()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"a service loop failed: {errors!r}"
