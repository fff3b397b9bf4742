"""The console's pages: the dispatch queue, the ops view, the KPIs and a report, each with a fragment
that the page's script re-fetches when the event stream says something changed."""

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain import kpis as kpi_rules
from safetynet.intake.domain import paging
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console import labels
from safetynet.intake.entrypoints.console.auth import (
    UNIT_PAGES,
    FragmentStaff,
    PageStaff,
    Staff,
)
from safetynet.intake.entrypoints.console.events import watermark
from safetynet.intake.entrypoints.console.history import history_section
from safetynet.intake.entrypoints.console.present import KINDS, RISKS, Units, ops_rows, queue_rows, report_page
from safetynet.intake.entrypoints.console.rows import Filters, FormError, KeptForm, QueueContext, ReportPage
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.kpis import county_kpis
from safetynet.intake.service_layer.ops import open_slas_page
from safetynet.intake.service_layer.queue import dispatch_queue_page

CONSOLE_PAGE = 100  # rows per page of the queue and the ops view

router = APIRouter(prefix="/console", include_in_schema=False)

# What a finished action says on the page it returns to (codes, so no text from the URL
# is ever shown).
DONE = {
    "confirm": "已送出確認派案，等待派案系統處理。 Confirmation sent; routing will apply it.",
    "change": "已送出變更派案單位。 Change of destinations sent.",
    "reassign": "已送出改派。 Reassignment sent.",
    "acknowledge": "已代單位送出簽收。 Acknowledgement recorded for the unit.",
    "keyed_in": "已登錄電話／臨櫃通報。 The phone or walk-in report is recorded.",
}


def _now() -> datetime:
    return datetime.now(UTC)


def _filters(request: Request) -> Filters:
    kind, risk = request.query_params.get("kind"), request.query_params.get("risk")
    return {"kind": kind if kind in KINDS else None, "risk": risk if risk in RISKS else None}


# Sign-in and sign-out ----------------------------------------------------------------


# The queue ---------------------------------------------------------------------------


def _after(request: Request) -> str | None:
    after = request.query_params.get("after")
    return after if after and len(after) <= 400 else None


def _next_url(request: Request, path: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return f"{path}?{request.url.include_query_params(after=cursor).query}"


async def _queue_context(request: Request, ctx: Context, staff: Staff, filters: Filters) -> QueueContext:
    try:
        found = await dispatch_queue_page(
            principal=staff.principal, uow=ctx.uow(), limit=CONSOLE_PAGE, after=_after(request), **filters
        )
    except paging.BadCursor:  # a stale or edited link: start from the top
        found = await dispatch_queue_page(principal=staff.principal, uow=ctx.uow(), limit=CONSOLE_PAGE, **filters)
    rows = queue_rows(found.items, Units(ctx.directory, staff.principal.county), _now())
    return {"rows": rows, "filters": filters, "next_url": _next_url(request, "/console", found.next_cursor)}


@router.get("")
async def queue_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    filters = _filters(request)
    since = await watermark(ctx.uow)
    query = request.url.query
    return render(
        request,
        "console/queue.html",
        staff=staff,
        since=since,
        fragment_url="/console/queue" + (f"?{query}" if query else ""),
        **await _queue_context(request, ctx, staff, filters),
    )


@router.get("/queue")
async def queue_fragment(request: Request, ctx: Context, staff: FragmentStaff) -> Response:
    return render(
        request, "console/_queue.html", staff=staff, **await _queue_context(request, ctx, staff, _filters(request))
    )


@router.get("/ops")
async def ops_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    now, template = _now(), ctx.settings.trace_url_template
    try:
        found = await open_slas_page(
            principal=staff.principal,
            uow=ctx.uow(),
            trace_url_template=template,
            now=now,
            limit=CONSOLE_PAGE,
            after=_after(request),
        )
    except paging.BadCursor:
        found = await open_slas_page(
            principal=staff.principal, uow=ctx.uow(), trace_url_template=template, now=now, limit=CONSOLE_PAGE
        )
    rows = ops_rows(found.items, Units(ctx.directory, staff.principal.county), now)
    return render(
        request,
        "console/ops.html",
        staff=staff,
        items=rows,
        next_url=_next_url(request, "/console/ops", found.next_cursor),
    )


RATES = [
    ("dispatch_within_24h", "24小時內派案比率 24-hour dispatch rate", ""),
    ("protection_rereport", "保護性案件再通報率 Protection re-report rate", "< 7.7%"),
    (
        "vulnerable_family_to_protection_90d",
        "脆弱家庭3個月內再通報為保護案 Vulnerable family → protection (90 days)",
        "< 7.5%",
    ),
]
# Each count's rows carry the labels the queue uses (labels.py), never the raw codes.
COUNTS = [
    ("by_category", "依類別 By category", labels.CATEGORY),
    ("by_source", "依通報來源 By source", labels.AGENCY),
    ("by_risk_level", "依風險燈號 By risk level", labels.RISK),
]


@router.get("/kpis")
async def kpi_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    today = _now().astimezone(TAIPEI).date()
    first = parse_date(request.query_params.get("from")) or today.replace(day=1)
    last = parse_date(request.query_params.get("to")) or today
    problems = kpi_rules.period_problems(first, last)
    k = (
        None
        if problems
        else await county_kpis(county=staff.principal.county, first=first, last=last, now=_now(), uow=ctx.uow())
    )
    return render(
        request,
        "console/kpis.html",
        staff=staff,
        first=first.isoformat(),
        last=last.isoformat(),
        problems=problems,
        k=k,
        rates=RATES,
        counts=COUNTS,
    )


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


# A report ----------------------------------------------------------------------------


async def report_context(ctx: Context, staff: Staff, report_id: str) -> ReportPage | None:
    found = await handlers.read_report(principal=staff.principal, report_id=report_id, uow=ctx.uow())
    if found is None:
        return None
    return report_page(found, Units(ctx.directory, staff.principal.county), _now())


def not_found(request: Request, staff: Staff | None) -> Response:
    unit = request.url.path.startswith(UNIT_PAGES)  # a unit's page: never hint at the county's reports
    return render(
        request,
        "console/error.html",
        status_code=404,
        staff=staff,
        title="找不到通報 Not found",
        message="找不到這筆派案，或它不是派給您的單位。 No such referral for your unit."
        if unit
        else "找不到這筆通報，或它不屬於您的縣市。 No such report in your county.",
        home=UNIT_PAGES if unit else "/console",
    )


async def render_report(
    request: Request,
    ctx: Context,
    staff: Staff,
    report_id: str,
    *,
    status_code: int = 200,
    error: FormError | None = None,
    form: KeptForm | None = None,
) -> Response:
    # The watermark first, then the report: a change that commits in between is then
    # both after the watermark (streamed) and maybe missing from the page (refetched).
    # The other way round it would be in neither, and the page would stay stale.
    since = await watermark(ctx.uow)
    page = await report_context(ctx, staff, report_id)
    if page is None:
        return not_found(request, staff)
    done = DONE.get(request.query_params.get("done", ""))
    return render(
        request,
        "console/report.html",
        status_code=status_code,
        staff=staff,
        since=since,
        fragment_url=f"/console/reports/{report_id}/live",
        done=done,
        error=error,
        form=form or {},
        r=page,
        history=await history_section(ctx, staff, report_id, page["subjects"]),  # audited: read once per page
    )


@router.get("/reports/{report_id}")
async def report(request: Request, report_id: str, ctx: Context, staff: PageStaff) -> Response:
    return await render_report(request, ctx, staff, report_id)


@router.get("/reports/{report_id}/live")
async def report_fragment(request: Request, report_id: str, ctx: Context, staff: FragmentStaff) -> Response:
    page = await report_context(ctx, staff, report_id)
    if page is None:
        return not_found(request, staff)
    return render(request, "console/_report.html", staff=staff, form={}, error=None, r=page)
