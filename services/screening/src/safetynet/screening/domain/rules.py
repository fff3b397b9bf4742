"""Decision model v1: `decide` turns one report into one explainable Decision.

Pure: the caller supplies the report and the county unit directory; nothing
here reads a clock, a database or a file, so the same inputs always give the
same Decision. The re-report-after-closure rule is routing's (it owns the
closures), applied to this Decision when routing opens the case.
"""

from __future__ import annotations

from . import reasons as r
from .destinations import match_destination_rules, resolve_destinations
from .dispatch import direct_dispatch_codes
from .model import (
    RULE_VERSION,
    Decision,
    Reason,
    ScreeningInput,
    UnitDirectory,
)
from .risk import assess_risk


def decide(
    report: ScreeningInput,
    *,
    directory: UnitDirectory,
) -> Decision:
    risk = assess_risk(report)
    rules = match_destination_rules(report)
    direct = direct_dispatch_codes(report)
    destinations = resolve_destinations(report, rules.matches, directory=directory)
    red = risk.level == "red"

    review: list[str] = []
    if not destinations:
        review.append(r.REVIEW_NO_DESTINATION)
    if any(d.unit is None for d in destinations):
        review.append(r.REVIEW_UNIT_NOT_MAPPED)
    # Red and direct-dispatch reports are assigned at once; everything else
    # waits for a dispatcher, as does any report that cannot be fully routed
    # (a direct dispatch with no destination stays direct_dispatch=True but
    # still needs review).
    needs_review = bool(review) or not (red or direct)

    # Reason order: risk (red→green), destination rules, direct dispatch,
    # review (routing inserts its re-report codes before review). Each rule has its own code, so every code
    # appears once by construction (a unit test guards this).
    codes: list[str] = list(risk.codes)
    codes.extend(m.code for m in rules.matches)
    codes.extend(rules.notes)
    codes.extend(direct)
    codes.extend(review)
    reasons: tuple[Reason, ...] = tuple(r.reason(code) for code in codes)

    return Decision(
        rule_version=RULE_VERSION,
        risk_level=risk.level,
        urgent=red,
        direct_dispatch=bool(direct),
        reasons=reasons,
        destinations=destinations,
        needs_review=needs_review,
    )
