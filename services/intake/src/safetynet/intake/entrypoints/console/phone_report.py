"""Phone and walk-in reports: a dispatcher keys in a report received by the 113 hotline,
another phone line or in person. The same contract and checks as POST /v1/reports
(validate_submission) and the same acceptance (handlers.accept_report), with:

- the source recorded as such: `source.channel` (which the API refuses from partners),
  the dispatcher's key as the reporting key, and an audit record with the report;
- the caller's agency type as the report's source type (民眾 unless the caller is, say,
  a teacher), so the KPIs by source count it where it belongs;
- an idempotency token rendered in the form and used as the Idempotency-Key of the
  dispatcher's key: a double submit (two clicks, a reload of the post) makes one report;
- on a refusal, the form again with everything typed and a message next to each field.
"""

import hashlib
import json
import secrets
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from safetynet.intake.adapters.metrics import observe_report
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.api.reports import validate_submission
from safetynet.intake.entrypoints.console import report_form
from safetynet.intake.entrypoints.console.auth import FormStaff, PageStaff, Staff
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer import handlers

router = APIRouter(prefix="/console/reports/new", include_in_schema=False)

AUDIT_ACTION = "key_in_report"


def _townships(ctx: Context, county: str) -> list[str]:
    if not ctx.directory.is_configured(county):
        return []
    return sorted(ctx.directory.county(county).center_by_township)


def _form_page(
    request: Request,
    ctx: Context,
    staff: Staff,
    form: report_form.ReportForm,
    *,
    status_code: int = 200,
    errors: dict[str, tuple[str, str]] | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "console/phone_report.html",
        status_code=status_code,
        staff=staff,
        nav="new_report",
        f=form,
        token=form.token or secrets.token_urlsafe(24),
        errors=errors or {},
        notice=notice,
        field_label=report_form.field_label,
        channels=report_form.CHANNELS,
        indicator_fields=report_form.INDICATOR_FIELDS,
        household_fields=report_form.HOUSEHOLD_FIELDS,
        subject_fields=report_form.SUBJECT_FIELDS,
        townships=_townships(ctx, staff.principal.county),
        county=staff.principal.county,
    )


@router.get("")
async def new_report_form(request: Request, ctx: Context, staff: PageStaff) -> Response:
    blank = report_form.ReportForm(values={"source.channel": "hotline_113", "source.agency_type": "public"})
    return _form_page(request, ctx, staff, blank)


def _body_sha256(body: dict[str, Any]) -> str:
    # "The same body" is equal parsed JSON, as for the API's Idempotency-Key.
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@router.post("")
async def key_in_report(request: Request, ctx: Context, staff: FormStaff) -> Response:
    data = await request.form()
    form = report_form.read_form(data, county=staff.principal.county)
    if "add_subject" in data:  # one more subject row; nothing is sent yet
        form.rows = min(form.rows + 1, report_form.MAX_ROWS)
        return _form_page(request, ctx, staff, form)
    problems: list[dict[str, Any]] = []
    if form.body["source"].get("channel") is None:
        problems.append({"loc": ["body", "source", "channel"], "type": "missing", "msg": "Field required"})
    claimed = form.body["source"].get("agency_type")
    agency_type = claimed if isinstance(claimed, str) else "public"
    try:
        submission = validate_submission(form.body, ctx=ctx, agency_type=agency_type, keyed_in=True)
    except HTTPException as refused:
        problems += refused.detail if isinstance(refused.detail, list) else []
        submission = None
    if problems or submission is None:
        errors = report_form.field_errors(problems, form)
        return _form_page(request, ctx, staff, form, status_code=422, errors=errors)
    # The report is the dispatcher's, for the caller's agency type: the key identifies
    # who keyed it in (timeline, audit), the type is where the report came from.
    principal = replace(staff.principal, agency_type=agency_type)
    try:
        accepted = await handlers.accept_report(
            principal=principal,
            submission=submission,
            body_sha256=_body_sha256(form.body),
            idempotency_key=form.token,
            uow=ctx.uow(),
            directory=ctx.directory,
            hash_key=ctx.settings.subject_hash_key.get_secret_value().encode(),
            default_sla_seconds=ctx.settings.sla_seconds,
            base_url=ctx.settings.public_base_url or str(request.base_url).rstrip("/"),
            audit_as=AUDIT_ACTION,
        )
    except handlers.IdempotencyConflict:
        # This form was sent once already, and has been changed since (back, edit, send):
        # a new token, so sending it again makes a second report only if that is meant.
        form.token = None
        notice = (
            "這份表單先前已送出並登錄為一筆通報；內容已變更。若確定要再登錄一筆新通報，請再按一次送出。"
            " This form was already recorded as a report: send again to record a second one."
        )
        return _form_page(request, ctx, staff, form, status_code=409, notice=notice)
    ctx.wake_relay()
    if not accepted.replayed:
        observe_report(source=agency_type, categories=submission.categories)
    report_id = accepted.body["report_id"]
    return RedirectResponse(f"/console/reports/{report_id}?done=keyed_in", status_code=303)
