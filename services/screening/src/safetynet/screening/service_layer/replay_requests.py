"""A replay asked for in intake's console (ReplayRequested): run it over screening's own
history and answer with ReplayCompleted, once per request.

The replay reads in the handler's own transaction and writes nothing but the inbox claim
and the answer in the outbox. An invalid candidate or period is an answer too (status
failed, the reason named), not a poison message: the supervisor fixes it and asks again.
"""

from datetime import UTC, datetime

from safetynet.contracts import topics
from safetynet.contracts.rule_replays import ReplayCompleted, ReplayRequested
from safetynet.screening import domain
from safetynet.screening.adapters.contracts import replay_completed
from safetynet.screening.service_layer.rule_versions import RuleVersionProblem, replay_stored, run_as_dict
from safetynet.screening.service_layer.unit_of_work import ScreeningUnitOfWork


async def run_requested_replay(
    *, event_id: str, request: ReplayRequested, uow: ScreeningUnitOfWork, directory: domain.UnitDirectory
) -> ReplayCompleted | None:
    async with uow:
        if not await uow.claim(event_id):
            return None
        try:
            run = await replay_stored(
                uow.repository,
                request.candidate,
                start=request.start,
                end=request.end,
                county=request.county,
                directory=directory,
            )
        except (RuleVersionProblem, domain.RuleSetError) as problem:
            answer = ReplayCompleted(
                replay_id=request.replay_id,
                county=request.county,
                status="failed",
                candidate_version=_version_of(request),
                error=str(problem),
                completed_at=datetime.now(UTC),
            )
        else:
            answer = ReplayCompleted(
                replay_id=request.replay_id,
                county=request.county,
                status="done",
                candidate_version=run.summary.candidate_version,
                summary=run_as_dict(run),
                completed_at=datetime.now(UTC),
            )
        await uow.emit(topics.DECISIONS, replay_completed(answer))
        await uow.commit()
        return answer


def _version_of(request: ReplayRequested) -> str | None:
    version = request.candidate.get("version")
    return version if isinstance(version, str) else None
