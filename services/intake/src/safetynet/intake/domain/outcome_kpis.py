"""The learning KPIs (DOMAIN.md, "Outcomes and learning"), from plain records. No I/O.

Over the referrals of the reports of one county received in a period (Taipei dates,
domain/kpis.py's `period_bounds`), whatever the day their unit answered: a period's
figures settle as its referrals close, and `as_of` says when they were computed. Each
figure is given for the county as a whole and grouped per destination kind, per unit, per
source agency type and per reason code that produced the destination:

- opening rate (開案率): referrals closed `opened` ÷ referrals closed with an outcome
  (one closed before the vocabulary existed has none: counted apart, in no rate);
- rejection rate: referrals rejected ÷ referrals referred (every referral a unit was
  sent, a reassignment's successor included; a rejected one stays rejected after a
  dispatcher reassigns it), and the rejections' reason codes;
- the median time from a referral's assignment to its acknowledgement;
- suspected-mental-illness acceptance: the opening rate of `mental_health` referrals
  that the suspected-mental-illness rule asked for (safetynet.policy.destination_reasons);
- mental-health acceptance per BSRS-5 band (normal, mild, moderate, severe, not_screened):
  the opening rate of every `mental_health` referral, and of the suspected-mental-illness
  ones, by the band of their report's score (decision model v1.1, rule 3).

A referral counts once in each group it belongs to; per reason code, once under each code
that asked for its kind (the groups overlap), and under NO_RULE when none did (a
dispatcher chose the destination).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from statistics import median
from typing import TypedDict

from safetynet.intake.domain.kpis import Rate, RateFigures
from safetynet.intake.domain.referral_outcomes import ReferralOutcome
from safetynet.policy import bsrs5
from safetynet.policy.destination_reasons import SUSPECTED_MENTAL_ILLNESS

NO_RULE = "NO_RULE"  # the reason-code group of destinations no rule asked for


class OutcomeFigures(TypedDict):
    referred: int
    opening: RateFigures  # opened ÷ closed with an outcome
    rejection: RateFigures  # rejected ÷ referred
    rejection_reasons: dict[str, int]
    not_opened_reasons: dict[str, int]
    closed_without_outcome: int
    in_progress: int  # neither closed, rejected nor reassigned yet
    acknowledged: int  # referrals with an acknowledgement time
    median_seconds_to_acknowledge: float | None


class Bsrs5BandAcceptance(TypedDict):
    mental_health: RateFigures  # opened ÷ closed with an outcome, every mental_health referral
    suspected_mental_illness: RateFigures  # … of those the suspected-mental-illness rule asked for


class OutcomeIndicators(TypedDict):
    referrals: int
    overall: OutcomeFigures
    by_kind: dict[str, OutcomeFigures]
    by_unit: dict[str, OutcomeFigures]
    by_source: dict[str, OutcomeFigures]
    by_reason_code: dict[str, OutcomeFigures]
    suspected_mental_illness_acceptance: RateFigures
    # v1.1 rule 3: acceptance of mental_health referrals per BSRS-5 band of their report.
    mental_health_acceptance_by_bsrs5_band: dict[str, Bsrs5BandAcceptance]


def opening_rate(referrals: Iterable[ReferralOutcome]) -> Rate:
    """Closed `opened` ÷ closed with an outcome."""
    closed = [r for r in referrals if closed_with_outcome(r)]
    return Rate(sum(r.outcome == "opened" for r in closed), len(closed))


def rejection_rate(referrals: Iterable[ReferralOutcome]) -> Rate:
    """Rejected ÷ referred."""
    listed = list(referrals)
    return Rate(sum(r.rejected for r in listed), len(listed))


def median_seconds_to_acknowledge(referrals: Iterable[ReferralOutcome]) -> float | None:
    waits = [(r.acknowledged_at - r.assigned_at).total_seconds() for r in referrals if r.acknowledged_at is not None]
    return median(max(0.0, w) for w in waits) if waits else None


def suspected_mental_illness(r: ReferralOutcome) -> bool:
    return r.kind == "mental_health" and SUSPECTED_MENTAL_ILLNESS in r.reason_codes


def closed_with_outcome(r: ReferralOutcome) -> bool:
    return r.closed_at is not None and r.outcome is not None


def in_progress(r: ReferralOutcome) -> bool:
    """Still with its unit or waiting for it: neither closed, rejected nor reassigned."""
    return r.closed_at is None and not r.rejected and r.status != "reassigned"


def figures(referrals: list[ReferralOutcome]) -> OutcomeFigures:
    not_opened = Counter(
        r.outcome_reason or "unrecorded" for r in referrals if closed_with_outcome(r) and r.outcome != "opened"
    )
    rejections = Counter(r.rejection_reason or "unrecorded" for r in referrals if r.rejected)
    return {
        "referred": len(referrals),
        "opening": opening_rate(referrals).as_dict(),
        "rejection": rejection_rate(referrals).as_dict(),
        "rejection_reasons": dict(sorted(rejections.items())),
        "not_opened_reasons": dict(sorted(not_opened.items())),
        "closed_without_outcome": sum(r.closed_at is not None and r.outcome is None for r in referrals),
        "in_progress": sum(in_progress(r) for r in referrals),
        "acknowledged": sum(r.acknowledged_at is not None for r in referrals),
        "median_seconds_to_acknowledge": median_seconds_to_acknowledge(referrals),
    }


def _grouped(
    referrals: list[ReferralOutcome], keys: Callable[[ReferralOutcome], Iterable[str]]
) -> dict[str, OutcomeFigures]:
    groups: dict[str, list[ReferralOutcome]] = {}
    for r in referrals:
        for key in dict.fromkeys(keys(r)):
            groups.setdefault(key, []).append(r)
    return {key: figures(groups[key]) for key in sorted(groups)}


def compute(referrals: Iterable[ReferralOutcome]) -> OutcomeIndicators:
    listed = list(referrals)
    return {
        "referrals": len(listed),
        "overall": figures(listed),
        "by_kind": _grouped(listed, lambda r: (r.kind,)),
        "by_unit": _grouped(listed, lambda r: (r.unit,)),
        "by_source": _grouped(listed, lambda r: (r.agency_type,)),
        "by_reason_code": _grouped(listed, lambda r: r.reason_codes or (NO_RULE,)),
        "suspected_mental_illness_acceptance": opening_rate(r for r in listed if suspected_mental_illness(r)).as_dict(),
        "mental_health_acceptance_by_bsrs5_band": acceptance_by_bsrs5_band(listed),
    }


def acceptance_by_bsrs5_band(referrals: list[ReferralOutcome]) -> dict[str, Bsrs5BandAcceptance]:
    """Every band in the scale's order, then the unscreened: does the score tell which
    mental-health referrals a unit takes up (Hsinchu City's question in 003)?"""
    mental = [r for r in referrals if r.kind == "mental_health"]
    return {
        band: {
            "mental_health": opening_rate(r for r in mental if (r.bsrs5_band or bsrs5.NOT_SCREENED) == band).as_dict(),
            "suspected_mental_illness": opening_rate(
                r for r in mental if (r.bsrs5_band or bsrs5.NOT_SCREENED) == band and suspected_mental_illness(r)
            ).as_dict(),
        }
        for band in (*bsrs5.BANDS, bsrs5.NOT_SCREENED)
    }
