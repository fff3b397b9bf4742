"""The report page's subject history section (templates/console/_history.html): the
county's other reports about the same people, as staff read them. Rendered with the
page, not with its live fragment, so each view of it is one audited read."""

from typing import TypedDict

from safetynet.intake.domain.history import HistoryEntry
from safetynet.intake.domain.reports import SubmittedSubject
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console import labels
from safetynet.intake.entrypoints.console.auth import Staff
from safetynet.intake.entrypoints.console.present import Units, when
from safetynet.intake.service_layer.history import subject_history
from safetynet.policy.outcomes import OUTCOME_LABELS, OUTCOME_REASONS


class ReferralLine(TypedDict):
    unit_name: str
    kind: str
    status: str
    assigned: str
    outcome: str | None  # its label, once the unit closed it
    outcome_reason: str | None  # the reason code's label
    reason: str | None


class HistoryRow(TypedDict):
    report_id: str
    short_id: str
    received: str
    relation: str
    categories: list[str]
    agency_type: str
    status: str
    risk_level: str | None
    urgent: bool
    direct_dispatch: bool
    referrals: list[ReferralLine]
    shared: list[str]  # which of this report's subjects it names, as role and name


class HistoryShown(TypedDict):
    rows: list[HistoryRow]
    total: int
    earlier: int


def _subject(subject: SubmittedSubject) -> str:
    role = labels.label(labels.ROLE, subject.get("role")).split(" ")[0]
    return f"{role} {subject['name']}" if "name" in subject else role


def _reason_label(code: str | None) -> str | None:
    found = OUTCOME_REASONS.get(code) if code else None
    return found.label if found else code


def history_rows(entries: list[HistoryEntry], subjects: list[SubmittedSubject], units: Units) -> list[HistoryRow]:
    return [
        {
            "report_id": e["report_id"],
            "short_id": e["report_id"][:8],
            "received": when(e["received_at"]),
            "relation": e["relation"],
            "categories": e["categories"],
            "agency_type": e["agency_type"],
            "status": e["status"],
            "risk_level": e["risk_level"],
            "urgent": e["urgent"],
            "direct_dispatch": e["direct_dispatch"],
            "referrals": [
                {
                    "unit_name": units.name(r["unit"]),
                    "kind": r["kind"],
                    "status": r["status"],
                    "assigned": when(r["assigned_at"]),
                    "outcome": OUTCOME_LABELS.get(r["outcome"], r["outcome"]) if r["outcome"] else None,
                    "outcome_reason": _reason_label(r["outcome_reason"]),
                    "reason": r["reason"],
                }
                for r in e["referrals"]
            ],
            "shared": [_subject(subjects[i]) for i in e["shared_subjects"] if i < len(subjects)],
        }
        for e in entries
    ]


async def history_section(
    ctx: Context, staff: Staff, report_id: str, subjects: list[SubmittedSubject]
) -> HistoryShown | None:
    """The section's rows, or None when the report is not the staff member's to see."""
    found = await subject_history(
        principal=staff.principal,
        report_id=report_id,
        uow=ctx.uow(),
        hash_key=ctx.settings.subject_hash_key.get_secret_value().encode(),
    )
    if found is None:
        return None
    rows = history_rows(found.entries, subjects, Units(ctx.directory, staff.principal.county))
    return {"rows": rows, "total": found.total, "earlier": sum(1 for r in rows if r["relation"] == "earlier")}
