"""Decision model v1.1, rule 3: the BSRS-5 screening tool (簡式健康量表, 心情溫度計).

Hsinchu City's request (003): a scored BSRS-5 sharpens the mental-health destination.
The bands are the scale's own (safetynet.policy.bsrs5: total of the five items 0–20,
0–5 normal, 6–9 mild, 10–14 moderate, 15+ severe; the suicidal-thoughts item counts from
2), not parameters of a rule version: a version only switches the rule on (`bsrs5_screening`). Without a
score, or with the switch off, every function here holds nothing, so v1 is untouched.
"""

from __future__ import annotations

from safetynet.policy.bsrs5 import MILD_FROM, MODERATE_FROM, SEVERE_FROM, SUICIDE_ITEM_FROM, band

from . import reasons as r
from .facts import has_protection_category, suspected_mental_illness
from .model import Bsrs5, ScreeningInput
from .ruleset import RuleSet

SWITCH = "bsrs5_screening"
LOW_UP_TO = MILD_FROM - 1  # the normal band
LOW_SUICIDE_UP_TO = SUICIDE_ITEM_FROM - 1


def screened_score(report: ScreeningInput, rules: RuleSet) -> Bsrs5 | None:
    """The report's BSRS-5 when the version applies rule 3, else None."""
    if not rules.switched_on(SWITCH):
        return None
    return report.indicators.bsrs5


def _orange_conditions(score: Bsrs5) -> list[str]:
    held: list[str] = []
    if score.suicide >= SUICIDE_ITEM_FROM:
        held.append(r.BSRS5_SUICIDE)
    if score.total >= SEVERE_FROM:
        held.append(r.BSRS5_SEVERE)
    return held


def orange_codes(report: ScreeningInput, rules: RuleSet) -> list[str]:
    """Risk conditions of rule 3: the suicide item (as suicide ideation) and a severe total."""
    score = screened_score(report, rules)
    return [] if score is None else rules.keep_enabled(_orange_conditions(score))


def mental_health_codes(report: ScreeningInput, rules: RuleSet) -> list[str]:
    """The rule-3 conditions that ask for a mental_health destination."""
    score = screened_score(report, rules)
    if score is None:
        return []
    held = _orange_conditions(score)  # each of them also asks for mental health
    if MODERATE_FROM <= score.total < SEVERE_FROM:
        held.append(r.BSRS5_MODERATE)
    return held  # destinations.add() checks each is enabled


def low_screen_holds(report: ScreeningInput, rules: RuleSet, mental_health_triggers: set[str]) -> bool:
    """Whether the mental_health destination waits for a dispatcher (MH_LOW_SCREEN): a
    low screen (total ≤ 5, suicide item ≤ 1) where the only trigger of that destination
    is suspected mental illness, without a protection category."""
    score = screened_score(report, rules)
    if score is None or not rules.enabled(r.MH_LOW_SCREEN):
        return False
    return (
        score.total <= LOW_UP_TO
        and score.suicide <= LOW_SUICIDE_UP_TO
        and suspected_mental_illness(report)
        and not has_protection_category(report)
        and mental_health_triggers == {r.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS}
    )


__all__ = ["band", "low_screen_holds", "mental_health_codes", "orange_codes", "screened_score"]
