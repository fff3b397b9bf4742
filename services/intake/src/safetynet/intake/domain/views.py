"""The report view that intake serves: built from the other services' events.

Events from different topics can arrive in any order, so every rule here tolerates
reordering: routing snapshots carry a sequence number, and an SLA that has closed
never reopens.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


# Referral statuses that end the holding unit's access to the report.
ENDED = frozenset({"rejected", "reassigned"})


@dataclass
class ReportView:
    report_id: str
    status: str = "received"
    risk_level: str | None = None
    urgent: bool | None = None
    direct_dispatch: bool | None = None
    rule_version: str | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    recommended: list[dict[str, Any]] = field(default_factory=list)
    destinations: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    routing_seq: int = 0
    sla: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def received(cls, report_id: str, *, sla_due_at: datetime) -> "ReportView":
        return cls(report_id=report_id, sla={"due_at": sla_due_at.isoformat(), "state": "open", "closed_at": None})

    def apply_decision(self, *, risk_level: str, urgent: bool, direct_dispatch: bool, rule_version: str,
                       reasons: list[dict[str, str]], recommended: list[dict[str, Any]],
                       sla_due_at: datetime) -> None:
        self.risk_level, self.urgent, self.rule_version = risk_level, urgent, rule_version
        if self.routing_seq == 0:  # routing has not spoken yet: show what screening decided
            self.direct_dispatch, self.reasons = direct_dispatch, reasons
            self.recommended = self.destinations = recommended
        elif not self.reasons:
            # Routing spoke first without its decision (an older routing): screening's
            # reasons are the best there are. Routing's recommendation stays.
            self.direct_dispatch, self.reasons = direct_dispatch, reasons
        if self.sla.get("state") == "open":
            self.sla["due_at"] = sla_due_at.isoformat()

    def apply_routing(self, *, seq: int, status: str, recommended: list[dict[str, Any]],
                      destinations: list[dict[str, Any]], referrals: list[dict[str, Any]],
                      direct_dispatch: bool | None = None,
                      reasons: list[dict[str, str]] | None = None) -> bool:
        """Take routing's snapshot if it is newer than the one shown; True if taken.

        Routing's decision (screening's, amended by the re-report-after-closure rule that
        routing owns) wins over screening's, whichever of the two events arrives first."""
        if seq <= self.routing_seq:
            return False
        self.routing_seq, self.status = seq, status
        self.recommended, self.destinations, self.referrals = recommended, destinations, referrals
        if direct_dispatch is not None:
            self.direct_dispatch = direct_dispatch
        if reasons is not None:
            self.reasons = reasons
        return True

    def apply_sla(self, *, state: str, due_at: datetime, closed_at: datetime | None) -> None:
        if self.sla.get("state") in ("met", "breached") and state == "open":
            return  # a late reschedule must not reopen a closed clock
        closed = closed_at.isoformat() if closed_at else self.sla.get("closed_at")
        self.sla = {"due_at": due_at.isoformat(), "state": state, "closed_at": closed}

    @property
    def units(self) -> frozenset[str]:
        """The units that may read the report: those holding a live referral. A unit's
        access ends when it rejects its referral or the referral is reassigned (what it
        read before stays on the audit trail); a closed referral keeps it."""
        return frozenset(r["unit"] for r in self.referrals if r.get("status") not in ENDED)
