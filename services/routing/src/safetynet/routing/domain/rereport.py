"""Re-report after closure (結案後再報), decided where closures are committed.

Decision model v1: a report on a person whose referral was closed less than 365×24 h
before the report was received is a direct dispatch, and each destination of the same
kind goes back to the unit of that subject's most recently closed referral, when that
unit belongs to the report's county (otherwise the destination stays as screening chose
it, and the reason still names the earlier unit).

Routing owns the closures, so it applies this rule when it opens the case, reading its
own committed referrals: a closure committed before the report was received is always
seen, however late any other service hears of it. Screening decides everything else and
never sees closures; this module is the only place the rule lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from safetynet.policy.repeat_window import within_repeat_window

from .values import Destination, Reason, ScreenedReport, unique

DIRECT_RECENT_CLOSED_REFERRAL = "DIRECT_RECENT_CLOSED_REFERRAL"
REREPORT_PREVIOUS_UNIT = "REREPORT_PREVIOUS_UNIT"
REREPORT_PREVIOUS_UNIT_OTHER_COUNTY = "REREPORT_PREVIOUS_UNIT_OTHER_COUNTY"
REVIEW_UNIT_NOT_MAPPED = "REVIEW_UNIT_NOT_MAPPED"

TEXTS = {
    DIRECT_RECENT_CLOSED_REFERRAL: "逕派：結案 365 天內再通報 / Direct dispatch: referral closed within 365 days",
    REREPORT_PREVIOUS_UNIT: "結案後再報，派回原承辦單位 / Re-report after closure -> previous unit",
    REREPORT_PREVIOUS_UNIT_OTHER_COUNTY: (
        "結案後再報，原承辦單位屬他縣市，依一般規則派案 / "
        "Re-report after closure: previous unit is in another county, routed as usual"
    ),
}


@dataclass(frozen=True)
class ClosedReferral:
    """A referral routing closed, for one subject of its report."""

    subject_hash: str
    kind: str
    unit: str
    county: str
    closed_at: datetime


def recent_closures(report: ScreenedReport, history: Iterable[ClosedReferral]) -> list[ClosedReferral]:
    """Closures of this report's subjects inside the repeat window before it was received
    (safetynet.policy.repeat_window). The caller may pass a wider history: the window is
    decided here."""
    hashes = set(report.subject_hashes)
    return [c for c in history if c.subject_hash in hashes and within_repeat_window(c.closed_at, report.received_at)]


def latest_by_kind(closures: Iterable[ClosedReferral]) -> dict[str, ClosedReferral]:
    """Kind -> the most recently closed referral of that kind, across all subjects."""
    latest: dict[str, ClosedReferral] = {}
    for c in closures:
        held = latest.get(c.kind)
        # Ties on closed_at go to the larger unit id, so the load order never matters.
        if held is None or (c.closed_at, c.unit) > (held.closed_at, held.unit):
            latest[c.kind] = c
    return latest


def apply_rereport_rule(report: ScreenedReport, history: Iterable[ClosedReferral]) -> ScreenedReport:
    """Screening's decision amended by the re-report rule (unchanged when it does not hold)."""
    latest = latest_by_kind(recent_closures(report, history))
    if not latest:
        return report
    reused: list[str] = []
    elsewhere: list[str] = []
    destinations: list[Destination] = []
    for d in report.recommended:
        previous = latest.get(d.kind)
        if previous is None:
            destinations.append(d)
        elif previous.county == report.county:
            # Also fills a welfare center whose township is not mapped: the unit is known.
            destinations.append(Destination(d.kind, previous.unit))
            reused.append(previous.unit)
        else:
            # Reusing another county's unit would leave a destination the dispatcher
            # could not change without giving up the referral: route as usual.
            destinations.append(d)
            elsewhere.append(previous.unit)
    recommended = unique(destinations)
    added = [Reason(DIRECT_RECENT_CLOSED_REFERRAL, TEXTS[DIRECT_RECENT_CLOSED_REFERRAL])]
    if reused:
        added.append(_naming(REREPORT_PREVIOUS_UNIT, reused))
    if elsewhere:
        added.append(_naming(REREPORT_PREVIOUS_UNIT_OTHER_COUNTY, elsewhere))
    return replace(
        report,
        direct_dispatch=True,
        recommended=recommended,
        reasons=_merge(report.reasons, added, unmapped_left=any(d.unit is None for d in recommended)),
    )


def _naming(code: str, units: list[str]) -> Reason:
    return Reason(code, f"{TEXTS[code]}: {', '.join(dict.fromkeys(units))}")


def _merge(reasons: tuple[Reason, ...], added: list[Reason], *, unmapped_left: bool) -> tuple[Reason, ...]:
    """Screening's reasons with the rule's, in the decision's order (review reasons last);
    a missing unit that the previous unit filled is no longer a reason for review."""
    known = {r.code for r in reasons}
    kept = [r for r in reasons if unmapped_left or r.code != REVIEW_UNIT_NOT_MAPPED]
    body = [r for r in kept if not r.code.startswith("REVIEW_")]
    review = [r for r in kept if r.code.startswith("REVIEW_")]
    return tuple(body + [r for r in added if r.code not in known] + review)
