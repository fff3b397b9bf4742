"""Derived facts shared by the risk, destination and direct-dispatch rules.

Each term DOMAIN.md defines once ("the child", "the youth", "suspected
mental illness", "a child under 6") is defined once here, so every rule
reads it the same way.
"""

from __future__ import annotations

from .model import PROTECTION_CATEGORIES, ScreeningInput

_YOUTH_ROLES = frozenset({"youth", "child"})


def has_protection_category(report: ScreeningInput) -> bool:
    return not report.categories.isdisjoint(PROTECTION_CATEGORIES)


def suspected_mental_illness(report: ScreeningInput) -> bool:
    # Settled: the category OR the indicator, in every rule.
    return "suspected_mental_illness" in report.categories or report.indicators.suspected_mental_illness


def any_subject_under(report: ScreeningInput, age: int) -> bool:
    # "The child" is any subject (whatever the role) under the age named;
    # an unknown age meets no age condition.
    return any(s.age is not None and s.age < age for s in report.subjects)


def young_child_in_household(report: ScreeningInput, young_child_under: int) -> bool:
    # Settled for the intimate-partner and vulnerable-family rules only: a
    # subject under 6 (the version's young-child age) OR a household count of
    # children under 6. The red child-maltreatment rule deliberately does not use
    # this (it needs an injured subject).
    count = report.household.children_under_6
    return any_subject_under(report, young_child_under) or (count is not None and count >= 1)


def youth_age(report: ScreeningInput) -> int | None:
    """Age of "the youth": the youngest subject with role youth or child, or
    the youngest subject overall when no subject has either role.

    Only known ages can be compared, so the youngest is taken among the
    candidates whose age is known; None when no candidate's age is known
    (the youth rule then gives no destination).
    """
    candidates = [s for s in report.subjects if s.role in _YOUTH_ROLES]
    if not candidates:
        candidates = list(report.subjects)
    ages = [s.age for s in candidates if s.age is not None]
    return min(ages) if ages else None


def named_in_earlier_report(report: ScreeningInput) -> bool:
    # A subject without a national ID is never matched as a repeat, even if
    # an upstream flag says otherwise: the match is by hash or not at all.
    return any(s.named_in_earlier_report and s.subject_hash is not None for s in report.subjects)
