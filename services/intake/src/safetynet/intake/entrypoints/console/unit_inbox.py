"""The destination unit's pages (issue 13): its inbox and the report page as a unit may see
it, each with a fragment that the console's script re-fetches when the unit's own event
stream says one of its reports changed. The actions' forms are in unit_forms.py.

Units sign in on the same page, with the same stored session, CSRF and idle timeout as
dispatch staff (auth.py); every route is in the policy table (domain/policy.py), which
keeps them to unit keys and, for a report, to the reports referred to the key's unit.
"""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import Staff, UnitFragment, UnitPage
from safetynet.intake.entrypoints.console.events import Disconnected, changes, start_of, watermark
from safetynet.intake.entrypoints.console.pages import not_found
from safetynet.intake.entrypoints.console.present import Units
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.entrypoints.console.unit_present import (
    CLOSE_CHOICES,
    OUTCOME_CHOICES,
    REJECT_CHOICES,
    UnitKeptForm,
    UnitReportPage,
    inbox_rows,
    unit_report_page,
)
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.unit_inbox import CLOSED_DAYS, unit_changes, unit_inbox

router = APIRouter(prefix="/console/inbox", include_in_schema=False)

# What a finished action says on the page it returns to (codes: no text from the URL is shown).
DONE = {
    "acknowledge": "已送出簽收，派案系統處理後狀態會更新。 Acknowledgement sent; the status follows shortly.",
    "reject": "已送出退回，派案中心將重新派案。 Rejection sent; the dispatch center will reassign it.",
    "close": "已送出結案與處理結果。 Closing and its outcome sent.",
    "long_term_care": "已送出長期關懷（追蹤日期），派案系統處理後狀態會更新。 Long-term care sent; the status follows shortly.",
}


def _now() -> datetime:
    return datetime.now(UTC)


# The inbox -----------------------------------------------------------------------------


@router.get("")
async def inbox_page(request: Request, ctx: Context, staff: UnitPage) -> Response:
    since = await watermark(ctx.uow)  # before the read: a change in between is streamed
    rows = inbox_rows(await unit_inbox(principal=staff.principal, uow=ctx.uow(), now=_now()), _now())
    return render(
        request,
        "console/inbox.html",
        staff=staff,
        since=since,
        nav="inbox",
        unit_name=Units(ctx.directory, staff.principal.county).name(staff.principal.unit),
        rows=rows,
        closed_days=CLOSED_DAYS,
    )


@router.get("/live")
async def inbox_fragment(request: Request, ctx: Context, staff: UnitFragment) -> Response:
    rows = inbox_rows(await unit_inbox(principal=staff.principal, uow=ctx.uow(), now=_now()), _now())
    return render(request, "console/_inbox.html", staff=staff, rows=rows, closed_days=CLOSED_DAYS)


@router.get("/events")
async def inbox_events(request: Request, ctx: Context, staff: UnitFragment) -> StreamingResponse:
    """The console's event stream (events.py), watching only the reports referred to this
    unit: a unit learns nothing of the rest of the county, not even when it changes."""
    unit = staff.principal.unit or ""
    since = start_of(request, fallback=await watermark(ctx.uow))
    return StreamingResponse(
        changes(
            ctx.uow,
            staff.principal.county,
            since,
            is_gone=Disconnected(request),
            recent=lambda: unit_changes(unit=unit, uow=ctx.uow()),
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# A report ------------------------------------------------------------------------------


async def unit_report_context(ctx: Context, staff: Staff, report_id: str) -> UnitReportPage | None:
    # The unit's read of the subjects and narrative is on the audit trail (read_report).
    found = await handlers.read_report(principal=staff.principal, report_id=report_id, uow=ctx.uow())
    return unit_report_page(found, staff.principal.unit, _now()) if found else None


async def render_unit_report(
    request: Request,
    ctx: Context,
    staff: Staff,
    report_id: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: UnitKeptForm | None = None,
) -> Response:
    since = await watermark(ctx.uow)  # first, as the dispatcher's report page does
    page = await unit_report_context(ctx, staff, report_id)
    if page is None:
        return not_found(request, staff)
    return render(
        request,
        "console/unit_report.html",
        status_code=status_code,
        staff=staff,
        since=since,
        nav="inbox",
        fragment_url=f"/console/inbox/reports/{report_id}/live",
        done=DONE.get(request.query_params.get("done", "")),
        error=error,
        form=form or {},
        r=page,
        **CHOICES,
    )


CHOICES: dict[str, Any] = {
    "reject_choices": REJECT_CHOICES,
    "close_choices": CLOSE_CHOICES,
    "outcome_choices": OUTCOME_CHOICES,
}


@router.get("/reports/{report_id}")
async def unit_report(request: Request, report_id: str, ctx: Context, staff: UnitPage) -> Response:
    return await render_unit_report(request, ctx, staff, report_id)


@router.get("/reports/{report_id}/live")
async def unit_report_fragment(request: Request, report_id: str, ctx: Context, staff: UnitFragment) -> Response:
    page = await unit_report_context(ctx, staff, report_id)
    if page is None:
        return not_found(request, staff)
    return render(request, "console/_unit_report.html", staff=staff, form={}, r=page, **CHOICES)
