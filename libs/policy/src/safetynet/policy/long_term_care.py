"""Long-term care households (長期關懷戶, DOMAIN.md decision model v1.1 rule 2): how far
ahead a review date may be, and when it has passed.

A welfare center keeps an acknowledged referral in `long_term_care` with a review date
(the lifecycle is referral_lifecycle's `long_term_care` action). The API and the console
check the date with this rule to answer at once; routing applies the same rule with the
command's time, so the three never disagree. Dates are Taipei calendar days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from safetynet.contracts.report import TAIPEI

# Only a welfare center (社福中心) keeps a household: the social worker who knows it.
KIND = "welfare_center"
# The longest a household goes without a review: DOMAIN.md, "at most 12 months ahead".
MAX_REVIEW_MONTHS = 12
FIELD = "review_on"


def today_at(at: datetime) -> date:
    """The Taipei calendar day of `at` (the programme's day, whatever the server's zone)."""
    return at.astimezone(TAIPEI).date()


def latest_review_on(today: date) -> date:
    """`today` plus MAX_REVIEW_MONTHS calendar months; the 29th of February, a year on,
    is the 28th (the last day of that month)."""
    months = today.month - 1 + MAX_REVIEW_MONTHS
    year, month = today.year + months // 12, months % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return date(year, month, min(today.day, last_day))


def review_problem(review_on: date, *, today: date) -> tuple[str, str] | None:
    """None when `review_on` is a valid review date on `today`; else (field, message), as
    the outcome vocabulary's checks answer. Today itself is allowed (review it today)."""
    if review_on < today:
        return FIELD, f"must not be in the past (today is {today.isoformat()} in Taipei)"
    latest = latest_review_on(today)
    if review_on > latest:
        return FIELD, f"must be at most {MAX_REVIEW_MONTHS} months ahead (on or before {latest.isoformat()})"
    return None


def review_overdue(review_on: date | None, *, today: date) -> bool:
    """The review date has passed: a warning to the unit. The review day itself is not late."""
    return review_on is not None and review_on < today
