"""Long-term care households in intake's read model (issue 14): when each referral went
into long-term care and when it was closed, from routing's referral events, so the KPIs
can tell a follow-up of a household from a re-report (domain/follow_ups.py)."""

from safetynet.contracts.events import ReferralChanged
from safetynet.intake.adapters.long_term_care_records import LongTermCareRecords
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def record_long_term_care(uow: IntakeUnitOfWork, event_type: str, event: ReferralChanged) -> None:
    """In the projection's transaction: a placement starts a period (a renewal keeps its
    start); a closing ends one, if the referral had one."""
    records = LongTermCareRecords(uow.session)
    if event_type == "ReferralInLongTermCare":
        await records.placed(referral_id=event.referral_id, report_id=event.report_id, at=event.at)
    elif event_type == "ReferralClosed":
        await records.closed(referral_id=event.referral_id, at=event.at)
