"""What the `safetynet` command may do to screening, and all it reaches of it: migrations
and rule versions (list, show, import, activate, replay)."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.platform.counties import CountyDirectory
from safetynet.platform.migrations import upgrade
from safetynet.screening.adapters import orm
from safetynet.screening.adapters.repository import Activation
from safetynet.screening.bootstrap import MIGRATIONS
from safetynet.screening.service_layer import rule_versions
from safetynet.screening.service_layer.rule_versions import (
    ReplayRun,
    RuleVersionEntry,
    RuleVersionListing,
    RuleVersionProblem,
)
from safetynet.screening.settings import ScreeningSettings

__all__ = [
    "Activation",
    "ReplayRun",
    "RuleVersionEntry",
    "RuleVersionListing",
    "RuleVersionProblem",
]


async def migrate(*, engine: AsyncEngine) -> None:
    """Bring screening's tables to the newest migration."""
    await upgrade(engine, schema=orm.SCHEMA, script_location=MIGRATIONS)


async def list_rule_versions(*, engine: AsyncEngine) -> RuleVersionListing:
    """Every known rule version, the active one, and the activation log."""
    return await rule_versions.listing(engine)


async def show_rule_version(*, engine: AsyncEngine, version: str) -> dict[str, Any]:
    """The document of a version (exact, or a model name such as v1 for its newest shipped one)."""
    return await rule_versions.document(engine, version)


async def import_rule_version(*, engine: AsyncEngine, document: Any, by: str) -> str:
    """Store a validated version document so it can be activated; its version."""
    return await rule_versions.import_document(engine, document, by=by)


async def activate_rule_version(*, engine: AsyncEngine, version: str, by: str, note: str | None = None) -> Activation:
    """Make `version` the one screening decides with, recorded in the activation log."""
    return await rule_versions.activate(engine, version, by=by, note=note)


async def replay_rule_version(
    *, engine: AsyncEngine, candidate: Any, start: date, end: date, county: str | None, settings: ScreeningSettings
) -> ReplayRun:
    """Re-decide stored reports received in [start, end] under `candidate`, writing nothing."""
    directory = CountyDirectory.load(settings.county_data)
    return await rule_versions.run_replay(engine, candidate, start=start, end=end, county=county, directory=directory)


def replay_as_dict(*, run: ReplayRun) -> dict[str, Any]:
    """A replay's result as JSON-ready data."""
    return rule_versions.run_as_dict(run)
