"""Cached API keys on PostgreSQL (issue 10): a key revoked by another process (here
another engine, as `safetynet keys revoke` would) is refused on the next request once its
NOTIFY is in; while the listener is down the cache is bypassed; the listener reconnects
by itself, and waits rather than fails while the database cannot be reached.

Runs against SAFETYNET_TEST_POSTGRES_URL or SAFETYNET_DATABASE_URL (skipped without one),
each test on a database of its own."""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.key_cache import KeyCache
from safetynet.intake.adapters.key_listener import KeyRevocationListener
from safetynet.intake.service_layer import keys
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.messaging.readiness import Backoff
from safetynet.platform.storage import make_engine
from tests.support.databases import postgres_database
from tests.support.processes import free_port

Key = Any  # conftest's Key: a principal and its secret
MintKey = Callable[..., Awaitable[Any]]

_ADMIN_URL = os.environ.get("SAFETYNET_TEST_POSTGRES_URL") or os.environ.get("SAFETYNET_DATABASE_URL", "")
DEADLINE = 30.0  # seconds: generous, only ever reached when something is broken
QUEUE = "/v1/queue"


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A new PostgreSQL database for this test (conftest's own is SQLite unless told)."""
    if "postgresql" not in _ADMIN_URL:
        pytest.skip("no PostgreSQL in SAFETYNET_TEST_POSTGRES_URL or SAFETYNET_DATABASE_URL")
    async with postgres_database(_ADMIN_URL) as url:
        yield url


@pytest.fixture
async def other_process(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Another process's engine: the CLI's, or another intake replica's."""
    engine = make_engine(database_url, schemas=("intake",))
    yield engine
    await engine.dispose()


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


Listen = Callable[..., Awaitable[KeyRevocationListener]]


@pytest.fixture
async def listen(intake: Any, engine: AsyncEngine) -> AsyncIterator[Listen]:
    """`await listen(backoff=...)`: run the app's key cache's listener until the test ends."""
    cache = next(loop.cache for loop in intake.loops if isinstance(loop, KeyRevocationListener))
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def start(backoff: Backoff | None = None) -> KeyRevocationListener:
        listener = KeyRevocationListener(engine, cache, backoff=backoff)
        tasks.append(asyncio.create_task(listener.run(stop)))
        await until(lambda: cache.listening, "the listener to connect")
        return listener

    yield start
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=DEADLINE)  # stops cleanly, never raised


async def revoke_silently(engine: AsyncEngine, key: Key) -> None:
    """A revocation nobody is told about: what a missed notification would look like."""
    async with engine.begin() as conn:
        await conn.execute(
            orm.api_keys.update()
            .where(orm.api_keys.c.key_id == key.principal.key_id)
            .values(revoked_at=datetime.now(UTC))
        )


@pytest.fixture
async def dispatcher(mint_key: MintKey) -> Key:
    return await mint_key(role="dispatcher", name="苗栗派案員", county="苗栗縣")


async def test_without_a_listener_keys_are_looked_up_every_time(
    intake: Any, client: httpx.AsyncClient, dispatcher: Key, other_process: AsyncEngine
) -> None:
    cache: KeyCache = intake.app.state.intake.uow().key_cache
    assert not cache.listening  # nothing listens until the service's loops run
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert len(cache) == 0
    await revoke_silently(other_process, dispatcher)
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 401


async def test_a_key_revoked_elsewhere_is_refused_once_the_notification_is_in(
    intake: Any, client: httpx.AsyncClient, dispatcher: Key, other_process: AsyncEngine, listen: Listen
) -> None:
    listener = await listen()
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert listener.cache.hits >= 1 and len(listener.cache) == 1  # the second came from the cache

    await keys.revoke_key(key_id=dispatcher.principal.key_id, uow=IntakeUnitOfWork(other_process))
    await until(lambda: len(listener.cache) == 0, "the revocation's notification")
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 401


async def test_rotation_elsewhere_refuses_the_old_key_and_the_new_one_works_at_once(
    client: httpx.AsyncClient, dispatcher: Key, other_process: AsyncEngine, listen: Listen
) -> None:
    listener = await listen()
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    rotated = await keys.rotate_key(key_id=dispatcher.principal.key_id, uow=IntakeUnitOfWork(other_process))
    await until(lambda: len(listener.cache) == 0, "the rotation's notification")
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 401
    new = {"Authorization": f"Bearer {rotated.secret}"}
    assert (await client.get(QUEUE, headers=new)).status_code == 200


async def test_a_revocation_in_this_process_is_refused_at_once(
    intake: Any, client: httpx.AsyncClient, dispatcher: Key, listen: Listen
) -> None:
    listener = await listen(backoff=Backoff(first=3600, cap=3600))
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    await keys.revoke_key(key_id=dispatcher.principal.key_id, uow=intake.app.state.intake.uow())
    assert len(listener.cache) == 0  # after the commit, before any notification is read
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 401


async def test_the_cache_is_bypassed_while_the_listener_is_down(
    client: httpx.AsyncClient, dispatcher: Key, other_process: AsyncEngine, engine: AsyncEngine, listen: Listen
) -> None:
    listener = await listen(backoff=Backoff(first=3600, cap=3600))  # stays down once lost
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert len(listener.cache) == 1
    # While listening, the cache does serve: a revocation it is not told about goes unseen.
    await revoke_silently(other_process, dispatcher)
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200

    await terminate(engine, listener)  # as a database restart would
    await until(lambda: not listener.cache.listening, "the listener to notice")
    assert len(listener.cache) == 0
    assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 401  # looked up again


async def test_the_listener_reconnects_and_hears_revocations_again(
    client: httpx.AsyncClient, mint_key: MintKey, other_process: AsyncEngine, engine: AsyncEngine, listen: Listen
) -> None:
    listener = await listen(backoff=Backoff(first=0.05, cap=0.05))
    await terminate(engine, listener)
    await until(lambda: listener.connections == 2 and listener.cache.listening, "the listener to reconnect")
    key = await mint_key(role="dispatcher", name="南投派案員", county="南投縣")
    assert (await client.get(QUEUE, headers=key.headers)).status_code == 200
    assert len(listener.cache) == 1
    await keys.revoke_key(key_id=key.principal.key_id, uow=IntakeUnitOfWork(other_process))
    await until(lambda: len(listener.cache) == 0, "the revocation's notification")
    assert (await client.get(QUEUE, headers=key.headers)).status_code == 401


async def test_the_listener_waits_while_the_database_is_down() -> None:
    engine = make_engine(f"postgresql+asyncpg://safetynet:safetynet@127.0.0.1:{free_port()}/safetynet")
    listener = KeyRevocationListener(engine, KeyCache(), backoff=Backoff(first=0.01, cap=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    try:
        await until(lambda: listener.failures >= 3 or task.done(), "failed attempts")
        assert not task.done()  # still trying, never crashed
        assert not listener.cache.listening
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=DEADLINE)
        await engine.dispose()


async def terminate(engine: AsyncEngine, listener: KeyRevocationListener) -> None:
    """End the listener's database session from the server's side."""
    assert listener.backend_pid is not None
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
