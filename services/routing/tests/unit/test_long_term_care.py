"""Long-term care households in routing (decision model v1.1 rule 2): a welfare center
puts an acknowledged referral in long-term care, renews it, closes it; nothing else may."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from safetynet.routing import domain
from safetynet.routing.domain import Destination

from .test_case import MIAOLI, T0, T1, T2, UNIT, UNITS, P, W, statuses, with_referrals

# T0 is 2026-11-21 10:00 in Taipei.
TODAY = date(2026, 11, 21)


def place(referral_id: str, review_on: date, note: str | None = None) -> domain.PlaceInLongTermCare:
    return domain.PlaceInLongTermCare(
        report_id="r-1", county=MIAOLI, actor=UNIT, referral_id=referral_id, review_on=review_on, note=note
    )


def test_a_welfare_center_places_renews_and_closes_a_long_term_care_household() -> None:
    case = with_referrals([W], [(W, "acknowledged")])
    [placed] = domain.execute(case, place("ref-1", date(2027, 5, 21), "獨居長者，每季訪視"), at=T1, units=UNITS)
    assert type(placed) is domain.ReferralInLongTermCare
    assert placed.referral.status == "long_term_care" and placed.referral.review_on == date(2027, 5, 21)
    assert placed.detail == "review on 2027-05-21 — 獨居長者，每季訪視"
    # It counts as acknowledged: the report is dispatched (the SLA met), not closed.
    assert case.status == "acknowledged"

    [renewed] = domain.execute(case, place("ref-1", date(2027, 11, 21)), at=T2, units=UNITS)
    assert renewed.referral.status == "long_term_care" and renewed.referral.review_on == date(2027, 11, 21)
    assert case.referral("ref-1").updated_at == T2

    closing = domain.CloseReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-1", outcome="opened")
    [closed] = domain.execute(case, closing, at=T2 + timedelta(days=200), units=UNITS)
    assert type(closed) is domain.ReferralClosed and case.status == "closed"


@pytest.mark.parametrize(
    ("review_on", "message"),
    [
        (TODAY - timedelta(days=1), "review_on must not be in the past"),
        (date(2027, 11, 22), "review_on must be at most 12 months ahead"),
    ],
)
def test_a_review_date_in_the_past_or_beyond_twelve_months_is_refused(review_on: date, message: str) -> None:
    case = with_referrals([W], [(W, "acknowledged")])
    with pytest.raises(domain.InvalidReviewDate, match=message):
        domain.execute(case, place("ref-1", review_on), at=T0, units=UNITS)
    assert statuses(case) == {"ref-1": "acknowledged"} and case.referral("ref-1").review_on is None
    # The edges are allowed: today, and twelve months ahead to the day.
    domain.execute(case, place("ref-1", TODAY), at=T0, units=UNITS)
    domain.execute(case, place("ref-1", date(2027, 11, 21)), at=T0, units=UNITS)


def test_only_a_welfare_center_keeps_a_household() -> None:
    case = with_referrals([P], [(P, "acknowledged")])
    with pytest.raises(domain.NotLongTermCareUnit, match="only a welfare center"):
        domain.execute(case, place("ref-1", date(2027, 1, 1)), at=T1, units=UNITS)
    assert statuses(case) == {"ref-1": "acknowledged"}


@pytest.mark.parametrize("start", ["assigned", "rejected", "closed", "reassigned"])
def test_only_an_acknowledged_or_long_term_referral_goes_to_long_term_care(start: str) -> None:
    case = with_referrals([W], [(W, start)])
    seq = case.seq
    with pytest.raises(domain.InvalidTransition, match=f"referral ref-1 is {start}"):
        domain.execute(case, place("ref-1", date(2027, 1, 1)), at=T1, units=UNITS)
    assert statuses(case) == {"ref-1": start} and case.seq == seq


def test_a_long_term_referral_is_live_for_the_open_case_rule() -> None:
    case = with_referrals([W, Destination("protection", P.unit)], [(W, "acknowledged")])
    domain.execute(case, place("ref-1", date(2027, 1, 1)), at=T1, units=UNITS)
    assert case.referral("ref-1").live
