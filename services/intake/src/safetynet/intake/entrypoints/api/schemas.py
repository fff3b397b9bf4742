"""Response bodies of the intake API (requests are in safetynet.contracts.report)."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from safetynet.contracts.report import DestinationKind, ReportStatus, RiskLevel


class Sla(BaseModel):
    due_at: datetime
    state: str
    closed_at: datetime | None = None


class Destination(BaseModel):
    kind: DestinationKind
    unit: str | None


class DestinationKindOnly(BaseModel):
    kind: DestinationKind


class Reason(BaseModel):
    code: str
    text: str


class Referral(BaseModel):
    referral_id: str
    kind: DestinationKind
    unit: str
    status: str
    urgent: bool
    assigned_at: datetime
    updated_at: datetime
    reason: str | None = None
    # Closed: `opened` (開案) or `not_opened`; `outcome_reason` is the unit's code for
    # closing or rejecting (the vocabulary of DOMAIN.md, "Outcomes and learning"), `note`
    # its free text.
    outcome: str | None = None
    outcome_reason: str | None = None
    note: str | None = None
    # `long_term_care` (長期關懷戶, issue 14): the household's next review, a Taipei date.
    review_on: date | None = None
    # Rule 1 (併案, issue 14): the open referral of an earlier report this one is linked to.
    linked_to: str | None = None


class CaseLink(BaseModel):
    """A link of rule 1 (併案) between this report's referral and another report's."""

    referral_id: str = Field(description="this report's referral")
    other_report_id: str
    other_referral_id: str


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    actor: str
    detail: str | None = None


class AgencyReportView(BaseModel):
    """What the reporting agency sees: progress, never units, reasons or other data."""

    report_id: str
    status: ReportStatus
    received_at: datetime
    sla: Sla
    destinations: list[DestinationKindOnly]


class Bsrs5Score(BaseModel):
    """A report's BSRS-5 (簡式健康量表) as dispatchers read it (safetynet.policy.bsrs5)."""

    items: list[int]
    total: int  # 0–20
    band: Literal["normal", "mild", "moderate", "severe"]
    suicide: int  # the suicidal-thoughts item, 0–4
    suicide_ideation: bool  # the suicide item is 2 or more


class DispatcherReportView(BaseModel):
    """What county dispatch staff see: everything."""

    report_id: str
    status: ReportStatus
    received_at: datetime
    county: str
    township: str
    risk_level: RiskLevel | None
    urgent: bool | None
    direct_dispatch: bool | None
    rule_version: str | None
    reasons: list[Reason]
    recommended: list[Destination]
    destinations: list[Destination]
    referrals: list[Referral]
    sla: Sla
    timeline: list[TimelineEntry]
    source: dict[str, Any]
    subjects: list[dict[str, Any]]
    categories: list[str]
    occurred_at: datetime | None = None
    household: dict[str, Any] | None = None
    indicators: dict[str, Any] | None = None
    # The BSRS-5 score (v1.1 rule 3), read: total, band, suicide item; None without one.
    bsrs5: Bsrs5Score | None = None
    narrative: str
    personal_data_purged_at: datetime | None = None  # retention purged names, IDs and narrative
    # Rule 1 (併案): this report's referrals linked to open cases of earlier reports, and
    # later reports linked to this report's referrals.
    linked_to: list[CaseLink] = []
    linked_from: list[CaseLink] = []


class UnitReportView(BaseModel):
    """What a destination unit sees of a report referred to it."""

    report_id: str
    status: ReportStatus
    received_at: datetime
    county: str
    township: str
    risk_level: RiskLevel | None
    urgent: bool | None
    referrals: list[Referral]
    sla: Sla
    subjects: list[dict[str, Any]]
    categories: list[str]
    narrative: str
    personal_data_purged_at: datetime | None = None


class Error(BaseModel):
    """The body of every 4xx answer but 422, and of a 503: `detail` says why, in words
    (never echoing a value the client sent: it may be a name or an ID)."""

    detail: str


class ValidationProblem(BaseModel):
    """One reason a request was refused: where (`loc`, e.g. `["body", "subjects", 0,
    "national_id"]` or `["query", "from"]`), why (`msg`) and a stable code (`type`)."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrors(BaseModel):
    """The body of a 422: FastAPI's standard validation body without `input`, listing
    every problem found at once (the contract's checks and the ones that need
    configuration or the key)."""

    detail: list[ValidationProblem]


class Health(BaseModel):
    """`/healthz` and `/readyz`: `ok` or `ready`; `unavailable` (with a 503) while the
    database does not answer."""

    status: str
