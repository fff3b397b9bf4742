"""GET /v1/network-meeting: the month's severe child-abuse cases told to prosecutors and
police (檢警早期介入, decision model v1.1 rule 4), for the county's network meeting
(網絡會議), with the KPI "time from receipt to notice" (median and p90 over the month).

No names, IDs or narratives: report ids, places, categories, routing state and notice
times; a dispatcher opens a report (an audited read) for the people in it.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from safetynet.intake.domain import kpis
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.api.kpis import _MONTH, NO_STORE, RESPONSES, County, DispatchStaff, own_county
from safetynet.intake.entrypoints.api.kpis import _unprocessable as unprocessable
from safetynet.intake.service_layer.early_intervention import network_meeting

router = APIRouter(tags=["kpis"])


def checked_month(month: str) -> tuple[int, int]:
    """(year, month) of a YYYY-MM parameter; a 422 naming `month` otherwise."""
    matched = _MONTH.fullmatch(month)
    year, number = (int(matched[1]), int(matched[2])) if matched else (0, 0)
    if not (1 <= number <= 12 and kpis.EARLIEST.year <= year <= kpis.LATEST.year):
        raise unprocessable(("month", "must be a month, YYYY-MM"))
    return year, number


@router.get(
    "/v1/network-meeting",
    operation_id="list_network_meeting_reports",
    summary="Dispatcher: the month's early-intervention cases (檢警早期介入) and their notice times",
    responses=RESPONSES,
)
async def get_network_meeting(
    ctx: Context,
    principal: DispatchStaff,
    county: County,
    month: Annotated[str, Query(description="Taipei month, YYYY-MM")],
) -> JSONResponse:
    """Reports of the county received in the Taipei month that screening marked
    EARLY_INTERVENTION, oldest first: each with its township, categories, risk light,
    status, the protection units holding it, every recipient of the notice with the time
    of its first successful delivery, and `seconds_to_notice` (receipt until every
    recipient had it; null while one has not). `notice_times` is the month's KPI:
    `median_seconds` and `p90_seconds` (nearest rank) over the notified reports."""
    own_county(principal, county)
    year, number = checked_month(month)
    found = await network_meeting(county=county, year=year, month=number, uow=ctx.uow())
    return JSONResponse({"county": county, "month": month, "timezone": "Asia/Taipei", **found}, headers=NO_STORE)
