"""GET /v1/reports/{report_id}/history: the subject history of a report, for dispatch
staff of its county (domain/history.py)."""

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from safetynet.intake.entrypoints.api.deps import Context, CurrentPrincipal, ReportId
from safetynet.intake.service_layer.history import subject_history

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class HistoryReferralOut(BaseModel):
    referral_id: str
    kind: str
    unit: str
    status: str
    assigned_at: str
    updated_at: str
    outcome: str | None = None
    outcome_reason: str | None = None
    reason: str | None = None


class HistoryEntryOut(BaseModel):
    report_id: str
    received_at: str
    relation: Literal["earlier", "later"]
    categories: list[str]
    agency_type: str
    status: str
    risk_level: str | None
    urgent: bool
    direct_dispatch: bool
    referrals: list[HistoryReferralOut]
    shared_subjects: list[int]


class SubjectHistoryOut(BaseModel):
    report_id: str
    county: str
    total: int
    reports: list[HistoryEntryOut]


@router.get(
    "/{report_id}/history",
    operation_id="get_subject_history",
    summary="Earlier and later reports about the same people, in the county",
    description="Dispatch staff only. The county's other reports that name a subject of this report (matched by "
    "the keyed hash of the national ID, never the ID itself), newest first: when each was received, its "
    "categories, risk light and status, and its referrals with their units, status and outcome. "
    "`shared_subjects` are indexes into this report's `subjects`. No personal data of the other reports; "
    "each view is audited.",
    response_model=SubjectHistoryOut,
)
async def get_subject_history(report_id: ReportId, ctx: Context, principal: CurrentPrincipal) -> SubjectHistoryOut:
    found = await subject_history(
        principal=principal,
        report_id=report_id,
        uow=ctx.uow(),
        hash_key=ctx.settings.subject_hash_key.get_secret_value().encode(),
    )
    if found is None:
        raise HTTPException(404, "no such report")
    return SubjectHistoryOut(
        report_id=found.report_id,
        county=found.county,
        total=found.total,
        reports=[HistoryEntryOut.model_validate(e) for e in found.entries],
    )
