"""Who may ask routing for which action, checked against what intake last heard.

Routing has the final word (it answers CommandRejected if the case moved on); these
checks answer the person at once when the request cannot possibly apply. Who may send
what is intake's (access); which referral states an action applies to is the lifecycle
routing applies too (safetynet.policy.referral_lifecycle).
"""

from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.views import Destination, Referral, ReportView
from safetynet.policy import long_term_care, outcomes
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.referral_lifecycle import ReferralAction

DISPATCH_STAFF = ("dispatcher", "supervisor")

# command type -> (roles that may send it, the referral action it is; None: report-level)
RULES: dict[str, tuple[tuple[str, ...], ReferralAction | None]] = {
    "ConfirmDestinations": (DISPATCH_STAFF, None),
    "ChangeDestinations": (DISPATCH_STAFF, None),
    "ReassignReferral": (DISPATCH_STAFF, "reassign"),
    "AcknowledgeReferral": (("unit", *DISPATCH_STAFF), "acknowledge"),
    "RejectReferral": (("unit",), "reject"),
    "CloseReferral": (("unit",), "close"),
    # A welfare center keeps (or renews) a long-term care household (decision model v1.1 rule 2).
    "PlaceInLongTermCare": (("unit",), "long_term_care"),
}


class ActionFields(TypedDict, total=False):
    """What an action carries beyond its target, as the command's payload has it."""

    destinations: list[Destination]  # ChangeDestinations
    reason: str  # ChangeDestinations, ReassignReferral (text); RejectReferral, CloseReferral (a code)
    unit: str  # ReassignReferral
    outcome: str  # CloseReferral: opened | not_opened
    note: str  # RejectReferral, CloseReferral, PlaceInLongTermCare: the unit's free text
    review_on: str  # PlaceInLongTermCare: the next review, an ISO date


class Forbidden(Exception):
    """The key's role may not take this action."""


class NotVisible(Exception):
    """No such report or referral for this key (answered as 404, never 403)."""


class Conflict(Exception):
    """The report or referral is not in a state where the action applies."""


class Invalid(ValueError):
    """A value the outcome vocabulary does not allow; `field` names it (outcome, reason, note)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field} {message}")
        self.field, self.message = field, message


def outcome_fields(command_type: str, *, outcome: str | None, reason: str | None, note: str | None) -> ActionFields:
    """A unit's answer as the command carries it, checked against the vocabulary
    (safetynet.policy.outcomes): close with an outcome and maybe a reason, reject with a
    reason; a note beside either (blank: none). Raise Invalid naming the field."""
    note = (note or "").strip() or None
    if command_type == "CloseReferral":
        problem = outcomes.close_problem(outcome=outcome or "", reason=reason, note=note)
    elif command_type == "RejectReferral":
        problem = outcomes.reject_problem(reason=reason or "", note=note)
    else:
        return ActionFields()
    if problem is not None:
        raise Invalid(*problem)
    fields = ActionFields()
    if outcome is not None and command_type == "CloseReferral":
        fields["outcome"] = outcome
    if reason is not None:
        fields["reason"] = reason
    if note is not None:
        fields["note"] = note
    return fields


def long_term_care_fields(*, review_on: date | None, note: str | None, today: date) -> ActionFields:
    """A long-term care placement or renewal as the command carries it: the review date
    checked with the policy's rule (Invalid names `review_on`); a note (blank: none)."""
    if review_on is None:
        raise Invalid(long_term_care.FIELD, "is required")
    problem = long_term_care.review_problem(review_on, today=today)
    if problem is not None:
        raise Invalid(*problem)
    fields = ActionFields(review_on=review_on.isoformat())
    note = (note or "").strip()
    if note:
        fields["note"] = note
    return fields


@dataclass(frozen=True)
class Target:
    county: str
    referral: Referral | None


def check(
    principal: Principal, command_type: str, *, view: ReportView, county: str, referral_id: str | None = None
) -> Target:
    """Raise unless `principal` may send `command_type` for this report now."""
    roles, action = RULES[command_type]
    if principal.role not in roles:
        raise Forbidden(f"{command_type} needs a key of role {' or '.join(roles)}")
    referral = next((r for r in view.referrals if r["referral_id"] == referral_id), None)
    if principal.role == "unit":
        if referral is None or referral["unit"] != principal.unit:
            raise NotVisible("no such referral for this unit")
    elif county != principal.county:
        raise NotVisible("no such report in this county")
    if action is None:
        if view.status != "awaiting_review":
            raise Conflict(f"the report is {view.status}; only a report awaiting review can be confirmed or changed")
        if not destinations_without_referral(view):
            raise Conflict("every destination already has a referral: reassign the rejected one instead")
        if command_type == "ConfirmDestinations" and not any(d.get("unit") for d in view.destinations):
            raise Conflict("no recommended destination has a unit: change the destinations instead")
        return Target(county=county, referral=None)
    if referral is None:
        raise NotVisible("no such referral")
    if action == "long_term_care" and referral["kind"] != long_term_care.KIND:
        raise Forbidden(
            f"only a welfare center keeps a long-term care household; this is a {referral['kind']} referral"
        )
    why = lifecycle.refusal(action, referral["status"])
    if why is not None:
        raise Conflict(f"{why}: {command_type} does not apply")
    return Target(county=county, referral=referral)


def destinations_without_referral(view: ReportView) -> list[lifecycle.Slot]:
    """Destinations that no referral (other than a reassigned one) stands for yet."""
    return lifecycle.pending_destinations(
        [lifecycle.Slot(d["kind"], d.get("unit")) for d in view.destinations],
        [lifecycle.ReferralState(r["kind"], r["unit"], r["status"]) for r in view.referrals],
    )
