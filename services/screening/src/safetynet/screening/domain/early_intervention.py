"""Decision model v1.1, rule 4: early intervention by prosecutors and police (檢警早期介入, 002).

Screening only recognises a severe child-abuse case and says so (EARLY_INTERVENTION in the
decision's reasons); notify reacts to that reason and tells the county's designated
prosecutor's office and police unit. The case changes no risk light, destination or
direct dispatch: each of its conditions is already red under v1.
"""

from __future__ import annotations

from . import reasons as r
from .facts import any_subject_under
from .model import ScreeningInput
from .ruleset import RuleSet

SWITCH = "early_intervention"
_CHILD_ROLES = frozenset({"victim", "child"})
_SEXUAL = frozenset({"sexual_assault", "child_sexual_exploitation"})


def minor_victim(report: ScreeningInput, rules: RuleSet) -> bool:
    """A subject under 18 (the version's adult age) whose role is victim or child."""
    return any(s.role in _CHILD_ROLES and s.age is not None and s.age < rules.adult_from for s in report.subjects)


def severe_child_abuse(report: ScreeningInput, rules: RuleSet) -> bool:
    cats = report.categories
    ind = report.indicators
    if not minor_victim(report, rules):
        return False
    maltreatment = "child_maltreatment" in cats
    severe_injury = maltreatment and ind.injury == "severe"
    # "A subject under 6" as in v1's red rule: any subject, the household count not enough.
    young_injured = (
        maltreatment and ind.injury in ("minor", "severe") and any_subject_under(report, rules.young_child_under)
    )
    sexual_cohabiting = not cats.isdisjoint(_SEXUAL) and ind.offender_lives_with_victim
    return severe_injury or young_injured or sexual_cohabiting


def early_intervention_codes(report: ScreeningInput, rules: RuleSet) -> list[str]:
    if not rules.switched_on(SWITCH) or not severe_child_abuse(report, rules):
        return []
    return rules.keep_enabled([r.EARLY_INTERVENTION])
