"""Waiting out dependencies (issue 11, item 11): retried with capped backoff, reported by
/readyz meanwhile, and outages told apart from bugs."""

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import exc as sa

from safetynet.platform.messaging.readiness import AfterDependencies, Backoff, Dependencies, gate_readiness, unavailable


def test_backoff_grows_and_is_capped() -> None:
    delays = Backoff(first=1, cap=8).delays()
    got = [next(delays) for _ in range(7)]
    assert 0.8 <= got[0] <= 1.2 and 6.4 <= got[-1] <= 9.6
    assert all(d <= 8 * 1.2 for d in got)


async def test_a_service_waits_for_its_dependencies_then_runs_and_readyz_follows() -> None:
    broker_up = asyncio.Event()
    attempts = {"kafka": 0}

    async def kafka() -> None:
        attempts["kafka"] += 1
        if not broker_up.is_set():
            raise ConnectionRefusedError("broker down")

    async def database() -> None:
        return None

    dependencies = Dependencies(
        "notify", [("postgresql", database), ("kafka", kafka)], backoff=Backoff(first=0.01, cap=0.05)
    )
    ran = asyncio.Event()

    class Runtime:
        name = "notify"

        async def run(self, stop: asyncio.Event) -> None:
            ran.set()
            await stop.wait()

    app = FastAPI()
    app.get("/readyz")(lambda: {"status": "ready"})
    app.get("/healthz")(lambda: {"status": "ok"})
    gate_readiness(app, dependencies)
    stop = asyncio.Event()
    task = asyncio.create_task(AfterDependencies(Runtime(), dependencies).run(stop))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ops") as http:
        while attempts["kafka"] < 3:
            await asyncio.sleep(0.01)
        waiting = await http.get("/readyz")
        assert waiting.status_code == 503 and waiting.json()["waiting_on"] == "kafka"
        assert (await http.get("/healthz")).status_code == 200
        assert not ran.is_set() and not task.done()
        broker_up.set()
        await asyncio.wait_for(ran.wait(), 30)
        assert (await http.get("/readyz")).status_code == 200
    stop.set()
    await asyncio.wait_for(task, 30)


async def test_stopping_while_waiting_ends_the_wait() -> None:
    async def never() -> None:
        raise OSError("unreachable")

    dependencies = Dependencies("screening", [("postgresql", never)], backoff=Backoff(first=0.01, cap=0.02))
    stop = asyncio.Event()
    waiting = asyncio.create_task(dependencies.wait(stop))
    await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(waiting, 30) is False and not dependencies.ready


def test_outages_are_told_from_bugs() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    assert unavailable(refused)
    assert unavailable(sa.OperationalError("SELECT 1", {}, refused))
    wrapped = sa.DBAPIError("SELECT 1", {}, Exception("boom"))
    wrapped.__cause__ = refused
    assert unavailable(wrapped)
    assert not unavailable(ValueError("bug"))
    assert not unavailable(sa.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not unavailable(sa.ProgrammingError("SELEC 1", {}, Exception("syntax error")))
