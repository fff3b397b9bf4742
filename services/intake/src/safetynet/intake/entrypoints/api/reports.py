"""POST and GET /v1/reports: the partner-facing report API."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import ValidationError

from safetynet.contracts.report import ReportAccepted, ReportSubmission
from safetynet.intake.adapters.metrics import observe_report
from safetynet.intake.domain.access import sees_everything
from safetynet.intake.entrypoints.api.body import read_json
from safetynet.intake.entrypoints.api.deps import AgencyPrincipal, Context, CurrentPrincipal, ReportId
from safetynet.intake.entrypoints.api.examples import REPORT_EXAMPLES
from safetynet.intake.entrypoints.api.schemas import (
    AgencyReportView,
    DispatcherReportView,
    UnitReportView,
)
from safetynet.intake.service_layer import handlers
from safetynet.policy import bsrs5

router = APIRouter(prefix="/v1/reports", tags=["reports"])

VALIDATION_ERROR = {"description": "Validation error: `detail` lists each field path (`loc`) and why"}


def unprocessable(errors: list[dict[str, Any]]) -> HTTPException:
    return HTTPException(422, [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in errors])


def validate_submission(
    parsed: Any, *, ctx: Context, agency_type: str | None, keyed_in: bool = False
) -> ReportSubmission:
    """The contract's checks plus the ones that need configuration or the key, all
    reported together. `keyed_in`: a dispatcher's phone or walk-in report (the console),
    the only kind that may say how it reached the center (`source.channel`)."""
    problems: list[dict[str, Any]] = []
    submission = None
    try:
        submission = ReportSubmission.model_validate(parsed)
    except ValidationError as error:
        # Never echo the input back: it may hold national IDs and names.
        problems += [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors(include_url=False)
        ]
    fields = parsed if isinstance(parsed, dict) else {}
    county = fields.get("county")
    if isinstance(county, str) and county.strip() and not ctx.directory.is_configured(county.strip()):
        problems.append(
            {
                "loc": ["body", "county"],
                "type": "county_not_configured",
                "msg": f"not a configured county; configured: {', '.join(ctx.directory.counties)}",
            }
        )
    source = fields.get("source")
    claimed = source.get("agency_type") if isinstance(source, dict) else None
    if not keyed_in and isinstance(source, dict) and "channel" in source:
        problems.append(
            {
                "loc": ["body", "source", "channel"],
                "type": "channel_not_allowed",
                "msg": "set only by the center's console, for reports taken by phone or in person",
            }
        )
    if isinstance(claimed, str) and claimed != agency_type:
        problems.append(
            {
                "loc": ["body", "source", "agency_type"],
                "type": "agency_type_mismatch",
                "msg": f"this key reports for agency type {agency_type!r}",
            }
        )
    if problems or submission is None:
        raise unprocessable(problems)
    return submission


@router.post(
    "",
    status_code=202,
    response_model=ReportAccepted,
    operation_id="create_report",
    summary="Submit a report about a person at risk",
    description="Agency keys only. Answers 202 with the report's id and SLA deadline; screening and routing "
    "decide a moment later (GET the `status_url`). Retries are safe with the same `Idempotency-Key` "
    "and body: the replay answers as the first time, with `Idempotent-Replayed: true`.",
    responses={
        400: {"description": "Not JSON"},
        401: {"description": "No or unknown key"},
        403: {"description": "Not an agency key"},
        409: {"description": "Idempotency-Key reused with another body"},
        413: {"description": "Body over the size limit"},
        415: {"description": "Not application/json"},
        422: VALIDATION_ERROR,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ReportSubmission"},
                    "examples": REPORT_EXAMPLES,
                }
            },
        }
    },
)
async def post_report(
    request: Request,
    ctx: Context,
    principal: AgencyPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    parsed, body_sha256 = await read_json(request, limit=ctx.settings.max_body_bytes)
    submission = validate_submission(parsed, ctx=ctx, agency_type=principal.agency_type)
    try:
        accepted = await handlers.accept_report(
            principal=principal,
            submission=submission,
            body_sha256=body_sha256,
            idempotency_key=idempotency_key,
            uow=ctx.uow(),
            directory=ctx.directory,
            hash_key=ctx.settings.subject_hash_key.get_secret_value().encode(),
            default_sla_seconds=ctx.settings.sla_seconds,
            base_url=ctx.settings.public_base_url or str(request.base_url).rstrip("/"),
        )
    except handlers.IdempotencyConflict:
        raise HTTPException(409, "this Idempotency-Key was used with a different body") from None
    ctx.wake_relay()
    if not accepted.replayed:
        observe_report(source=principal.agency_type or "public", categories=submission.categories)
    span = trace.get_current_span()  # facts about the report, never about the people in it
    span.set_attribute("safetynet.report_id", accepted.body["report_id"])
    span.set_attribute("safetynet.county", submission.county)
    span.set_attribute("safetynet.categories", submission.categories)
    span.set_attribute("safetynet.sla_due_at", accepted.body["sla_due_at"])
    headers = {"Location": accepted.body["status_url"]}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(accepted.body, status_code=accepted.status_code, headers=headers)


@router.get(
    "/{report_id}",
    summary="A report's status, decision, referrals, SLA and timeline",
    operation_id="get_report",
    description="The view depends on the key: dispatch staff of the county get a `DispatcherReportView`, the "
    "unit holding a referral a `UnitReportView`, the reporting agency an `AgencyReportView`.",
    response_model=DispatcherReportView | UnitReportView | AgencyReportView,
    responses={401: {"description": "No or unknown key"}, 404: {"description": "No such report for this key"}},
)
async def get_report(report_id: ReportId, ctx: Context, principal: CurrentPrincipal) -> JSONResponse:
    return JSONResponse(await _report_view(report_id, ctx=ctx, principal=principal))


async def _report_view(report_id: str, *, ctx: Context, principal: CurrentPrincipal) -> dict[str, Any]:
    found = await handlers.read_report(principal=principal, report_id=report_id, uow=ctx.uow())
    if found is None:
        raise HTTPException(404, "no such report")
    report, view = found.report, found.view
    base = {"report_id": report_id, "status": view.status, "received_at": report["received_at"], "sla": view.sla}
    if principal.role == "agency":
        kinds = list(dict.fromkeys(d["kind"] for d in view.destinations))
        return AgencyReportView(**base, destinations=[{"kind": k} for k in kinds]).model_dump(mode="json")
    submission = report["submission"]
    # Once retention purged the personal part, the narrative and names are gone.
    purged = {"narrative": submission.get("narrative", ""), "personal_data_purged_at": report["pseudonymised_at"]}
    if principal.role == "unit":
        return UnitReportView(
            **base,
            county=report["county"],
            township=report["township"],
            risk_level=view.risk_level,
            urgent=view.urgent,
            referrals=[r for r in view.referrals if r["unit"] == principal.unit],
            subjects=submission["subjects"],
            categories=submission["categories"],
            **purged,
        ).model_dump(mode="json")
    assert sees_everything(principal)
    return DispatcherReportView(
        **base,
        county=report["county"],
        township=report["township"],
        risk_level=view.risk_level,
        urgent=view.urgent,
        direct_dispatch=view.direct_dispatch,
        rule_version=view.rule_version,
        reasons=view.reasons,
        recommended=view.recommended,
        destinations=view.destinations,
        referrals=view.referrals,
        timeline=found.timeline,
        source=submission.get("source", {}),
        subjects=submission["subjects"],
        categories=submission["categories"],
        occurred_at=submission.get("occurred_at"),
        household=submission.get("household"),
        indicators=submission.get("indicators"),
        bsrs5=bsrs5.of_indicators(submission.get("indicators")),
        linked_to=found.links.linked_to,
        linked_from=found.links.linked_from,
        **purged,
    ).model_dump(mode="json")
