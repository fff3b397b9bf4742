"""The console's network-meeting page (/console/network-meeting): the month's severe
child-abuse cases told to prosecutors and police (檢警早期介入, v1.1 rule 4), each with
its notice's recipients and delivery times, and the month's median and p90 time from
receipt to notice. The same figures as GET /v1/network-meeting."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain import kpis
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import PageStaff
from safetynet.intake.entrypoints.console.outcomes import hours
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer.early_intervention import network_meeting

router = APIRouter(prefix="/console", include_in_schema=False)


def _month(value: str | None) -> tuple[int, int] | None:
    """(year, month) of a YYYY-MM value within the KPIs' years, else None."""
    try:
        year, number = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    return (year, number) if 1 <= number <= 12 and kpis.EARLIEST.year <= year <= kpis.LATEST.year else None


@router.get("/network-meeting")
async def network_meeting_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    today = datetime.now(UTC).astimezone(TAIPEI).date()
    asked = request.query_params.get("month")
    chosen = _month(asked) or (today.year, today.month)
    month = f"{chosen[0]:04d}-{chosen[1]:02d}"
    found = await network_meeting(county=staff.principal.county, year=chosen[0], month=chosen[1], uow=ctx.uow())
    return render(
        request,
        "console/network_meeting.html",
        staff=staff,
        month=month,
        problem=asked is not None and _month(asked) is None,
        rows=found["reports"],
        times=found["notice_times"],
        hours=hours,
    )
