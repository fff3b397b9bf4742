"""Who may ask routing for which action, checked against what intake last heard.

Routing has the final word (it answers CommandRejected if the case moved on); these
checks answer the person at once when the request cannot possibly apply. Who may send
what is intake's (access); which referral states an action applies to is the lifecycle
routing applies too (safetynet.policy.referral_lifecycle).
"""

from dataclasses import dataclass
from typing import TypedDict

from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.views import Destination, Referral, ReportView
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
}


class ActionFields(TypedDict, total=False):
    """What an action carries beyond its target, as the command's payload has it."""

    destinations: list[Destination]  # ChangeDestinations
    reason: str  # ChangeDestinations, ReassignReferral, RejectReferral
    unit: str  # ReassignReferral
    outcome: str  # CloseReferral


class Forbidden(Exception):
    """The key's role may not take this action."""


class NotVisible(Exception):
    """No such report or referral for this key (answered as 404, never 403)."""


class Conflict(Exception):
    """The report or referral is not in a state where the action applies."""


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
