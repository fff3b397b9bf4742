"""Domain commands: what a dispatcher or a unit asks of a case, and how each applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import UnknownReport, WrongCounty
from .events import Event
from .long_term_care import place_in_long_term_care
from .model import Case
from .values import Actor, Destination, NewId, UnitDirectory, new_referral_id


@dataclass(frozen=True, kw_only=True)
class Command:
    report_id: str
    county: str
    actor: Actor


class ConfirmDestinations(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class ChangeDestinations(Command):
    destinations: tuple[Destination, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReassignReferral(Command):
    referral_id: str
    unit: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AcknowledgeReferral(Command):
    referral_id: str


@dataclass(frozen=True, kw_only=True)
class RejectReferral(Command):
    referral_id: str
    reason: str  # a code of safetynet.policy.outcomes
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CloseReferral(Command):
    referral_id: str
    outcome: str  # opened | not_opened
    reason: str | None = None  # a code of safetynet.policy.outcomes
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlaceInLongTermCare(Command):
    referral_id: str
    review_on: date  # at most 12 months ahead (safetynet.policy.long_term_care)
    note: str | None = None


def execute(
    case: Case | None, command: Command, *, at: datetime, units: UnitDirectory, new_id: NewId = new_referral_id
) -> list[Event]:
    """Apply `command` to `case`; raise a CommandError (and change nothing) when it does not apply."""
    if case is None:
        raise UnknownReport(f"no case for report {command.report_id}")
    if case.county != command.county:
        # People act only within their county: a mismatch is a wrong or forged command.
        raise WrongCounty(f"report {command.report_id} is not in {command.county}")
    # A command carries intake's clock, which may lag routing's by a little: never date a
    # change before the state it changes, or the timeline would run backwards.
    acted_at, at = at, max(at, case.updated_at)
    actor = command.actor
    match command:
        case ConfirmDestinations():
            return case.confirm(new_id=new_id, actor=actor, at=at)
        case ChangeDestinations():
            return case.change(
                destinations=command.destinations, reason=command.reason, units=units, new_id=new_id, actor=actor, at=at
            )
        case ReassignReferral():
            return case.reassign(
                referral_id=command.referral_id,
                unit=command.unit,
                reason=command.reason,
                units=units,
                new_id=new_id,
                actor=actor,
                at=at,
            )
        case AcknowledgeReferral():
            return case.acknowledge(referral_id=command.referral_id, actor=actor, at=at)
        case RejectReferral():
            return case.reject(
                referral_id=command.referral_id, reason=command.reason, note=command.note, actor=actor, at=at
            )
        case CloseReferral():
            return case.close(
                referral_id=command.referral_id,
                outcome=command.outcome,
                reason=command.reason,
                note=command.note,
                actor=actor,
                at=at,
            )
        case PlaceInLongTermCare():
            return place_in_long_term_care(
                case,
                referral_id=command.referral_id,
                review_on=command.review_on,
                note=command.note,
                actor=actor,
                at=at,
                acted_at=acted_at,
            )
    raise TypeError(f"unknown command {type(command).__name__}")
