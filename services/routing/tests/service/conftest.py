"""Routing on a real (SQLite) database with its migrations: the fixtures both service
test modules use."""

from pathlib import Path

import pytest

from safetynet.contracts.envelope import Envelope
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.consumer import bind_handlers
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import make_engine
from safetynet.routing.bootstrap import MIGRATIONS
from safetynet.routing.service_layer.messagebus import HANDLERS, Dependencies
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork


@pytest.fixture
async def engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", schemas=("routing",))
    await upgrade(engine, schema="routing", script_location=MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture
def handle(engine):
    handlers = bind_handlers(
        HANDLERS, Dependencies(uow_factory=lambda: RoutingUnitOfWork(engine), directory=CountyDirectory.load())
    )

    async def handle(envelope: Envelope) -> None:
        await handlers[envelope.type](envelope)

    return handle
