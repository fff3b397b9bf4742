"""The Case aggregate: one screened report, where it goes, and its referrals.

Status is derived, never stored by hand, so it cannot drift from the referrals; the
rule (and which referral state each action starts from) is `safetynet.policy.referral_lifecycle`.
A `reassigned` referral was superseded by its successor and no longer counts; a
`rejected` one counts as a hole to fill (it is never "closed enough"), so a report
with a rejected referral can only close after a dispatcher reassigns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from safetynet.policy import outcomes
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.referral_lifecycle import ReferralAction

from .errors import InvalidOutcome, InvalidTransition, UnknownReferral, UnknownUnit
from .events import (
    CaseOpened,
    DestinationsChanged,
    DestinationsConfirmed,
    Event,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralClosed,
    ReferralReassigned,
    ReferralRejected,
)
from .values import (
    ROUTING,
    Actor,
    Destination,
    NewId,
    Reason,
    Referral,
    ScreenedReport,
    UnitDirectory,
    new_referral_id,
    unique,
)


@dataclass
class Case:
    report_id: str
    county: str
    risk_level: str
    urgent: bool
    direct_dispatch: bool
    recommended: tuple[Destination, ...]  # the system's decision, never overwritten
    destinations: tuple[Destination, ...]  # the current ones, after any dispatcher change
    subject_hashes: tuple[str, ...]
    received_at: datetime
    updated_at: datetime
    seq: int = 0  # one more per change, so consumers keep the newest snapshot
    referrals: list[Referral] = field(default_factory=list)
    # The reasons of the decision routing acted on; None for a case opened before
    # routing kept them (its reasons are screening's, as intake already shows them).
    reasons: tuple[Reason, ...] | None = None

    @classmethod
    def open(cls, report: ScreenedReport, *, at: datetime, new_id: NewId = new_referral_id) -> tuple[Case, list[Event]]:
        """Open the case; a red or direct-dispatch report is referred at once."""
        recommended = unique(report.recommended)
        case = cls(
            report_id=report.report_id,
            county=report.county,
            risk_level=report.risk_level,
            urgent=report.urgent,
            direct_dispatch=report.direct_dispatch,
            recommended=recommended,
            destinations=recommended,
            subject_hashes=report.subject_hashes,
            received_at=report.received_at,
            updated_at=at,
            reasons=report.reasons,
        )
        why = "urgent" if report.urgent else "direct_dispatch" if report.direct_dispatch else None
        assigned = (
            case._refer_pending(actor=ROUTING, at=at, detail=why, new_id=new_id, links=report.links) if why else []
        )
        case._changed(at)
        opened = CaseOpened(
            actor=ROUTING,
            at=at,
            detail=why,
            status=case.status,
            urgent=case.urgent,
            direct_dispatch=case.direct_dispatch,
            recommended=recommended,
        )
        return case, [opened, *assigned]

    @property
    def status(self) -> str:
        return lifecycle.report_status(self.destinations, self.referrals)

    def referral(self, referral_id: str) -> Referral:
        for referral in self.referrals:
            if referral.referral_id == referral_id:
                return referral
        raise UnknownReferral(f"report {self.report_id} has no referral {referral_id}")

    # Dispatcher decisions on the destinations -------------------------------------

    def confirm(self, *, actor: Actor, at: datetime, new_id: NewId = new_referral_id) -> list[Event]:
        """Accept the destinations as they are: refer every one that has a unit."""
        pending = self._pending()
        if not self.destinations:
            raise InvalidTransition("there is no destination to confirm: change the destinations")
        if not pending:
            raise InvalidTransition(self._nothing_pending())
        if all(d.unit is None for d in pending):
            raise InvalidTransition("no destination waiting for review has a unit: change the destinations")
        assigned = self._refer_pending(actor=actor, at=at, detail="confirmed", new_id=new_id)
        self._changed(at)
        return [DestinationsConfirmed(actor=actor, at=at, destinations=self.destinations), *assigned]

    def change(
        self,
        *,
        destinations: tuple[Destination, ...],
        reason: str,
        actor: Actor,
        at: datetime,
        units: UnitDirectory,
        new_id: NewId = new_referral_id,
    ) -> list[Event]:
        """Replace the destinations (keeping the recommendation) and refer the new ones."""
        wanted = unique(destinations)
        _require_text(reason, "a change needs a written reason")
        if not wanted:
            raise InvalidTransition("a change needs at least one destination")
        if self.destinations and not self._pending():
            raise InvalidTransition(self._nothing_pending())
        for d in wanted:
            if d.unit is not None:
                self._check_unit(units, kind=d.kind, unit=d.unit)
        for referral in self.referrals:
            if referral.status not in lifecycle.SUPERSEDED and referral.destination not in wanted:
                raise InvalidTransition(
                    f"{referral.unit} already holds referral {referral.referral_id}: "
                    "keep it among the destinations, or reassign it"
                )
        previous, self.destinations = self.destinations, wanted
        assigned = self._refer_pending(actor=actor, at=at, detail=reason, new_id=new_id)
        self._changed(at)
        changed = DestinationsChanged(
            actor=actor, at=at, detail=reason, recommended=self.recommended, previous=previous, destinations=wanted
        )
        return [changed, *assigned]

    def reassign(
        self,
        *,
        referral_id: str,
        unit: str,
        reason: str,
        actor: Actor,
        at: datetime,
        units: UnitDirectory,
        new_id: NewId = new_referral_id,
    ) -> list[Event]:
        """Move a referral to another unit of its kind: the old one ends `reassigned`."""
        old = self.referral(referral_id)
        _require_text(reason, "a reassignment needs a written reason")
        _require_allowed(old, "reassign")
        self._check_unit(units, kind=old.kind, unit=unit)
        target = Destination(old.kind, unit)
        if target == old.destination and old.status == "assigned":
            raise InvalidTransition(f"referral {referral_id} is already assigned to {unit}")
        if target != old.destination and target in self.destinations:
            raise InvalidTransition(f"{unit} is already a destination of report {self.report_id}")
        successor = Referral(
            referral_id=new_id(),
            kind=old.kind,
            unit=unit,
            status="assigned",
            urgent=self.urgent,
            assigned_at=at,
            updated_at=at,
        )
        self.destinations = tuple(target if d == old.destination else d for d in self.destinations)
        old.status, old.reason, old.updated_at = lifecycle.after("reassign", old.status), reason, at
        self.referrals.append(successor)
        self._changed(at)
        return [
            ReferralReassigned(
                actor=actor, at=at, detail=reason, referral=replace(old), successor_id=successor.referral_id
            ),
            ReferralAssigned(actor=actor, at=at, detail=reason, referral=replace(successor)),
        ]

    # The unit's answers -----------------------------------------------------------

    def acknowledge(self, *, referral_id: str, actor: Actor, at: datetime) -> list[Event]:
        """The unit takes the referral."""
        referral = self._move(referral_id, "acknowledge", at)
        return [ReferralAcknowledged(actor=actor, at=at, referral=replace(referral))]

    def reject(
        self, *, referral_id: str, reason: str, actor: Actor, at: datetime, note: str | None = None
    ) -> list[Event]:
        """The unit refuses the referral, with a reason code; the report goes back to the dispatchers."""
        note = _clean(note)
        _require_allowed(self.referral(referral_id), "reject")  # the state first, as for every action
        _require_valid(outcomes.reject_problem(reason=reason, note=note))
        referral = self._move(referral_id, "reject", at)
        referral.reason, referral.outcome_reason, referral.note = reason, reason, note
        return [ReferralRejected(actor=actor, at=at, detail=_said(reason, note), referral=replace(referral))]

    def close(
        self,
        *,
        referral_id: str,
        outcome: str,
        actor: Actor,
        at: datetime,
        reason: str | None = None,
        note: str | None = None,
    ) -> list[Event]:
        """The unit ends its work on the referral: a case opened (開案) or not, and why."""
        note = _clean(note)
        _require_allowed(self.referral(referral_id), "close")
        _require_valid(outcomes.close_problem(outcome=outcome, reason=reason, note=note))
        referral = self._move(referral_id, "close", at)
        referral.outcome, referral.outcome_reason, referral.note = outcome, reason, note
        detail = _said(outcome if reason is None else f"{outcome}: {reason}", note)
        return [ReferralClosed(actor=actor, at=at, detail=detail, referral=replace(referral))]

    # -------------------------------------------------------------------------------

    def _pending(self) -> list[Destination]:
        """Destinations that no referral holds or waits on (a rejected one waits for a reassignment)."""
        return lifecycle.pending_destinations(self.destinations, self.referrals)

    def _nothing_pending(self) -> str:
        if any(r.status == "rejected" for r in self.referrals):
            return "every destination already has a referral: reassign the rejected one"
        return "every destination already has a referral"

    def _refer_pending(
        self, *, actor: Actor, at: datetime, detail: str | None, new_id: NewId, links: Mapping[str, str] | None = None
    ) -> list[Event]:
        """Refer every pending destination with a unit; `links`: kind -> the open referral
        a new referral of that kind is linked to (rule 1, open_case.py)."""
        assigned: list[Event] = []
        for d in self._pending():
            if d.unit is None:
                continue  # a dispatcher has to name the unit first
            referral = Referral(
                referral_id=new_id(),
                kind=d.kind,
                unit=d.unit,
                status="assigned",
                urgent=self.urgent,
                assigned_at=at,
                updated_at=at,
                linked_to=(links or {}).get(d.kind),
            )
            self.referrals.append(referral)
            assigned.append(ReferralAssigned(actor=actor, at=at, detail=detail, referral=replace(referral)))
        return assigned

    def _check_unit(self, units: UnitDirectory, *, kind: str, unit: str) -> None:
        found = units.unit_kind(unit)
        if found is None:
            raise UnknownUnit(f"unknown unit {unit!r}")
        if found != (self.county, kind):
            raise UnknownUnit(f"{unit!r} is not a {kind} unit of {self.county}")

    def _move(self, referral_id: str, action: ReferralAction, at: datetime) -> Referral:
        referral = self.referral(referral_id)
        _require_allowed(referral, action)
        referral.status, referral.updated_at = lifecycle.after(action, referral.status), at
        self._changed(at)
        return referral

    def _changed(self, at: datetime) -> None:
        self.seq += 1
        self.updated_at = at


def _require_allowed(referral: Referral, action: ReferralAction) -> None:
    why = lifecycle.refusal(action, referral.status, referral_id=referral.referral_id)
    if why is not None:
        raise InvalidTransition(why)


def _require_valid(problem: tuple[str, str] | None) -> None:
    if problem is not None:
        field, message = problem
        raise InvalidOutcome(f"{field} {message}")


def _clean(note: str | None) -> str | None:
    """A blank note is no note."""
    return note.strip() or None if note is not None else None


def _said(code: str, note: str | None) -> str:
    """An event's detail: the code, then the unit's note."""
    return code if note is None else f"{code} — {note}"


def _require_text(text: str, message: str) -> None:
    if not text or not text.strip():
        raise InvalidTransition(message)
