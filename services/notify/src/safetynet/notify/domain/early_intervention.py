"""Early intervention by prosecutors and police (檢警早期介入, decision model v1.1 rule 4):
when screening marks a report a severe child-abuse case (reason EARLY_INTERVENTION), the
county's designated prosecutor's office and police unit are told at once.

The notice carries no personal data: the report id, county, categories, risk light, the
protection unit the case goes to, and how to reach the center. Whoever needs the person
calls the center, which checks who is asking before it says more.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from safetynet.policy.early_intervention import REASON as EARLY_INTERVENTION
from safetynet.policy.early_intervention import calls_for_early_intervention

from .notifications import Notification, Recipient

__all__ = ["CenterContact", "SevereCase", "calls_for_early_intervention", "early_intervention_notices"]
# The protection unit before any is named: the decision left protection for a dispatcher.
PENDING_UNIT = "pending"


@dataclass(frozen=True)
class CenterContact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class SevereCase:
    """What a notice may say about the report: nothing that names or describes a person."""

    report_id: str
    county: str
    categories: Sequence[str]
    risk_level: str
    protection_unit: str | None  # None: not known yet ("pending" in the notice)
    decided_at: datetime


def early_intervention_notices(
    case: SevereCase, *, center: CenterContact, recipients: Sequence[Recipient]
) -> list[Notification]:
    """One urgent notice per recipient per channel; the same case always plans the same
    notices (their ids derive from report, recipient and channel), so a redelivered
    decision or a re-decision of the report tells no one twice."""
    subject = f"[URGENT] 檢警早期介入 Early intervention: report {case.report_id} ({case.county})"
    content = {
        "event": "early_intervention",
        "reason": EARLY_INTERVENTION,
        "report_id": case.report_id,
        "county": case.county,
        "categories": sorted(case.categories),
        "risk_level": case.risk_level,
        "protection_unit": case.protection_unit or PENDING_UNIT,
        "center_name": center.name,
        "center_phone": center.phone,
        "center_email": center.email,
        "decided_at": case.decided_at.isoformat(),
    }
    return [
        Notification(
            kind="early_intervention",
            report_id=case.report_id,
            county=case.county,
            recipient=r.id,
            channel=r.channel,
            urgent=True,
            subject=subject,
            content=content,
            address=r.address,
        )
        for r in recipients
    ]
