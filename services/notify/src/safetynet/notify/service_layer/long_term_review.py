"""Long-term care households in notify (issue 14): keep each one's review date from
routing's events, and remind its unit through its channels once the date has passed.

A placement or renewal (ReferralInLongTermCare) sets the date; a closing
(ReferralClosed) forgets the household. The reminder check runs on its own timed loop
(entrypoints/review_loop.py); each review date is reminded once (the notification's id
derives from referral, date and channel), and delivery is the delivery worker's, as for
every notification: retried with backoff, each attempt on the report's timeline.
"""

from datetime import date, datetime

from safetynet.contracts.events import ReferralChanged
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.adapters.long_term_review_repository import LongTermReviewRepository
from safetynet.notify.domain.long_term_review import LongTermReview, review_reminders
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.policy.long_term_care import today_at


async def track_review(*, event_id: str, event_type: str, referral: ReferralChanged, uow: NotifyUnitOfWork) -> None:
    async with uow:
        if not await uow.claim(event_id):
            return
        reviews = LongTermReviewRepository(uow.session)
        if event_type == "ReferralInLongTermCare" and referral.review_on is not None:
            await reviews.keep(
                LongTermReview(
                    referral_id=referral.referral_id,
                    report_id=referral.report_id,
                    county=referral.county,
                    unit=referral.unit,
                    review_on=referral.review_on,
                )
            )
        elif event_type == "ReferralClosed":
            await reviews.forget(referral.referral_id)
        await uow.commit()


async def remind_overdue_reviews(
    *, now: datetime, uow: NotifyUnitOfWork, directory: UnitDirectory, limit: int = 100
) -> int:
    """Plan the reminders of up to `limit` households whose review date passed; return
    how many households were reminded."""
    today: date = today_at(now)
    async with uow:
        reviews = LongTermReviewRepository(uow.session)
        due = await reviews.due(today=today, limit=limit)
        for review in due:
            uow.notifications.plan(
                review_reminders(review, recipients=directory.unit_recipients(review.unit)), send_at=now
            )
            await reviews.reminded(review)
        await uow.commit()
        return len(due)
