"""What a unit's inbox and report page show (unit_inbox.py renders them): the unit's own
referrals only, Taipei times, time left on the SLA, and the outcome vocabulary's labels.

A unit sees of a report what the API shows a unit key (entrypoints/api/reports.py,
UnitReportView): where, when, the light, the categories, the subjects and the narrative,
and its own referrals; never the source, the decision's reasons, the timeline (it names
other units and dispatchers) nor another unit's referral.
"""

from datetime import datetime
from typing import Literal, TypedDict

from safetynet.intake.domain.reports import SubmittedSubject
from safetynet.intake.domain.views import Referral
from safetynet.intake.entrypoints.console.present import sla_left, when
from safetynet.intake.entrypoints.console.rows import SlaLeft, SlaShown
from safetynet.intake.entrypoints.console.unit_long_term import long_term_care_state
from safetynet.intake.service_layer.handlers import ReportRead
from safetynet.intake.service_layer.unit_inbox import Inbox, InboxItem
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.outcomes import CLOSE_REASONS, OUTCOME_LABELS, OUTCOME_REASONS, OUTCOMES, REJECT_REASONS


class Choice(TypedDict):
    code: str
    label: str


class OwnReferral(Referral):
    assigned: str
    updated: str
    outcome_label: str  # "" when none
    reason_label: str  # the vocabulary's label; free text of older referrals as it is
    note_text: str  # "" when none
    can_acknowledge: bool
    can_reject: bool
    can_close: bool
    # Long-term care (issue 14): the review date shown, whether it passed, and whether
    # this referral may be kept (or renewed) as a long-term care household.
    review: str  # "" when none
    review_overdue: bool
    can_long_term_care: bool
    review_min: str
    review_max: str


class InboxRow(TypedDict):
    report_id: str
    short_id: str
    referral: OwnReferral
    risk_level: str | None
    urgent: bool
    township: str
    categories: list[str]
    received: str
    left: SlaLeft


class InboxRows(TypedDict):
    new: list[InboxRow]
    acknowledged: list[InboxRow]
    closed: list[InboxRow]
    long_term: list[InboxRow]  # long-term care households (issue 14)


class UnitReportPage(TypedDict):
    report_id: str
    short_id: str
    county: str
    township: str
    received: str
    status: str
    risk_level: str | None
    urgent: bool | None
    sla: SlaShown
    categories: list[str]
    narrative: str
    subjects: list[SubmittedSubject]
    purged: bool
    referrals: list[OwnReferral]


class UnitKeptForm(TypedDict, total=False):
    """What the unit typed into a refused form (shown again) and what was wrong, by field."""

    form: Literal["acknowledge", "reject", "close", "long_term_care"]
    referral_id: str
    outcome: str
    reason: str
    note: str
    review_on: str  # the long-term care form's date, as typed
    errors: dict[str, str]  # field -> message, next to that field


REJECT_CHOICES: list[Choice] = [{"code": c, "label": OUTCOME_REASONS[c].label} for c in REJECT_REASONS]
CLOSE_CHOICES: list[Choice] = [{"code": c, "label": OUTCOME_REASONS[c].label} for c in CLOSE_REASONS]
OUTCOME_CHOICES: list[Choice] = [{"code": c, "label": OUTCOME_LABELS[c]} for c in OUTCOMES]


def reason_label(reason: str | None) -> str:
    if not reason:
        return ""
    found = OUTCOME_REASONS.get(reason)
    return found.label if found else reason


def own_referral(referral: Referral) -> OwnReferral:
    # Views projected before the outcome contract have no reason code or note.
    note, code = referral.get("note"), referral.get("outcome_reason")
    outcome = referral["outcome"]
    return {
        **referral,
        "assigned": when(referral["assigned_at"]),
        "updated": when(referral["updated_at"]),
        "outcome_label": OUTCOME_LABELS.get(outcome, outcome) if outcome else "",
        "reason_label": reason_label(code or referral["reason"]),
        "note_text": note or "",
        "can_acknowledge": lifecycle.allows("acknowledge", referral["status"]),
        "can_reject": lifecycle.allows("reject", referral["status"]),
        "can_close": lifecycle.allows("close", referral["status"]),
        **long_term_care_state(referral),
    }


def _row(item: InboxItem, now: datetime) -> InboxRow:
    return {
        "report_id": item["report_id"],
        "short_id": item["report_id"][:8],
        "referral": own_referral(item["referral"]),
        "risk_level": item["risk_level"],
        "urgent": item["urgent"],
        "township": item["township"],
        "categories": item["categories"],
        "received": when(item["received_at"]),
        "left": sla_left(item["sla"], now),
    }


def inbox_rows(inbox: Inbox, now: datetime) -> InboxRows:
    return {
        "new": [_row(i, now) for i in inbox["new"]],
        "acknowledged": [_row(i, now) for i in inbox["acknowledged"]],
        "closed": [_row(i, now) for i in inbox["closed"]],
        "long_term": [_row(i, now) for i in inbox["long_term"]],
    }


def unit_report_page(found: ReportRead, unit: str | None, now: datetime) -> UnitReportPage:
    report, view = found.report, found.view
    submission = report["submission"]
    return {
        "report_id": report["report_id"],
        "short_id": report["report_id"][:8],
        "county": report["county"],
        "township": report["township"],
        "received": when(report["received_at"]),
        "status": view.status,
        "risk_level": view.risk_level,
        "urgent": view.urgent,
        "sla": {**view.sla, **sla_left(view.sla, now), "closed": when(view.sla["closed_at"])},
        "categories": report["categories"],
        "narrative": submission.get("narrative", ""),
        "subjects": submission.get("subjects", []),
        "purged": report["pseudonymised_at"] is not None,
        "referrals": [own_referral(r) for r in view.referrals if r["unit"] == unit],
    }
