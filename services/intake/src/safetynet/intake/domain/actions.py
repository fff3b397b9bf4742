"""Who may ask routing for which action, checked against what intake last heard.

Routing has the final word (it answers CommandRejected if the case moved on); these
checks answer the person at once when the request cannot possibly apply.
"""

from dataclasses import dataclass

from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.views import ReportView

DISPATCH_STAFF = ("dispatcher", "supervisor")

# command type -> (roles that may send it, referral statuses it applies to; None: report-level)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "ConfirmDestinations": (DISPATCH_STAFF, None),
    "ChangeDestinations": (DISPATCH_STAFF, None),
    "ReassignReferral": (DISPATCH_STAFF, ("assigned", "rejected")),
    "AcknowledgeReferral": (("unit", *DISPATCH_STAFF), ("assigned",)),
    "RejectReferral": (("unit",), ("assigned",)),
    "CloseReferral": (("unit",), ("acknowledged",)),
}


class Forbidden(Exception):
    """The key's role may not take this action."""


class NotVisible(Exception):
    """No such report or referral for this key (answered as 404, never 403)."""


class Conflict(Exception):
    """The report or referral is not in a state where the action applies."""


@dataclass(frozen=True)
class Target:
    county: str
    referral: dict | None  # type: ignore[type-arg]


def check(principal: Principal, command_type: str, *, view: ReportView, county: str,
          referral_id: str | None = None) -> Target:
    """Raise unless `principal` may send `command_type` for this report now."""
    roles, statuses = RULES[command_type]
    if principal.role not in roles:
        raise Forbidden(f"{command_type} needs a key of role {' or '.join(roles)}")
    referral = next((r for r in view.referrals if r["referral_id"] == referral_id), None)
    if principal.role == "unit":
        if referral is None or referral["unit"] != principal.unit:
            raise NotVisible("no such referral for this unit")
    elif county != principal.county:
        raise NotVisible("no such report in this county")
    if statuses is None:
        if view.status != "awaiting_review":
            raise Conflict(f"the report is {view.status}; only a report awaiting review can be confirmed or changed")
        if not _destinations_without_referral(view):
            raise Conflict("every destination already has a referral: reassign the rejected one instead")
        if command_type == "ConfirmDestinations" and not any(d.get("unit") for d in view.destinations):
            raise Conflict("no recommended destination has a unit: change the destinations instead")
        return Target(county=county, referral=None)
    if referral is None:
        raise NotVisible("no such referral")
    if referral["status"] not in statuses:
        raise Conflict(f"the referral is {referral['status']}; {command_type} needs {' or '.join(statuses)}")
    return Target(county=county, referral=referral)


def _destinations_without_referral(view: ReportView) -> list[dict]:  # type: ignore[type-arg]
    """Destinations that no referral (other than a reassigned one) stands for yet."""
    held = {(r["kind"], r["unit"]) for r in view.referrals if r["status"] != "reassigned"}
    return [d for d in view.destinations if (d["kind"], d.get("unit")) not in held]
