"""Linked to an open case (併案), decision model v1.1 rule 1, decided where referrals live.

For each destination kind, when a subject of the report (by keyed hash) holds a live
referral of that kind in the report's county (assigned, acknowledged or in long-term care:
safetynet.policy.referral_lifecycle.LIVE_STATUSES), the destination goes at once to the
unit holding it, as a new referral linked to the open one, and the report is a direct
dispatch. Where several live referrals of a kind qualify, the most recently assigned wins.

An open case beats a closed one: the handler applies this rule before the re-report
rule (rereport.py) and hides the linked kinds from it. Routing applies the rule only
when the deciding rule version switches it on (`ScreenedReport.routing_rules`), so a
report decided under v1 is routed exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from safetynet.policy.referral_lifecycle import LIVE_STATUSES

from .events import Event, ReferralAssigned, ReferralReassigned
from .model import Case
from .values import (
    ROUTING,
    Destination,
    NewId,
    Reason,
    Referral,
    ScreenedReport,
    UnitDirectory,
    new_referral_id,
    unique,
)

OPEN_CASE_LINK = "open_case_link"  # the rule version's switch, as ReportScreened lists it
DIRECT_OPEN_CASE = "DIRECT_OPEN_CASE"
DIRECT_LONG_TERM_CARE = "DIRECT_LONG_TERM_CARE"
LONG_TERM_CARE = "long_term_care"

TEXTS = {
    DIRECT_OPEN_CASE: "逕派：併案，派給承辦中的單位 / Direct dispatch: linked to an open case, sent to its unit",
    DIRECT_LONG_TERM_CARE: (
        "逕派：併案，長期關懷戶派給原承辦單位 / Direct dispatch: linked to a long-term care household, sent to its unit"
    ),
}


@dataclass(frozen=True)
class OpenReferral:
    """A referral of another report naming one of this report's subjects, as committed."""

    referral_id: str
    report_id: str
    subject_hash: str
    kind: str
    unit: str
    county: str
    status: str
    assigned_at: datetime

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


def switched_on(report: ScreenedReport) -> bool:
    return OPEN_CASE_LINK in report.routing_rules


def open_cases_by_kind(report: ScreenedReport, candidates: Iterable[OpenReferral]) -> dict[str, OpenReferral]:
    """Kind -> the most recently assigned live referral of that kind that a subject of the
    report holds in its county. The caller may pass any referrals: liveness, subjects and
    county are decided here."""
    hashes = set(report.subject_hashes)
    latest: dict[str, OpenReferral] = {}
    for c in candidates:
        if not c.live or c.subject_hash not in hashes or c.county != report.county or c.report_id == report.report_id:
            continue
        held = latest.get(c.kind)
        # Ties on assigned_at go to the larger referral id, so the load order never matters.
        if held is None or (c.assigned_at, c.referral_id) > (held.assigned_at, held.referral_id):
            latest[c.kind] = c
    return latest


def apply_open_case_rule(report: ScreenedReport, candidates: Iterable[OpenReferral]) -> ScreenedReport:
    """Screening's decision amended by rule 1 (unchanged when it is off or does not hold).
    The linked destinations carry their open referral in `report.links`."""
    if not switched_on(report):
        return report
    open_cases = open_cases_by_kind(report, candidates)
    linked = {d.kind: open_cases[d.kind] for d in report.recommended if d.kind in open_cases}
    if not linked:
        return report
    recommended = unique(
        [Destination(d.kind, linked[d.kind].unit) if d.kind in linked else d for d in report.recommended]
    )
    return replace(
        report,
        direct_dispatch=True,
        recommended=recommended,
        links={**report.links, **{kind: o.referral_id for kind, o in linked.items()}},
        reasons=_merge(report.reasons, [_reason(o) for o in linked.values()], recommended),
    )


def _reason(open_referral: OpenReferral) -> Reason:
    code = DIRECT_LONG_TERM_CARE if open_referral.status == LONG_TERM_CARE else DIRECT_OPEN_CASE
    o = open_referral
    return Reason(code, f"{TEXTS[code]}: {o.unit} (referral {o.referral_id}, report {o.report_id})")


def _merge(
    reasons: tuple[Reason, ...], added: list[Reason], recommended: tuple[Destination, ...]
) -> tuple[Reason, ...]:
    """Screening's reasons with the rule's before the review reasons; a unit the open case
    filled is no longer missing."""
    unmapped_left = any(d.unit is None for d in recommended)
    kept = [r for r in reasons if unmapped_left or r.code != "REVIEW_UNIT_NOT_MAPPED"]
    body = [r for r in kept if not r.code.startswith("REVIEW_")]
    review = [r for r in kept if r.code.startswith("REVIEW_")]
    return tuple(body + added + review)


FOLLOWS_OPEN_CASE = "併案：原案改派，隨同移轉 / Linked to an open case that was reassigned: follows it"


def follow_the_open_case(
    case: Case,
    *,
    referral_id: str,
    open_successor: Referral,
    at: datetime,
    units: UnitDirectory,
    new_id: NewId = new_referral_id,
) -> list[Event]:
    """Move `case`'s referral, linked to an open referral that a dispatcher has just
    reassigned, to the open case's new unit, linked to its successor: a report linked to
    an open case goes to the unit holding that case, whichever committed first, the report
    or the reassignment. Raises a CommandError when the move does not apply (the unit is
    already a destination of this report): the referral then stays where it is."""
    reason = f"{FOLLOWS_OPEN_CASE}: {open_successor.referral_id} -> {open_successor.unit}"
    moved, assigned = case.reassign(
        referral_id=referral_id,
        unit=open_successor.unit,
        reason=reason,
        actor=ROUTING,
        at=at,
        units=units,
        new_id=new_id,
    )
    assert isinstance(moved, ReferralReassigned) and isinstance(assigned, ReferralAssigned)
    successor = case.referral(moved.successor_id)
    successor.linked_to = open_successor.referral_id
    return [moved, replace(assigned, referral=replace(successor))]
