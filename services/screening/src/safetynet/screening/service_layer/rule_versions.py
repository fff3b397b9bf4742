"""Rule versions as an administrator uses them: list, show, import, activate, replay.

Activation is audited in screening's own append-only table (who, when, from which
version to which, and why). A replay reads stored history in a transaction it rolls
back, and decides in memory: it cannot write a live table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.report import TAIPEI
from safetynet.screening import domain
from safetynet.screening.adapters.contracts import to_replay_case
from safetynet.screening.adapters.repository import Activation, ScreeningRepository
from safetynet.screening.domain.replay import ReplaySummary, replay


class RuleVersionProblem(ValueError):
    """An administrator's request that cannot be done as asked (the message says why)."""


@dataclass(frozen=True)
class RuleVersionEntry:
    version: str
    model: str
    title: str
    source: str  # shipped | imported
    active: bool


@dataclass(frozen=True)
class RuleVersionListing:
    active: str
    default: str
    versions: list[RuleVersionEntry]
    activations: list[Activation]


@dataclass(frozen=True)
class ReplayRun:
    summary: ReplaySummary
    start: date
    end: date
    county: str | None
    seconds: float  # wall time of the whole replay, loading included


async def _documents(repository: ScreeningRepository) -> dict[str, tuple[str, dict[str, Any]]]:
    """version -> (source, document), shipped ones first."""
    found = {v: ("shipped", d.model_dump(mode="json")) for v, d in domain.SHIPPED_DOCUMENTS.items()}
    for version, document in (await repository.imported_documents()).items():
        found.setdefault(version, ("imported", document))
    return found


async def listing(engine: AsyncEngine) -> RuleVersionListing:
    async with engine.connect() as conn:
        repository = ScreeningRepository(conn)
        active = await repository.active_version() or domain.DEFAULT_VERSION
        documents = await _documents(repository)
        entries = [
            RuleVersionEntry(
                version=version,
                model=str(document["model"]),
                title=str(document["title"]),
                source=source,
                active=version == active,
            )
            for version, (source, document) in documents.items()
        ]
        return RuleVersionListing(
            active=active,
            default=domain.DEFAULT_VERSION,
            versions=entries,
            activations=await repository.activations(),
        )


async def resolve_version(repository: ScreeningRepository, name: str) -> str:
    """An exact version (shipped or imported), or a model name ("v1") for its newest shipped one."""
    if await repository.ruleset(name) is not None:
        return name
    shipped = domain.shipped_version(name)
    if shipped is None:
        raise RuleVersionProblem(f"unknown rule version {name!r} (see `safetynet rules list`)")
    return shipped


async def document(engine: AsyncEngine, name: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        repository = ScreeningRepository(conn)
        version = await resolve_version(repository, name)
        return (await _documents(repository))[version][1]


async def import_document(engine: AsyncEngine, raw: Any, *, by: str) -> str:
    parsed = domain.parse_document(raw)  # RuleSetError (a ValueError) names the bad fields
    canonical = parsed.model_dump(mode="json")
    async with engine.begin() as conn:
        repository = ScreeningRepository(conn)
        existing = (await _documents(repository)).get(parsed.version)
        if existing is not None:
            if existing[1] == canonical:
                return parsed.version  # importing the same document again changes nothing
            raise RuleVersionProblem(
                f"rule version {parsed.version} already exists with other content: give the new one its own version"
            )
        await repository.add_rule_version(version=parsed.version, document=canonical, by=by)
    return parsed.version


async def activate(engine: AsyncEngine, name: str, *, by: str, note: str | None) -> Activation:
    if not by.strip():
        raise RuleVersionProblem("an activation must say who made it (--by)")
    async with engine.begin() as conn:
        repository = ScreeningRepository(conn)
        version = await resolve_version(repository, name)
        previous = await repository.active_version() or domain.DEFAULT_VERSION
        await repository.add_activation(version=version, previous_version=previous, by=by.strip(), note=note)
        return (await repository.activations())[-1]


def _taipei_midnight(day: date) -> datetime:
    return datetime.combine(day, clock_time(0), tzinfo=TAIPEI)


async def run_replay(
    engine: AsyncEngine,
    raw_candidate: Any,
    *,
    start: date,
    end: date,
    county: str | None,
    directory: domain.UnitDirectory,
) -> ReplayRun:
    began = time.perf_counter()
    conn = await engine.connect()
    try:
        # Read-only by construction: nothing below writes, and the transaction is rolled back.
        transaction = await conn.begin()
        run = await replay_stored(
            ScreeningRepository(conn), raw_candidate, start=start, end=end, county=county, directory=directory
        )
        await transaction.rollback()
    finally:
        await conn.close()
    return replace(run, seconds=time.perf_counter() - began)


async def replay_stored(
    repository: ScreeningRepository,
    raw_candidate: Any,
    *,
    start: date,
    end: date,
    county: str | None,
    directory: domain.UnitDirectory,
) -> ReplayRun:
    """The replay, reading through `repository` (the caller's transaction) and writing nothing."""
    if end < start:
        raise RuleVersionProblem(f"the last day {end} (to) is before the first {start} (from)")
    candidate = domain.parse_document(raw_candidate).to_ruleset()  # RuleSetError names the bad fields
    began = time.perf_counter()
    stored = await repository.decided_between(
        start=_taipei_midnight(start), end=_taipei_midnight(end + timedelta(days=1)), county=county
    )
    summary = replay((to_replay_case(s) for s in stored), candidate=candidate, directory=directory)
    return ReplayRun(summary=summary, start=start, end=end, county=county, seconds=time.perf_counter() - began)


def run_as_dict(run: ReplayRun) -> dict[str, Any]:
    """The replay's result as JSON-ready data (the CLI's --json, and the console's summary)."""
    summary = run.summary
    units: dict[str, dict[str, Any]] = {}
    for load in summary.weekly_load:
        unit = units.setdefault(load.unit, {"unit": load.unit, "before": 0, "after": 0, "weeks": []})
        unit["before"] += load.before
        unit["after"] += load.after
        unit["weeks"].append({"week": load.week.isoformat(), "before": load.before, "after": load.after})
    outcomes = summary.outcomes
    return {
        "candidate": summary.candidate_version,
        "from": run.start.isoformat(),
        "to": run.end.isoformat(),
        "county": run.county,
        "reports": summary.reports,
        "recorded_versions": summary.recorded_versions,
        "changed": {
            "reports": len(summary.changed_report_ids),
            "risk_level": summary.risk_changed,
            "risk_transitions": summary.risk_transitions,
            "destinations": summary.destinations_changed,
            "direct_dispatch": summary.direct_dispatch_changed,
            # Why: how many reports gain or lose each reason code (any change counts here,
            # including one that adds only a reason, such as EARLY_INTERVENTION).
            "reasons": len(summary.changes),
            "reasons_added": summary.reasons_added,
            "reasons_removed": summary.reasons_removed,
        },
        "changed_report_ids": list(summary.changed_report_ids),
        "changes": [
            {
                "report_id": change.report_id,
                "risk": change.risk,
                "destinations": change.destinations,
                "direct_dispatch": change.direct_dispatch,
                "added": list(change.added),
                "removed": list(change.removed),
            }
            for change in summary.changes
        ],
        "units": list(units.values()),
        "outcomes": {
            "referrals_with_result": outcomes.referrals_with_result,
            "not_sent_not_opened": outcomes.not_sent_not_opened,
            "not_sent_opened": outcomes.not_sent_opened,
            "not_sent_still_open": outcomes.not_sent_still_open,
        },
        "seconds": round(run.seconds, 3),
    }
