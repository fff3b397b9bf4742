"""What-if replays in the console (issue 13): a supervisor asks, screening replays.

Intake cannot replay itself (the decided inputs and the rule versions are screening's,
and services never import each other): it records the request and publishes
ReplayRequested; screening answers with ReplayCompleted, which is projected here. The
candidate document is checked by screening, the one that reads it; intake checks only
that it is a JSON object and that the period is sound.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from safetynet.contracts import topics
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.rule_replays import ReplayCompleted, ReplayRequested
from safetynet.intake.adapters.rule_replays import RuleReplays
from safetynet.intake.domain.access import Principal
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def request_replay(
    *, principal: Principal, start: date, end: date, candidate: dict[str, Any], uow: IntakeUnitOfWork
) -> str:
    """Record the request and ask screening for it, in one transaction; the replay's id."""
    request = ReplayRequested(
        replay_id=str(uuid.uuid4()),
        county=principal.county,
        start=start,
        end=end,
        candidate=candidate,
        requested_by=principal.name,
        requested_at=datetime.now(UTC),
    )
    version = candidate.get("version")
    async with uow:
        await RuleReplays(uow.session).add(
            replay_id=request.replay_id,
            county=request.county,
            requested_by=request.requested_by,
            requested_key_id=principal.key_id,
            requested_at=request.requested_at,
            first_day=start.isoformat(),
            last_day=end.isoformat(),
            candidate_version=version[:60] if isinstance(version, str) else None,
            candidate=candidate,
        )
        envelope = Envelope(
            type="ReplayRequested",
            report_id=request.replay_id,
            producer="intake",
            payload=request.model_dump(mode="json"),
        )
        await uow.emit(topics.COMMANDS, envelope)
        await uow.commit()
    return request.replay_id


async def on_replay_completed(envelope: Envelope, uow: IntakeUnitOfWork) -> None:
    answer = envelope.payload_as(ReplayCompleted)
    async with uow:
        if not await uow.claim(envelope.event_id):
            return
        # Another installation's replay (not asked for here) changes nothing.
        await RuleReplays(uow.session).complete(
            replay_id=answer.replay_id,
            status=answer.status,
            candidate_version=answer.candidate_version,
            error=answer.error,
            summary=answer.summary,
            completed_at=answer.completed_at,
        )
        await uow.commit()


async def county_replays(*, county: str, uow: IntakeUnitOfWork) -> list[dict[str, Any]]:
    async with uow:
        return await RuleReplays(uow.session).of_county(county)


async def county_replay(*, county: str, replay_id: str, uow: IntakeUnitOfWork) -> dict[str, Any] | None:
    async with uow:
        return await RuleReplays(uow.session).one(replay_id, county=county)
