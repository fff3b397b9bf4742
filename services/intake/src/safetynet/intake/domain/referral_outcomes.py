"""What the learning KPIs keep of each referral: where it went, why (the reason codes
that produced its destination), when its unit answered, and how it ended.

Kept from routing's snapshots (ReportStatusChanged), which a consumer may see more than
once and, across a redelivery, out of order: `merge` only moves a record forward (a later
status, a time first seen), so any order of the same snapshots gives the same record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache

from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.destination_reasons import producing_codes
from safetynet.policy.outcomes import OUTCOMES


@dataclass(frozen=True)
class ReferralOutcome:
    referral_id: str
    report_id: str
    county: str
    received_at: datetime  # the report's: the period a referral counts in
    agency_type: str  # the report's source
    kind: str
    unit: str
    status: str
    reason_codes: tuple[str, ...]  # the decision's codes that asked for this kind
    assigned_at: datetime
    acknowledged_at: datetime | None = None
    rejected_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None  # opened | not_opened (None: not closed, or closed before the vocabulary)
    outcome_reason: str | None = None  # the close reason code
    rejection_reason: str | None = None  # the reject reason code
    # The report's BSRS-5 band (safetynet.policy.bsrs5), None without a score (v1.1 rule 3).
    bsrs5_band: str | None = None

    @property
    def rejected(self) -> bool:
        return self.status == "rejected" or self.rejected_at is not None or self.rejection_reason is not None


@dataclass(frozen=True)
class SnapshotReferral:
    """One referral as a routing snapshot shows it."""

    referral_id: str
    kind: str
    unit: str
    status: str
    assigned_at: datetime
    updated_at: datetime
    outcome: str | None = None
    outcome_reason: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    report_id: str
    county: str
    received_at: datetime
    agency_type: str
    bsrs5_band: str | None = None


@cache
def status_rank(status: str) -> int:
    """How far along the lifecycle a status is: the longest chain of actions that reaches
    it from `assigned` (safetynet.policy.referral_lifecycle); an unknown status ranks last."""
    ranks = {"assigned": 0}
    for _ in lifecycle.TRANSITIONS:  # every chain is at most as long as the list of actions
        for transition in lifecycle.TRANSITIONS.values():
            for start in transition.starts_from:
                if start in ranks:
                    ranks[transition.ends_in] = max(ranks.get(transition.ends_in, 0), ranks[start] + 1)
    return ranks.get(status, len(lifecycle.TRANSITIONS) + 1)


def merge(
    existing: ReferralOutcome | None, seen: SnapshotReferral, *, report: ReportFacts, decision_codes: Iterable[str]
) -> ReferralOutcome:
    """The record after one more snapshot of its referral."""
    codes = producing_codes(seen.kind, decision_codes)
    record = existing or ReferralOutcome(
        referral_id=seen.referral_id,
        report_id=report.report_id,
        county=report.county,
        received_at=report.received_at,
        agency_type=report.agency_type,
        kind=seen.kind,
        unit=seen.unit,
        status=seen.status,
        reason_codes=codes,
        assigned_at=seen.assigned_at,
        bsrs5_band=report.bsrs5_band,
    )
    if codes and not record.reason_codes:
        record = replace(record, reason_codes=codes)
    if status_rank(seen.status) > status_rank(record.status):
        record = replace(record, status=seen.status)
    if seen.status == "acknowledged" and record.acknowledged_at is None:
        record = replace(record, acknowledged_at=seen.updated_at)
    if seen.status == "rejected" and record.rejected_at is None:
        record = replace(record, rejected_at=seen.updated_at, rejection_reason=seen.outcome_reason)
    if seen.status == "reassigned" and seen.outcome is None and seen.outcome_reason and not record.rejection_reason:
        # Rejected, then reassigned: the rejection's code stays on the referral.
        record = replace(record, rejection_reason=seen.outcome_reason)
    if seen.status == "closed" and record.closed_at is None:
        # A free-text outcome (closed before the vocabulary) is no outcome the KPIs can count.
        outcome = seen.outcome if seen.outcome in OUTCOMES else None
        record = replace(record, closed_at=seen.updated_at, outcome=outcome, outcome_reason=seen.outcome_reason)
    return record
