"""Reminders of long-term care reviews (長期關懷戶, DOMAIN.md decision model v1.1 rule 2):
"a review date that passes is a warning to the unit". Notify keeps each household's
review date from routing's events; once the date has passed (the Taipei day after it),
the unit is told once on each of its channels. A renewal sets a new date, which is
reminded in its turn; closing the referral ends the reminders.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from safetynet.policy.long_term_care import review_overdue

from .notifications import Notification, Recipient


@dataclass(frozen=True)
class LongTermReview:
    """A household in long-term care, and when its unit reviews it next."""

    referral_id: str
    report_id: str
    county: str
    unit: str
    review_on: date


def is_due(review: LongTermReview, *, today: date) -> bool:
    return review_overdue(review.review_on, today=today)


def review_reminders(review: LongTermReview, *, recipients: Sequence[Recipient]) -> list[Notification]:
    """One reminder per channel of the unit. Like every notification, no names: the
    referral, its report and the date. Its id derives from the referral, the review date
    and the channel, so each date is reminded once however often it is planned."""
    subject = (
        f"長期關懷戶追蹤逾期 Long-term care review overdue: referral {review.referral_id} "
        f"(review on {review.review_on.isoformat()}) for {review.unit}"
    )
    content = {
        "event": "long_term_review_overdue",
        "report_id": review.report_id,
        "referral_id": review.referral_id,
        "county": review.county,
        "unit": review.unit,
        "review_on": review.review_on.isoformat(),
    }
    return [
        Notification(
            kind="long_term_review",
            report_id=review.report_id,
            county=review.county,
            recipient=r.id,
            channel=r.channel,
            urgent=False,
            subject=subject,
            content=content,
            referral_id=review.referral_id,
            address=r.address,
        )
        for r in recipients
    ]
