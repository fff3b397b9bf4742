"""Payloads of the events (past tense) and commands (imperative) between services.

Events carry only what consumers need: ids, subject hashes, ages, categories and
indicators. Names, raw national IDs and narratives never leave intake.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from safetynet.contracts.report import (
    AgencyType,
    Category,
    DestinationKind,
    Household,
    Indicators,
    ReportStatus,
    RiskLevel,
    Role,
)
from safetynet.contracts.rule_replays import REPLAY_EVENT_TYPES


class _Payload(BaseModel):
    # Tolerant reader: a consumer ignores fields it does not know yet, so a producer can
    # add an optional field and deploy first (the compatibility test guards the rest).
    model_config = ConfigDict(extra="ignore")


class SubjectFacts(_Payload):
    role: Role
    age: int | None
    subject_hash: str | None
    named_in_earlier_report: bool = False


class ReportReceived(_Payload):
    report_id: str
    county: str
    township: str
    agency_type: AgencyType
    received_at: datetime
    sla_due_at: datetime
    categories: list[Category]
    subjects: list[SubjectFacts]
    household: Household = Household()
    indicators: Indicators = Indicators()


# long_term_care (長期關懷戶, decision model v1.1 rule 2): a welfare center keeps an
# acknowledged referral open, with a review date, instead of closing it.
ReferralStatus = Literal["assigned", "acknowledged", "rejected", "closed", "reassigned", "long_term_care"]


class ReasonCode(_Payload):
    code: str
    text: str


class DestinationRef(_Payload):
    kind: DestinationKind
    unit: str | None


class ReportScreened(_Payload):
    report_id: str
    county: str
    received_at: datetime
    rule_version: str
    risk_level: RiskLevel
    urgent: bool
    direct_dispatch: bool
    needs_review: bool
    sla_due_at: datetime
    reasons: list[ReasonCode]
    recommended: list[DestinationRef]
    subject_hashes: list[str]
    # The v1.1 switches of the deciding version that routing applies (open_case_link,
    # long_term_care): routing links to an open case only when "open_case_link" is listed.
    routing_rules: list[str] = []
    # The report's categories, for consumers that act on the decision alone (notify's
    # early-intervention notice, v1.1 rule 4). Empty from producers older than the field.
    categories: list[Category] = []


class ReferralChanged(_Payload):
    """One referral moved to `status`; the envelope type names the transition."""

    report_id: str
    referral_id: str
    county: str
    kind: DestinationKind
    unit: str
    status: ReferralStatus
    urgent: bool
    at: datetime
    actor: str
    detail: str | None = None
    subject_hashes: list[str] = []
    # The unit's answer (safetynet.policy.outcomes): on ReferralClosed, `outcome` (opened
    # or not_opened) and its reason code; on ReferralRejected, the rejection's reason code.
    # A rejected referral keeps its code after a reassignment. None from older producers.
    outcome: str | None = None
    outcome_reason: str | None = None
    note: str | None = None
    # In long-term care: the date the unit next reviews the household (Taipei calendar day).
    review_on: date | None = None
    # Decision model v1.1 rule 1 (併案): the open referral this one is linked to, when it
    # went to the unit already holding a live referral of its kind for a subject.
    linked_to: str | None = None


class ReferralSnapshot(_Payload):
    referral_id: str
    kind: DestinationKind
    unit: str
    status: ReferralStatus
    urgent: bool
    assigned_at: datetime
    updated_at: datetime
    reason: str | None = None
    outcome: str | None = None
    # As on ReferralChanged: the close or reject reason code, and the unit's note.
    outcome_reason: str | None = None
    note: str | None = None
    review_on: date | None = None  # as on ReferralChanged
    linked_to: str | None = None  # as on ReferralChanged


class ReportStatusChanged(_Payload):
    """Routing's whole view of a report after a change. `seq` grows by one per change,
    so a consumer that sees snapshots out of order keeps the newest."""

    report_id: str
    county: str
    seq: int
    status: ReportStatus
    recommended: list[DestinationRef]
    destinations: list[DestinationRef]
    referrals: list[ReferralSnapshot]
    at: datetime
    actor: str
    detail: str | None = None
    # The decision routing acts on: screening's, amended by the re-report-after-closure
    # rule that routing applies (it owns the closures). None from older producers.
    direct_dispatch: bool | None = None
    reasons: list[ReasonCode] | None = None


class NotificationSent(_Payload):
    report_id: str
    referral_id: str
    unit: str
    channel: str
    urgent: bool
    at: datetime
    outcome: Literal["recorded", "delivered", "failed"]
    detail: str | None = None
    # One event per delivery attempt: which attempt this was (1, 2, …; it keeps counting
    # after a replay), and whether notify gave up on it with this attempt (the dead
    # letter, until an operator replays it). None from producers older than these fields.
    attempt: int | None = None
    dead_lettered: bool | None = None
    # What was sent: None (a referral notification, as before) or "early_intervention"
    # (the v1.1 rule 4 notice to a prosecutor's office or police unit, named in `unit`;
    # `referral_id` is then "").
    notice: Literal["early_intervention"] | None = None


# Envelope type -> payload model. The type string is the contract: renaming one is a
# breaking change that the contract tests catch.
EVENT_TYPES: dict[str, type[BaseModel]] = {
    "ReportReceived": ReportReceived,
    "ReportScreened": ReportScreened,
    "ReferralAssigned": ReferralChanged,
    "ReferralAcknowledged": ReferralChanged,
    "ReferralRejected": ReferralChanged,
    "ReferralClosed": ReferralChanged,
    "ReferralReassigned": ReferralChanged,
    # A welfare center put (or kept, with a new review date) a referral in long-term care.
    "ReferralInLongTermCare": ReferralChanged,
    "ReportStatusChanged": ReportStatusChanged,
    "NotificationSent": NotificationSent,
}


SlaState = Literal["open", "met", "breached"]


class SlaChanged(_Payload):
    """The SLA clock of a report moved: the envelope type is SlaStarted, SlaWarning,
    SlaBreached, SlaMet or SlaRescheduled."""

    report_id: str
    county: str
    state: SlaState
    due_at: datetime
    at: datetime
    closed_at: datetime | None = None
    warning_index: int | None = None  # which warning (0-based), for SlaWarning
    escalated_to: list[str] = []  # supervisors told, for SlaBreached


EVENT_TYPES.update(
    {
        "SlaStarted": SlaChanged,
        "SlaWarning": SlaChanged,
        "SlaBreached": SlaChanged,
        "SlaMet": SlaChanged,
        "SlaRescheduled": SlaChanged,
    }
)

# The console's what-if replay of a candidate rule version (issue 13): its own module.
EVENT_TYPES.update(REPLAY_EVENT_TYPES)
