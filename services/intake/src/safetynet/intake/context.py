"""What intake's entrypoints are given: the wired service, built once by bootstrap and
held by the HTTP app (`app.state.intake`). Entrypoints reach it through the `Context`
dependency (entrypoints/api/deps.py), never by building their own."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import IntakeSettings as Settings
from safetynet.platform.counties import CountyDirectory


@dataclass
class IntakeContext:
    settings: Settings
    engine: AsyncEngine
    directory: CountyDirectory
    uow: Callable[[], IntakeUnitOfWork]
    wake_relay: Callable[[], None] = lambda: None  # publish now, not at the relay's next poll
