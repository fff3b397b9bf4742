"""GET /v1/kpis and GET /v1/high-danger: the programme's indicators and the monthly list
for the high-risk network meeting (家暴高危機網絡會議), for dispatch staff of the county.

Another county's figures are a 403, not a 404: the configured counties are public and
nothing here is a resource whose existence could leak; the key has no right to them.
"""

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from safetynet.intake.domain import high_danger, kpis
from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api.deps import Context, require_role
from safetynet.intake.service_layer import kpis as service

router = APIRouter(tags=["kpis"])

DispatchStaff = Annotated[Principal, Depends(require_role("dispatcher", "supervisor"))]
County = Annotated[str, Query(min_length=1, max_length=20, description="A configured county, the key's own")]
# A period's bounds as given; `checked_period` names the one that is wrong.
FirstDay = Annotated[str, Query(alias="from", description="First Taipei date, YYYY-MM-DD")]
LastDay = Annotated[str, Query(alias="to", description="Last Taipei date (inclusive)")]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown key"},
    403: {"description": "Not a dispatcher or supervisor key, or another county's"},
    422: {"description": "Bad parameter: `detail` names it in `loc`"},
}
NO_STORE = {"Cache-Control": "no-store"}


async def get_now() -> datetime:
    """The time the KPIs are computed at (tests override this dependency)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(get_now)]


def _unprocessable(*problems: tuple[str, str]) -> HTTPException:
    return HTTPException(422, [{"loc": ["query", name], "msg": msg, "type": "value_error"} for name, msg in problems])


def own_county(principal: Principal, county: str) -> None:
    if county != principal.county:
        raise HTTPException(403, f"this key is for {principal.county}")


def checked_period(first: str, last: str) -> tuple[date, date]:
    """The Taipei dates of the `from` and `to` parameters; a 422 naming each bad one."""
    start, end = _date(first), _date(last)
    if start is None or end is None:
        raise _unprocessable(
            *((name, "must be a date, YYYY-MM-DD") for name, day in (("from", start), ("to", end)) if day is None)
        )
    problems = kpis.period_problems(start, end)
    if problems:
        raise _unprocessable(*problems)
    return start, end


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        return None


@router.get(
    "/v1/kpis",
    operation_id="get_kpis",
    summary="Supervisor: the programme's indicators for a county and period",
    responses=RESPONSES,
    response_model=dict[str, Any],  # the document's schema as before; the annotation below is the exact shape
)
async def get_kpis(
    ctx: Context,
    principal: DispatchStaff,
    county: County,
    now: Now,
    first: FirstDay,
    last: LastDay,
) -> service.CountyKpis:
    """Over reports received from `from` 00:00 to the end of `to`, Asia/Taipei; a period
    spans at most 366 days. Each rate has `numerator`, `denominator` and `rate` (null
    when the denominator is 0)."""
    own_county(principal, county)
    start, end = checked_period(first, last)
    return await service.county_kpis(county=county, first=start, last=end, now=now, uow=ctx.uow())


@router.get(
    "/v1/high-danger",
    operation_id="list_high_danger_reports",
    summary="Dispatcher: reports with TIPVDA 8+ of a month, for the network meeting",
    responses={**RESPONSES, 200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def get_high_danger(
    ctx: Context,
    principal: DispatchStaff,
    county: County,
    month: Annotated[str, Query(description="Taipei month, YYYY-MM")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Holds names: served with `Cache-Control: no-store`. The CSV is UTF-8 with a BOM (for
    Excel), columns as in the JSON; cells starting with = + - @ are prefixed with '."""
    own_county(principal, county)
    matched = _MONTH.fullmatch(month)
    year, number = (int(matched[1]), int(matched[2])) if matched else (0, 0)
    if not (1 <= number <= 12 and kpis.EARLIEST.year <= year <= kpis.LATEST.year):
        raise _unprocessable(("month", "must be a month, YYYY-MM"))
    rows = await service.high_danger(county=county, year=year, month=number, uow=ctx.uow(), principal=principal)
    if format == "json":
        return JSONResponse(
            {"county": county, "month": month, "tipvda_threshold": high_danger.HIGH_DANGER_TIPVDA, "reports": rows},
            headers=NO_STORE,
        )
    buffer = io.StringIO()
    csv.writer(buffer).writerows(high_danger.csv_table(rows))
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="high-danger-{month}.csv"'},
    )
