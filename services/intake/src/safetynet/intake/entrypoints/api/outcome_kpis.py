"""GET /v1/kpis/outcomes: the learning KPIs (開案率, rejections and their reasons, the
suspected-mental-illness acceptance, the time to acknowledge) of a county and period,
for its dispatch staff. Same roles, county scoping and period rules as GET /v1/kpis."""

from typing import Any

from fastapi import APIRouter

from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.api.kpis import (
    RESPONSES,
    County,
    DispatchStaff,
    FirstDay,
    LastDay,
    Now,
    checked_period,
    own_county,
)
from safetynet.intake.service_layer import outcome_kpis as service

router = APIRouter(tags=["kpis"])


@router.get(
    "/v1/kpis/outcomes",
    operation_id="get_outcome_kpis",
    summary="Supervisor: what the units did with the referrals (opening and rejection rates, per rule)",
    responses=RESPONSES,
    response_model=dict[str, Any],  # the document's schema stays open; the annotation below is the exact shape
)
async def get_outcome_kpis(
    ctx: Context,
    principal: DispatchStaff,
    county: County,
    now: Now,
    first: FirstDay,
    last: LastDay,
) -> service.CountyOutcomeKpis:
    """Over the referrals of reports received from `from` 00:00 to the end of `to`,
    Asia/Taipei (at most 366 days), with their outcomes as of now. `overall`, then the
    same figures `by_kind`, `by_unit`, `by_source` (agency type) and `by_reason_code` (the
    rule that produced the destination; `NO_RULE` for a dispatcher's choice): `opening`
    (opened ÷ closed with an outcome), `rejection` (rejected ÷ referred) and its
    `rejection_reasons`, `not_opened_reasons`, `median_seconds_to_acknowledge`; and
    `suspected_mental_illness_acceptance`; `mental_health_acceptance_by_bsrs5_band` (per
    band of the report's BSRS-5 score, `normal`, `mild`, `moderate`, `severe`,
    `not_screened`: the opening rate of its `mental_health` referrals and of the
    `suspected_mental_illness` ones). Each rate has `numerator`, `denominator` and
    `rate` (null when the denominator is 0)."""
    own_county(principal, county)
    start, end = checked_period(first, last)
    return await service.county_outcome_kpis(county=county, first=start, last=end, now=now, uow=ctx.uow())
