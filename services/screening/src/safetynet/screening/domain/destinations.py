"""Destination rules of decision model v1 (classification and streaming).

Two steps, kept apart so each is testable on its own:
1. `match_destination_rules` says which kinds are needed and why (pure
   function of the report);
2. `resolve_destinations` picks a unit per kind from the county directory and
   de-duplicates (routing may send a kind back to a unit that recently closed
   a referral of that kind: the re-report rule is routing's).
"""

from __future__ import annotations

from dataclasses import dataclass

from safetynet.policy.destination_kinds import DESTINATION_KINDS

from . import bsrs5
from . import reasons as r
from .facts import has_protection_category, suspected_mental_illness, youth_age
from .model import Destination, ScreeningInput, UnitDirectory
from .ruleset import RuleSet


@dataclass(frozen=True)
class DestinationMatch:
    kind: str
    code: str  # the reason code of the rule that asked for this kind


@dataclass(frozen=True)
class DestinationRules:
    matches: tuple[DestinationMatch, ...]
    # Conditions that held but, by design, add no destination (kept so the
    # decision still explains them).
    notes: tuple[str, ...] = ()


def match_destination_rules(report: ScreeningInput, rules: RuleSet) -> DestinationRules:
    cats = report.categories
    ind = report.indicators
    matches: list[DestinationMatch] = []
    notes: list[str] = []

    def add(kind: str, code: str) -> None:
        if rules.enabled(code):
            matches.append(DestinationMatch(kind=kind, code=code))

    protection = has_protection_category(report)
    if protection:
        add("protection", r.DEST_PROTECTION_CATEGORY)

    if "vulnerable_family" in cats:
        add("welfare_center", r.DEST_WELFARE_VULNERABLE_FAMILY)
    if "social_assistance" in cats:
        add("welfare_center", r.DEST_WELFARE_SOCIAL_ASSISTANCE)
    if rules.indicator_holds(r.DEST_WELFARE_ECONOMIC_HARDSHIP, report):
        add("welfare_center", r.DEST_WELFARE_ECONOMIC_HARDSHIP)

    if "suicide_risk" in cats:
        add("mental_health", r.DEST_MENTAL_HEALTH_SUICIDE_RISK)
    smi = suspected_mental_illness(report)
    if smi:
        add("mental_health", r.DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS)
    if rules.indicator_holds(r.DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT, report):
        add("mental_health", r.DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT)
    if rules.indicator_holds(r.DEST_MENTAL_HEALTH_SUICIDE_IDEATION, report):
        add("mental_health", r.DEST_MENTAL_HEALTH_SUICIDE_IDEATION)
    screened = bsrs5.mental_health_codes(report, rules)  # v1.1 rule 3 (nothing without a score)
    if r.BSRS5_SUICIDE in screened:
        add("mental_health", r.BSRS5_SUICIDE)
    if r.BSRS5_SEVERE in screened:
        add("mental_health", r.BSRS5_SEVERE)
    if r.BSRS5_MODERATE in screened:
        add("mental_health", r.BSRS5_MODERATE)
    if protection and smi:
        # Strategy 3 co-case (加害人合併精神疾病): already covered by the
        # suspected-illness rule, but named so the co-case is visible.
        add("mental_health", r.DEST_MENTAL_HEALTH_PROTECTION_CO_CASE)

    if "youth_deviance" in cats or ind.youth_law_violation:
        age = youth_age(report)
        if age is None or age >= rules.adult_from:
            notes.append(r.YOUTH_AGE_OUT_OF_SCOPE)
        elif age >= rules.youth_counseling_from:
            add("youth_counseling", r.DEST_YOUTH_COUNSELING)
        else:
            # Under 12: family and school support, not 少輔會.
            add("welfare_center", r.DEST_WELFARE_CHILD_UNDER_12)

    return DestinationRules(matches=tuple(matches), notes=tuple(notes))


def resolve_destinations(
    report: ScreeningInput,
    matches: tuple[DestinationMatch, ...],
    *,
    directory: UnitDirectory,
) -> tuple[Destination, ...]:
    """One destination per (kind, unit), in DESTINATION_KINDS order."""
    merged: dict[tuple[str, str | None], list[str]] = {}
    for kind in DESTINATION_KINDS:
        codes = [m.code for m in matches if m.kind == kind]
        if not codes:
            continue
        # Only welfare_center depends on the township; an unmapped one yields
        # None and so human review, for that destination only.
        unit = directory.unit_for(county=report.county, kind=kind, township=report.township)
        # Each kind resolves to one unit per report, so today this merge only
        # keys on kind; keying on (kind, unit) keeps the contract explicit.
        merged.setdefault((kind, unit), []).extend(codes)
    return tuple(Destination(kind=kind, unit=unit, reason_codes=tuple(codes)) for (kind, unit), codes in merged.items())
