"""What the unit console shows of long-term care households (長期關懷戶, issue 14): a
referral's review date and whether it passed (a warning to the unit), whether the unit may
keep or renew it, and the inbox's list of the unit's households, the nearest review first.

The rules are the policy's (safetynet.policy.long_term_care and the lifecycle); this only
presents them. Dates are Taipei calendar days.
"""

from datetime import UTC, date, datetime
from typing import TypedDict

from safetynet.intake.domain.views import Referral
from safetynet.policy import long_term_care
from safetynet.policy import referral_lifecycle as lifecycle


class LongTermCareState(TypedDict):
    review: str  # the review date, "" when none
    review_overdue: bool
    can_long_term_care: bool
    review_min: str  # the form's date bounds: today, and MAX_REVIEW_MONTHS ahead
    review_max: str


def today() -> date:
    return long_term_care.today_at(datetime.now(UTC))


def review_date(referral: Referral) -> date | None:
    text = referral.get("review_on")
    return date.fromisoformat(text) if text else None


def long_term_care_state(referral: Referral, *, on: date | None = None) -> LongTermCareState:
    review_on, day = review_date(referral), on or today()
    in_care = referral["status"] == "long_term_care"
    return {
        "review": review_on.isoformat() if review_on and in_care else "",
        "review_overdue": in_care and long_term_care.review_overdue(review_on, today=day),
        "review_min": day.isoformat(),
        "review_max": long_term_care.latest_review_on(day).isoformat(),
        "can_long_term_care": referral["kind"] == long_term_care.KIND
        and lifecycle.allows("long_term_care", referral["status"]),
    }
