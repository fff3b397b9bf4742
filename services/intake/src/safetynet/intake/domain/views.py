"""The report view that intake serves: built from the other services' events.

Events from different topics can arrive in any order, so every rule here tolerates
reordering: routing snapshots carry a sequence number, and an SLA that has closed
never reopens.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
        self.risk_level, self.urgent, self.direct_dispatch = risk_level, urgent, direct_dispatch
        self.rule_version, self.reasons, self.recommended = rule_version, reasons, recommended
        if self.routing_seq == 0:  # routing has not spoken yet: show what screening recommends
            self.destinations = recommended
        if self.sla.get("state") == "open":
            self.sla["due_at"] = sla_due_at.isoformat()

    def apply_routing(self, *, seq: int, status: str, recommended: list[dict[str, Any]],
                      destinations: list[dict[str, Any]], referrals: list[dict[str, Any]]) -> bool:
        """Take routing's snapshot if it is newer than the one shown; True if taken."""
        if seq <= self.routing_seq:
            return False
        self.routing_seq, self.status = seq, status
        self.recommended, self.destinations, self.referrals = recommended, destinations, referrals
        return True

    def apply_sla(self, *, state: str, due_at: datetime, closed_at: datetime | None) -> None:
        if self.sla.get("state") in ("met", "breached") and state == "open":
            return  # a late reschedule must not reopen a closed clock
        closed = closed_at.isoformat() if closed_at else self.sla.get("closed_at")
        self.sla = {"due_at": due_at.isoformat(), "state": state, "closed_at": closed}

    @property
    def units(self) -> frozenset[str]:
        return frozenset(r["unit"] for r in self.referrals)
