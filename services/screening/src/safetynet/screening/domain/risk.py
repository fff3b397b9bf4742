"""Risk light (風險燈號) of decision model v1.

Every condition at every level is evaluated (not only until the first hit),
because the decision must explain all conditions that held; the level is
then the highest one with at least one condition, which is exactly the
top-down "first level whose condition holds wins" of DOMAIN.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from safetynet.policy.tipvda import HIGH_DANGER as TIPVDA_HIGH  # 15-item TIPVDA: 8+ is high danger

from . import reasons as r
from .facts import (
    any_subject_under,
    child_under_6_in_household,
    has_protection_category,
    named_in_earlier_report,
    suspected_mental_illness,
)
from .model import ScreeningInput

TIPVDA_MEDIUM = 4


@dataclass(frozen=True)
class RiskAssessment:
    level: str  # red | orange | yellow | green
    codes: tuple[str, ...]  # every risk condition that held, red first


def _red(report: ScreeningInput) -> list[str]:
    ind = report.indicators
    cats = report.categories
    held: list[str] = []
    if ind.tipvda_score is not None and ind.tipvda_score >= TIPVDA_HIGH:
        held.append(r.RED_TIPVDA_HIGH)
    if ind.injury == "severe":
        held.append(r.RED_INJURY_SEVERE)
    if ind.threat_to_kill:
        held.append(r.RED_THREAT_TO_KILL)
    if ind.weapon:
        held.append(r.RED_WEAPON)
    if ind.suicide_attempt:
        held.append(r.RED_SUICIDE_ATTEMPT)
    sexual = "sexual_assault" in cats or "child_sexual_exploitation" in cats
    if sexual and ind.offender_lives_with_victim:
        held.append(r.RED_SEXUAL_OFFENDER_COHABITING)
    # Needs a SUBJECT under 6 who is injured: a household count alone says
    # nothing about who was hurt.
    if "child_maltreatment" in cats and any_subject_under(report, 6) and ind.injury in ("minor", "severe"):
        held.append(r.RED_CHILD_UNDER_6_MALTREATMENT_INJURY)
    return held


def _orange(report: ScreeningInput) -> list[str]:
    ind = report.indicators
    held: list[str] = []
    if ind.tipvda_score is not None and TIPVDA_MEDIUM <= ind.tipvda_score < TIPVDA_HIGH:
        held.append(r.ORANGE_TIPVDA_MEDIUM)
    if ind.injury == "minor":
        held.append(r.ORANGE_INJURY_MINOR)
    if ind.suicide_ideation:
        held.append(r.ORANGE_SUICIDE_IDEATION)
    if suspected_mental_illness(report) and has_protection_category(report):
        held.append(r.ORANGE_MENTAL_ILLNESS_WITH_PROTECTION)
    if named_in_earlier_report(report):
        held.append(r.ORANGE_EARLIER_REPORT)
    if "intimate_partner_violence" in report.categories and child_under_6_in_household(report):
        held.append(r.ORANGE_IPV_CHILD_UNDER_6)
    return held


def _yellow(report: ScreeningInput) -> list[str]:
    held: list[str] = []
    if has_protection_category(report):
        held.append(r.YELLOW_PROTECTION_CATEGORY)
    if report.indicators.youth_law_violation:
        held.append(r.YELLOW_YOUTH_LAW_VIOLATION)
    if "vulnerable_family" in report.categories and child_under_6_in_household(report):
        held.append(r.YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6)
    return held


def assess_risk(report: ScreeningInput) -> RiskAssessment:
    levels = (
        ("red", _red(report)),
        ("orange", _orange(report)),
        ("yellow", _yellow(report)),
    )
    codes = tuple(code for _, held in levels for code in held)
    for level, held in levels:
        if held:
            return RiskAssessment(level=level, codes=codes)
    # Green has no condition of its own; the reason makes the (absent) risk
    # explicit so no decision has an empty risk explanation.
    return RiskAssessment(level="green", codes=(r.GREEN_NO_RISK_CONDITION,))
