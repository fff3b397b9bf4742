"""A subject's history: the other reports of the county that name the same people as a
report, matched by keyed hash. What it shows of each is what a dispatcher needs to
weigh a new report (when, what about, how it was judged, where it went and what the
units did), never the other reports' personal data: names and narratives stay on each
report's own page, whose every read is audited."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypedDict

from safetynet.intake.domain.views import Referral

# The newest this many are shown; the count says how many there are in all.
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class PastReport:
    """Another report naming a subject of this one, as intake knows it."""

    report_id: str
    received_at: datetime
    categories: list[str]
    agency_type: str
    status: str
    risk_level: str | None
    urgent: bool
    direct_dispatch: bool
    referrals: list[Referral]
    shared_hashes: frozenset[str]  # the subject hashes it shares with this report


class HistoryReferral(TypedDict):
    referral_id: str
    kind: str
    unit: str
    status: str
    assigned_at: str
    updated_at: str
    outcome: str | None  # opened / not_opened, once the unit closed it
    outcome_reason: str | None  # the close or reject reason code, where routing sends one
    reason: str | None  # free text: a rejection's reason, a reassignment's


class HistoryEntry(TypedDict):
    report_id: str
    received_at: str
    relation: Literal["earlier", "later"]
    categories: list[str]
    agency_type: str
    status: str
    risk_level: str | None
    urgent: bool
    direct_dispatch: bool
    referrals: list[HistoryReferral]
    shared_subjects: list[int]  # indexes into this report's subjects; empty once purged


def history_referral(referral: Referral) -> HistoryReferral:
    """A referral of the read model, with the outcome fields routing's snapshots carry
    (read leniently: snapshots older than the outcome columns have none)."""
    values: dict[str, object] = dict(referral)
    reason_code = values.get("outcome_reason") or values.get("reason_code")
    return HistoryReferral(
        referral_id=referral["referral_id"],
        kind=referral["kind"],
        unit=referral["unit"],
        status=referral["status"],
        assigned_at=referral["assigned_at"],
        updated_at=referral["updated_at"],
        outcome=referral.get("outcome"),
        outcome_reason=reason_code if isinstance(reason_code, str) else None,
        reason=referral.get("reason"),
    )


def history_entries(
    found: list[PastReport], *, received_at: datetime, subject_hashes: list[str | None]
) -> list[HistoryEntry]:
    """`found` as the history shows it, newest first; `subject_hashes`: this report's
    subjects' hashes in order (None: no national ID, or the personal part purged)."""
    return [
        HistoryEntry(
            report_id=p.report_id,
            received_at=p.received_at.isoformat(),
            relation="earlier" if p.received_at < received_at else "later",
            categories=p.categories,
            agency_type=p.agency_type,
            status=p.status,
            risk_level=p.risk_level,
            urgent=p.urgent,
            direct_dispatch=p.direct_dispatch,
            referrals=[history_referral(r) for r in p.referrals],
            shared_subjects=[i for i, h in enumerate(subject_hashes) if h is not None and h in p.shared_hashes],
        )
        for p in found
    ]
