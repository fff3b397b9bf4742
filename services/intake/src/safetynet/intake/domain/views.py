"""The report view that intake serves: built from the other services' events.

Events from different topics can arrive in any order, so every rule here tolerates
reordering: routing snapshots carry a sequence number, and an SLA that has closed
never reopens.

The SLA deadline comes from one place at each step: intake's own acceptance (the
default length, before the risk is known), then the decision that carries the deadline
for the report's risk (ReportScreened). Notify's clock events echo that same deadline;
the view takes only their state and completion time, so the deadline never arrives twice.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NotRequired, TypedDict

from safetynet.policy.referral_lifecycle import ENDED

# The parts of the view are JSON documents (stored in JSON columns, served as they are),
# so they are typed dictionaries: times in them are ISO 8601 text.


class Reason(TypedDict):
    code: str
    text: str


class Destination(TypedDict):
    kind: str
    unit: str | None  # None: a kind whose unit a dispatcher still has to choose


class Referral(TypedDict):
    referral_id: str
    kind: str
    unit: str
    status: str
    urgent: bool
    assigned_at: str
    updated_at: str
    reason: str | None
    outcome: str | None
    # The unit's reason code (safetynet.policy.outcomes) and note; absent before issue 13.
    outcome_reason: NotRequired[str | None]
    note: NotRequired[str | None]
    # In long-term care (issue 14): the next review, an ISO date; absent before.
    review_on: NotRequired[str | None]
    # Rule 1 (併案, issue 14): the open referral of an earlier report it was linked to.
    linked_to: NotRequired[str | None]


class Sla(TypedDict):
    due_at: str
    state: str
    closed_at: str | None


@dataclass
class ReportView:
    report_id: str
    sla: Sla
    status: str = "received"
    risk_level: str | None = None
    urgent: bool | None = None
    direct_dispatch: bool | None = None
    rule_version: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    recommended: list[Destination] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    routing_seq: int = 0

    @classmethod
    def received(cls, report_id: str, *, sla_due_at: datetime) -> "ReportView":
        return cls(report_id=report_id, sla=Sla(due_at=sla_due_at.isoformat(), state="open", closed_at=None))

    def apply_decision(
        self,
        *,
        risk_level: str,
        urgent: bool,
        direct_dispatch: bool,
        rule_version: str,
        reasons: list[Reason],
        recommended: list[Destination],
        sla_due_at: datetime,
    ) -> None:
        self.risk_level, self.urgent, self.rule_version = risk_level, urgent, rule_version
        if self.routing_seq == 0:  # routing has not spoken yet: show what screening decided
            self.direct_dispatch, self.reasons = direct_dispatch, reasons
            self.recommended = self.destinations = recommended
        elif not self.reasons:
            # Routing spoke first without its decision (an older routing): screening's
            # reasons are the best there are. Routing's recommendation stays.
            self.direct_dispatch, self.reasons = direct_dispatch, reasons
        # The deadline for this risk, whatever the clock's state: a met or breached SLA was
        # still due then.
        self.sla["due_at"] = sla_due_at.isoformat()

    def apply_routing(
        self,
        *,
        seq: int,
        status: str,
        recommended: list[Destination],
        destinations: list[Destination],
        referrals: list[Referral],
        direct_dispatch: bool | None = None,
        reasons: list[Reason] | None = None,
    ) -> bool:
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

    def apply_sla(self, *, state: str, closed_at: datetime | None) -> None:
        """The clock's state; its deadline is the decision's (see the module's docstring)."""
        if self.sla["state"] in ("met", "breached") and state == "open":
            return  # a late reschedule must not reopen a closed clock
        closed = closed_at.isoformat() if closed_at else self.sla["closed_at"]
        self.sla = Sla(due_at=self.sla["due_at"], state=state, closed_at=closed)

    @property
    def units(self) -> frozenset[str]:
        """The units that may read the report: those holding a live referral. A unit's
        access ends when it rejects its referral or the referral is reassigned (what it
        read before stays on the audit trail); a closed referral keeps it."""
        return frozenset(r["unit"] for r in self.referrals if r["status"] not in ENDED)
