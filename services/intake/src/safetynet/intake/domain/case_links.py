"""Reports linked to an open case (decision model v1.1 rule 1, 併案), seen both ways.

Routing links a new report's referral to the open referral of an earlier report
(`linked_to` on the referral). The report page shows the link on both reports: on the
new one, which referral of which report it was linked to; on the earlier one, which later
reports were linked to it. Ids only: a link says nothing personal.
"""

from dataclasses import dataclass, field
from typing import TypedDict


class CaseLink(TypedDict):
    referral_id: str  # this report's referral
    other_report_id: str
    other_referral_id: str


@dataclass(frozen=True)
class CaseLinks:
    # This report's referrals linked to the open referrals of earlier reports.
    linked_to: list[CaseLink] = field(default_factory=list)
    # Later reports whose referrals were linked to this report's referrals.
    linked_from: list[CaseLink] = field(default_factory=list)


def one_per_report(links: list[CaseLink], superseded: set[str]) -> list[CaseLink]:
    """One link per other report: when a linked referral was moved along with its open
    case (routing reassigns both), the link of the referral that still stands is shown."""
    chosen: dict[str, CaseLink] = {}
    for link in links:
        held = chosen.get(link["other_report_id"])
        if held is None or (held["referral_id"] in superseded and link["referral_id"] not in superseded):
            chosen[link["other_report_id"]] = link
    return list(chosen.values())
