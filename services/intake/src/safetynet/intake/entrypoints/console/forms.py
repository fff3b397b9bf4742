"""The dispatcher's actions as HTML forms. They go through request_action, the same path
as the API's action endpoints, and answer with the report page: a redirect after success
(so a reload does not post again), the page with a message otherwise."""

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safetynet.intake.domain import actions
from safetynet.intake.domain.actions import ActionFields
from safetynet.intake.domain.views import Destination
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import FormStaff, Staff
from safetynet.intake.entrypoints.console.pages import render_report
from safetynet.intake.entrypoints.console.present import Units, held_units
from safetynet.intake.entrypoints.console.rows import KeptForm
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.actions import request_action

router = APIRouter(prefix="/console/reports/{report_id}", include_in_schema=False)

MAX_REASON = 4000  # as the API's Text fields

# request_action's refusals, as staff should read them (with its own English detail).
REFUSED = {
    actions.NotVisible: (404, "找不到這筆通報或派案，或它不屬於您的縣市。 No such report or referral in your county."),
    actions.Forbidden: (403, "您的角色不能執行這個動作。 Your role may not take this action."),
    actions.Conflict: (
        409,
        "通報狀態已經改變，這個動作不再適用；請看下方最新狀態。 The report has moved on: see its current state below.",
    ),
}


def _reason(form: FormData) -> str:
    value = form.get("reason")
    return value.strip() if isinstance(value, str) else ""


async def _send(
    request: Request,
    ctx: Context,
    staff: Staff,
    report_id: str,
    command_type: str,
    done: str,
    *,
    form: KeptForm,
    referral_id: str | None = None,
    fields: ActionFields | None = None,
) -> Response:
    try:
        await request_action(
            principal=staff.principal,
            command_type=command_type,
            uow=ctx.uow(),
            report_id=report_id,
            referral_id=referral_id,
            fields=fields,
        )
    except (actions.NotVisible, actions.Forbidden, actions.Conflict) as refused:
        status, message = REFUSED[type(refused)]
        return await render_report(
            request,
            ctx,
            staff,
            report_id,
            status_code=status,
            error={"message": message, "detail": str(refused), "form": done},
            form=form,
        )
    ctx.wake_relay()
    return RedirectResponse(f"/console/reports/{report_id}?done={done}#status", status_code=303)


async def _invalid(
    request: Request, ctx: Context, staff: Staff, report_id: str, done: str, message: str, form: KeptForm
) -> Response:
    return await render_report(
        request,
        ctx,
        staff,
        report_id,
        status_code=422,
        error={"message": message, "detail": "", "form": done},
        form=form,
    )


@router.post("/confirm")
async def confirm(request: Request, report_id: str, ctx: Context, staff: FormStaff) -> Response:
    return await _send(request, ctx, staff, report_id, "ConfirmDestinations", "confirm", form={})


@router.post("/destinations")
async def change(request: Request, report_id: str, ctx: Context, staff: FormStaff) -> Response:
    form = await request.form()
    reason = _reason(form)
    chosen = list(dict.fromkeys(u for u in form.getlist("unit") if isinstance(u, str)))
    kept = KeptForm(reason=reason, units=set(chosen))
    problems = []
    destinations: list[Destination] = []
    for unit in chosen:
        found = ctx.directory.unit_kind(unit)
        if found is None or found[0] != staff.principal.county:
            problems.append(f"不是本縣市的單位 Not a unit of {staff.principal.county}: {unit}")
        else:
            destinations.append({"kind": found[1], "unit": unit})
    if not destinations and not problems:
        problems.append("請至少選擇一個派案單位。 Choose at least one unit.")
    if not reason or len(reason) > MAX_REASON:
        problems.append("變更派案需要書面理由。 A change needs a written reason.")
    if not problems:
        shown = await handlers.read_report(principal=staff.principal, report_id=report_id, uow=ctx.uow())
        view = shown.view if shown else None
        dropped = sorted(held_units(view.referrals) - set(chosen)) if view else []
        if dropped:
            names = "、".join(Units(ctx.directory, staff.principal.county).name(u) for u in dropped)
            problems.append(
                f"已有派案的單位須保留，或改用「改派」：{names}。 A unit holding a referral stays: reassign it instead."
            )
    if problems:
        return await _invalid(request, ctx, staff, report_id, "change", " ".join(problems), kept)
    return await _send(
        request,
        ctx,
        staff,
        report_id,
        "ChangeDestinations",
        "change",
        form=kept,
        fields={"destinations": destinations, "reason": reason},
    )


@router.post("/referrals/{referral_id}/reassign")
async def reassign(request: Request, report_id: str, referral_id: str, ctx: Context, staff: FormStaff) -> Response:
    form = await request.form()
    chosen = form.get("unit")
    reason, unit = _reason(form), chosen if isinstance(chosen, str) else None
    kept = KeptForm(reason=reason, referral_id=referral_id, unit=unit)
    found = ctx.directory.unit_kind(unit) if unit is not None else None
    problem = None
    if found is None or found[0] != staff.principal.county:
        problem = "請選擇本縣市的單位。 Choose a unit of your county."
    elif not reason or len(reason) > MAX_REASON:
        problem = "改派需要書面理由。 A reassignment needs a written reason."
    if problem or unit is None:
        return await _invalid(request, ctx, staff, report_id, "reassign", problem or "", kept)
    return await _send(
        request,
        ctx,
        staff,
        report_id,
        "ReassignReferral",
        "reassign",
        form=kept,
        referral_id=referral_id,
        fields={"unit": unit, "reason": reason},
    )


@router.post("/referrals/{referral_id}/acknowledge")
async def acknowledge(request: Request, report_id: str, referral_id: str, ctx: Context, staff: FormStaff) -> Response:
    return await _send(
        request, ctx, staff, report_id, "AcknowledgeReferral", "acknowledge", form={}, referral_id=referral_id
    )
