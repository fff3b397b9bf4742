"""Screening on a real (SQLite) database with its migrations: the fixtures its service
tests use."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.consumer import bind_handlers
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine
from safetynet.screening.bootstrap import MIGRATIONS
from safetynet.screening.service_layer.messagebus import EVENT_HANDLERS, Dependencies
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork


@pytest.fixture
async def engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", schemas=("screening",))
    await upgrade(engine, schema="screening", script_location=MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture
def directory() -> CountyDirectory:
    return CountyDirectory.load()


@pytest.fixture
def handle(engine, directory) -> Callable[[Envelope], Awaitable[None]]:
    dependencies = Dependencies(
        uow_factory=lambda: ScreeningUnitOfWork(engine), directory=directory, default_sla_seconds=24 * 3600
    )
    handlers = bind_handlers(EVENT_HANDLERS, dependencies)

    async def handle(envelope: Envelope) -> None:
        handler = handlers.get(envelope.type)
        if handler is not None:  # as the consumer loop: a type screening does not handle is skipped
            await handler(envelope)

    return handle
