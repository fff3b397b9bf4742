"""The supervisors' rule page (/console/rules): try a candidate rule version on the
county's history before it goes live (issue 13).

A supervisor pastes a candidate version document and a period; intake records the request
and asks screening (ReplayRequested), which re-decides the county's stored reports under
the candidate and answers (ReplayCompleted). The page shows the county's replays and the
chosen one's comparison: what changes, each unit's weekly load, and the referrals the
candidate would not have sent by what the unit did with them. While an answer is awaited
the page reloads itself every few seconds (a Refresh header: no script needed).
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain import kpis as kpi_rules
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import FormStaff, PageStaff, Staff
from safetynet.intake.entrypoints.console.pages import parse_date
from safetynet.intake.entrypoints.console.present import Units
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer import rule_replays

router = APIRouter(prefix="/console/rules", include_in_schema=False)

MAX_CANDIDATE_CHARS = 64_000  # a version document is about 1.5 kB
REFRESH_SECONDS = 3


def _last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _weekly(summary: dict[str, Any], units: Units) -> list[dict[str, Any]]:
    """Each unit's totals, weekly averages and busiest week, recorded -> candidate."""
    weeks_in_range = max(1.0, ((date.fromisoformat(summary["to"]) - date.fromisoformat(summary["from"])).days + 1) / 7)
    rows = []
    for unit in summary.get("units", []):
        busiest = max(unit["weeks"], key=lambda w: (w["before"], w["after"]))
        rows.append(
            {
                "name": units.name(unit["unit"]),
                "before": unit["before"],
                "after": unit["after"],
                "delta": unit["after"] - unit["before"],
                "weekly_before": f"{unit['before'] / weeks_in_range:.1f}",
                "weekly_after": f"{unit['after'] / weeks_in_range:.1f}",
                "busiest": busiest,
                "weeks": unit["weeks"],
            }
        )
    return rows


async def _page(
    request: Request,
    ctx: Context,
    staff: Staff,
    *,
    chosen_id: str | None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    county = staff.principal.county
    replays = await rule_replays.county_replays(county=county, uow=ctx.uow())
    if chosen_id is None and replays:
        chosen_id = replays[0]["replay_id"]
    chosen = (
        await rule_replays.county_replay(county=county, replay_id=chosen_id, uow=ctx.uow())
        if chosen_id and len(chosen_id) <= 36
        else None
    )
    first, last = _last_month(datetime.now(UTC).astimezone(TAIPEI).date())
    if form is None:
        previous = json.dumps(chosen["candidate"], ensure_ascii=False, indent=2) if chosen else ""
        form = {"candidate": previous, "from": first.isoformat(), "to": last.isoformat()}
    summary = chosen["summary"] if chosen and chosen["summary"] else None
    waiting = chosen is not None and chosen["status"] == "requested"
    return render(
        request,
        "console/rules.html",
        status_code=status_code,
        headers={"Refresh": str(REFRESH_SECONDS)} if waiting else None,
        staff=staff,
        replays=replays,
        chosen=chosen,
        summary=summary,
        weekly=_weekly(summary, Units(ctx.directory, county)) if summary else [],
        candidate_json=json.dumps(chosen["candidate"], ensure_ascii=False, indent=2) if chosen else "",
        taipei=TAIPEI,
        form=form,
        errors=errors or {},
    )


@router.get("")
async def rules_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    return await _page(request, ctx, staff, chosen_id=request.query_params.get("replay"))


def _read(form: dict[str, str]) -> tuple[dict[str, Any] | None, date | None, date | None, dict[str, str]]:
    errors: dict[str, str] = {}
    candidate: dict[str, Any] | None = None
    text = form["candidate"].strip()
    if not text:
        errors["candidate"] = "請貼上候選版本文件 Paste a candidate version document (JSON)"
    elif len(text) > MAX_CANDIDATE_CHARS:
        errors["candidate"] = f"文件過長 The document is longer than {MAX_CANDIDATE_CHARS} characters"
    else:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            errors["candidate"] = f"不是有效的 JSON Not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        else:
            if isinstance(parsed, dict):
                candidate = parsed
            else:
                errors["candidate"] = "必須是 JSON 物件 Must be a JSON object"
    first, last = parse_date(form["from"]), parse_date(form["to"])
    for name, day in (("from", first), ("to", last)):
        if day is None:
            errors[name] = "請輸入日期 YYYY-MM-DD A date is needed"
    if first and last:
        for name, message in kpi_rules.period_problems(first, last):
            errors.setdefault(name, message)
    return candidate, first, last, errors


@router.post("/replays")
async def ask_for_replay(request: Request, ctx: Context, staff: FormStaff) -> Response:
    data = await request.form()
    form = {name: str(data.get(name) or "") for name in ("candidate", "from", "to")}
    candidate, first, last, errors = _read(form)
    if errors or candidate is None or first is None or last is None:
        return await _page(request, ctx, staff, chosen_id=None, form=form, errors=errors, status_code=422)
    replay_id = await rule_replays.request_replay(
        principal=staff.principal, start=first, end=last, candidate=candidate, uow=ctx.uow()
    )
    ctx.wake_relay()
    return RedirectResponse(f"/console/rules?replay={replay_id}", status_code=303)
