"""Intake while its database cannot be reached: 503 with Retry-After, never 500
(issue 11, item 11). The engine points at a port where nothing listens, as during a
PostgreSQL restart."""

from collections.abc import AsyncIterator

import httpx
import pytest

from safetynet.cli.services import service_module
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.messaging.sqlbus import SqlLogBroker
from safetynet.platform.storage import make_engine
from tests.support.processes import free_port
from tests.support.scenarios import SCENARIOS, with_fresh_ids

ELDER = next(s for s in SCENARIOS if s.name == "elder_abuse_no_injury")


@pytest.fixture
async def unreachable() -> AsyncIterator[httpx.AsyncClient]:
    url = f"postgresql+asyncpg://safetynet:safetynet@127.0.0.1:{free_port()}/safetynet"
    settings = IntakeSettings(database_url=url, kafka_bootstrap=None)
    engine = make_engine(url, schemas=("intake",))
    intake = service_module("intake").bootstrap(settings=settings, engine=engine, broker=SqlLogBroker(engine))
    transport = httpx.ASGITransport(app=intake.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client
    await engine.dispose()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["retry-after"]) > 0


async def test_the_api_answers_503_with_retry_after(unreachable: httpx.AsyncClient) -> None:
    bearer = {"Authorization": "Bearer sn_whatever"}
    posted = await unreachable.post("/v1/reports", json=with_fresh_ids(ELDER.body), headers=bearer)
    assert_unavailable(posted)
    assert "unreachable" in posted.json()["detail"]
    assert_unavailable(await unreachable.get("/v1/reports/00000000-0000-0000-0000-000000000000", headers=bearer))
    assert_unavailable(await unreachable.get("/v1/queue", headers=bearer))


async def test_the_console_answers_503_with_retry_after(unreachable: httpx.AsyncClient) -> None:
    page = await unreachable.get("/console", headers={"Authorization": "Bearer sn_whatever"})
    assert_unavailable(page)
    assert "text/html" in page.headers["content-type"]
    form = await unreachable.get("/console/sign-in")
    if form.status_code == 200:  # the form itself needs no database; signing in does
        token = form.text.split('name="signin_token" value="', 1)[1].split('"', 1)[0]
        signed = await unreachable.post(
            "/console/sign-in", data={"key": "sn_whatever", "signin_token": token, "next": "/console"}
        )
        assert_unavailable(signed)
    else:
        assert_unavailable(form)


async def test_readiness_says_not_ready_and_liveness_stays_up(unreachable: httpx.AsyncClient) -> None:
    assert (await unreachable.get("/healthz")).status_code == 200
    assert (await unreachable.get("/readyz")).status_code == 503
