"""Long-term care households (長期關懷戶, DOMAIN.md decision model v1.1 rule 2).

A welfare center may keep an acknowledged referral in `long_term_care` instead of closing
it, with a review date at most 12 months ahead, and renew it with a new date. The
transitions are the lifecycle's (`long_term_care`, and `close` from it); the date's rule
is safetynet.policy.long_term_care, checked against the command's own time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from safetynet.policy import long_term_care as rule
from safetynet.policy import referral_lifecycle as lifecycle

from .errors import InvalidReviewDate, InvalidTransition, NotLongTermCareUnit
from .events import Event, ReferralInLongTermCare
from .model import Case
from .values import Actor


def place_in_long_term_care(
    case: Case,
    *,
    referral_id: str,
    review_on: date,
    actor: Actor,
    at: datetime,
    acted_at: datetime,
    note: str | None = None,
) -> list[Event]:
    """Put the referral in long-term care until `review_on`, or renew it there. `acted_at`
    is when the person acted (the command's time): the day the date is checked against."""
    referral = case.referral(referral_id)
    if referral.kind != rule.KIND:
        raise NotLongTermCareUnit(
            f"referral {referral_id} is a {referral.kind} referral: only a welfare center keeps a long-term care household"
        )
    why = lifecycle.refusal("long_term_care", referral.status, referral_id=referral_id)
    if why is not None:
        raise InvalidTransition(why)
    problem = rule.review_problem(review_on, today=rule.today_at(acted_at))
    if problem is not None:
        raise InvalidReviewDate(" ".join(problem))
    note = (note or "").strip() or None
    referral.status = lifecycle.after("long_term_care", referral.status)
    referral.review_on, referral.note, referral.updated_at = review_on, note, at
    case.seq += 1
    case.updated_at = at
    detail = f"review on {review_on.isoformat()}" + (f" — {note}" if note else "")
    return [ReferralInLongTermCare(actor=actor, at=at, detail=detail, referral=replace(referral))]
