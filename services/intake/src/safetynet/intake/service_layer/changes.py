"""What the console's event stream watches: the timeline. Every change to a report view
comes with a timeline row (acceptance, each projected event, each requested action) and
timeline ids only grow, so the ids say "something changed" without reading any report."""

from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

# The newest timeline ids re-read on each look: ids from a sequence can commit out of
# order on PostgreSQL (10 after 11), and a late commit lands among these.
WINDOW = 500


async def watermark(*, uow: IntakeUnitOfWork) -> int:
    """The newest timeline id: every change up to now is at or below it."""
    async with uow:
        return await uow.views.newest_timeline_id()


async def recent_changes(*, county: str, uow: IntakeUnitOfWork) -> set[int]:
    """The ids of the county's recent changes (its timeline ids among the newest WINDOW)."""
    async with uow:
        return await uow.views.recent_timeline_ids(county, window=WINDOW)
