"""Risk light (風險燈號) of decision model v1.

Every condition at every level is evaluated (not only until the first hit),
because the decision must explain all conditions that held; the level is
then the highest one with at least one condition, which is exactly the
top-down "first level whose condition holds wins" of DOMAIN.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import bsrs5
from . import reasons as r
from .facts import (
    any_subject_under,
    has_protection_category,
    named_in_earlier_report,
    suspected_mental_illness,
    young_child_in_household,
)
from .model import ScreeningInput
from .ruleset import RuleSet


@dataclass(frozen=True)
class RiskAssessment:
    level: str  # red | orange | yellow | green
    codes: tuple[str, ...]  # every risk condition that held, red first


def _red(report: ScreeningInput, rules: RuleSet) -> list[str]:
    ind = report.indicators
    cats = report.categories
    held: list[str] = []
    if ind.tipvda_score is not None and ind.tipvda_score >= rules.tipvda_red:
        held.append(r.RED_TIPVDA_HIGH)
    if ind.injury == "severe":
        held.append(r.RED_INJURY_SEVERE)
    # Which indicators count for these three is the version's (v1: the one of the same name).
    for code in (r.RED_THREAT_TO_KILL, r.RED_WEAPON, r.RED_SUICIDE_ATTEMPT):
        if rules.indicator_holds(code, report):
            held.append(code)
    sexual = "sexual_assault" in cats or "child_sexual_exploitation" in cats
    if sexual and ind.offender_lives_with_victim:
        held.append(r.RED_SEXUAL_OFFENDER_COHABITING)
    # Needs a SUBJECT under 6 who is injured: a household count alone says
    # nothing about who was hurt.
    if (
        "child_maltreatment" in cats
        and any_subject_under(report, rules.young_child_under)
        and ind.injury in ("minor", "severe")
    ):
        held.append(r.RED_CHILD_UNDER_6_MALTREATMENT_INJURY)
    return rules.keep_enabled(held)


def _orange(report: ScreeningInput, rules: RuleSet) -> list[str]:
    ind = report.indicators
    held: list[str] = []
    if ind.tipvda_score is not None and rules.tipvda_orange <= ind.tipvda_score < rules.tipvda_red:
        held.append(r.ORANGE_TIPVDA_MEDIUM)
    if ind.injury == "minor":
        held.append(r.ORANGE_INJURY_MINOR)
    if rules.indicator_holds(r.ORANGE_SUICIDE_IDEATION, report):
        held.append(r.ORANGE_SUICIDE_IDEATION)
    held.extend(bsrs5.orange_codes(report, rules))  # v1.1 rule 3 (nothing without a score)
    if suspected_mental_illness(report) and has_protection_category(report):
        held.append(r.ORANGE_MENTAL_ILLNESS_WITH_PROTECTION)
    if named_in_earlier_report(report):
        held.append(r.ORANGE_EARLIER_REPORT)
    if "intimate_partner_violence" in report.categories and young_child_in_household(report, rules.young_child_under):
        held.append(r.ORANGE_IPV_CHILD_UNDER_6)
    return rules.keep_enabled(held)


def _yellow(report: ScreeningInput, rules: RuleSet) -> list[str]:
    held: list[str] = []
    if has_protection_category(report):
        held.append(r.YELLOW_PROTECTION_CATEGORY)
    if rules.indicator_holds(r.YELLOW_YOUTH_LAW_VIOLATION, report):
        held.append(r.YELLOW_YOUTH_LAW_VIOLATION)
    if "vulnerable_family" in report.categories and young_child_in_household(report, rules.young_child_under):
        held.append(r.YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6)
    return rules.keep_enabled(held)


def assess_risk(report: ScreeningInput, rules: RuleSet) -> RiskAssessment:
    levels = (
        ("red", _red(report, rules)),
        ("orange", _orange(report, rules)),
        ("yellow", _yellow(report, rules)),
    )
    codes = tuple(code for _, held in levels for code in held)
    for level, held in levels:
        if held:
            return RiskAssessment(level=level, codes=codes)
    # Green has no condition of its own; the reason makes the (absent) risk
    # explicit so no decision has an empty risk explanation.
    return RiskAssessment(level="green", codes=(r.GREEN_NO_RISK_CONDITION,))
