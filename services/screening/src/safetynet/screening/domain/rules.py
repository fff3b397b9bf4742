"""Decision model v1 and v1.1: `decide` turns one report into one explainable Decision.

v1.1's screening rules (bsrs5.py, early_intervention.py) hold only under a version that
switches them on; its routing rules are passed on in `Decision.routing_rules`.

Pure: the caller supplies the report and the county unit directory; nothing
here reads a clock, a database or a file, so the same inputs always give the
same Decision. The re-report-after-closure rule is routing's (it owns the
closures), applied to this Decision when routing opens the case.
"""

from __future__ import annotations

from dataclasses import replace

from . import bsrs5
from . import reasons as r
from .destinations import match_destination_rules, resolve_destinations
from .dispatch import direct_dispatch_codes
from .early_intervention import early_intervention_codes
from .model import (
    Decision,
    Reason,
    ScreeningInput,
    UnitDirectory,
)
from .risk import assess_risk
from .ruleset import RuleSet
from .versions import V1


def decide(
    report: ScreeningInput,
    *,
    directory: UnitDirectory,
    rules: RuleSet = V1,
) -> Decision:
    """The decision under rule version `rules` (decision model v1's own by default)."""
    risk = assess_risk(report, rules)
    matched = match_destination_rules(report, rules)
    direct = direct_dispatch_codes(report, rules)
    destinations = resolve_destinations(report, matched.matches, directory=directory)
    early = early_intervention_codes(report, rules)
    red = risk.level == "red"

    # v1.1 rule 3: a low BSRS-5 screen holds the mental_health destination (recommended,
    # but without a unit) until a dispatcher confirms it, like an unmapped township.
    mh_triggers = {m.code for m in matched.matches if m.kind == "mental_health"}
    held_back = bsrs5.low_screen_holds(report, rules, mh_triggers)
    if held_back:
        destinations = tuple(replace(d, unit=None) if d.kind == "mental_health" else d for d in destinations)

    review: list[str] = []
    if not destinations:
        review.append(r.REVIEW_NO_DESTINATION)
    if any(d.unit is None and not (held_back and d.kind == "mental_health") for d in destinations):
        review.append(r.REVIEW_UNIT_NOT_MAPPED)
    if held_back:
        review.append(r.MH_LOW_SCREEN)
    # Red and direct-dispatch reports are assigned at once; everything else
    # waits for a dispatcher, as does any report that cannot be fully routed
    # (a direct dispatch with no destination stays direct_dispatch=True but
    # still needs review).
    needs_review = bool(review) or not (red or direct)

    # Reason order: risk (red→green), destination rules, direct dispatch,
    # review (routing inserts its re-report codes before review). Each rule has its own code, so every code
    # appears once by construction (a unit test guards this).
    codes: list[str] = list(risk.codes)
    codes.extend(m.code for m in matched.matches)
    codes.extend(matched.notes)
    codes.extend(direct)
    codes.extend(early)
    codes.extend(review)
    # A v1.1 BSRS-5 condition is both a risk condition and a destination rule (one
    # condition, two effects): it is explained once, where it first appears.
    reasons: tuple[Reason, ...] = tuple(_reason(code, rules) for code in dict.fromkeys(codes))

    return Decision(
        rule_version=rules.version,
        risk_level=risk.level,
        urgent=red,
        direct_dispatch=bool(direct),
        reasons=reasons,
        destinations=destinations,
        needs_review=needs_review,
        routing_rules=rules.routing_rules(),
    )


def _reason(code: str, rules: RuleSet) -> Reason:
    # The catalogue's TIPVDA texts state v1's thresholds; a version with others says its own.
    if code == r.RED_TIPVDA_HIGH and rules.tipvda_red != V1.tipvda_red:
        return Reason(
            code=code, text=f"TIPVDA 分數 ≥ {rules.tipvda_red}（高度危險）/ TIPVDA score >= {rules.tipvda_red}"
        )
    medium = (rules.tipvda_orange, rules.tipvda_red)
    if code == r.ORANGE_TIPVDA_MEDIUM and medium != (V1.tipvda_orange, V1.tipvda_red):
        low, high = medium[0], medium[1] - 1
        return Reason(code=code, text=f"TIPVDA 分數 {low}–{high} / TIPVDA score {low}-{high}")
    return r.reason(code)
