"""A unit's actions as HTML forms: acknowledge, reject (a reason from the outcome
vocabulary, and a note) and close (opened or not, a reason, a note).

They are checked with the vocabulary's own rules (safetynet.policy.outcomes), so a form
refuses exactly what the API would, and go through request_action, the same path as the
API's action endpoints. A refused form comes back with what was typed and a message next
to the field; a sent one redirects (a reload does not post again).
"""

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safetynet.intake.domain import actions
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console.auth import Staff, UnitForm
from safetynet.intake.entrypoints.console.pages import not_found
from safetynet.intake.entrypoints.console.unit_inbox import render_unit_report
from safetynet.intake.entrypoints.console.unit_present import UnitKeptForm as KeptForm
from safetynet.intake.service_layer.actions import request_action
from safetynet.intake.service_layer.unit_inbox import report_of_own_referral
from safetynet.policy import long_term_care
from safetynet.policy.outcomes import close_problem, reject_problem

router = APIRouter(prefix="/console/inbox/referrals/{referral_id}", include_in_schema=False)

MAX_NOTE = 4000  # as the API's Text fields

REFUSED = {
    actions.NotVisible: (404, "找不到這筆派案，或它不是派給您的單位。 No such referral for your unit."),
    actions.Forbidden: (403, "您的角色不能執行這個動作。 Your role may not take this action."),
    actions.Conflict: (
        409,
        "派案狀態已經改變，這個動作不再適用；請看下方最新狀態。 The referral has moved on: see its current state below.",
    ),
}

# What the vocabulary's checks (close_problem, reject_problem) find wrong, as a unit reads it.
NOTE_NEEDED = "理由為「其他」時，請在說明欄寫明原因。 Explain in the note when the reason is Other."
MESSAGES: dict[tuple[str, ...], str] = {
    ("reject", "reason"): "請從清單選擇退回理由。 Choose a reason for rejecting from the list.",
    ("close", "outcome"): "請選擇是否開案。 Choose whether a case was opened.",
    ("close", "reason"): "請從清單選擇結案理由。 Choose a reason for closing from the list.",
    ("close", "reason", "missing"): "未開案時須選擇理由。 Choose why no case was opened.",
    ("reject", "note"): NOTE_NEEDED,
    ("close", "note"): NOTE_NEEDED,
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _note_problem(note: str) -> str | None:
    if len(note) > MAX_NOTE:
        return f"說明最多 {MAX_NOTE} 字。 At most {MAX_NOTE} characters."
    if "\x00" in note:
        return "說明含有無法接受的控制字元。 The note contains a character that is not allowed."
    return None


async def _report_of(ctx: Context, staff: Staff, referral_id: str) -> str | None:
    return await report_of_own_referral(principal=staff.principal, referral_id=referral_id, uow=ctx.uow())


async def _refused(
    request: Request, ctx: Context, staff: Staff, referral_id: str, kept: KeptForm, status_code: int, message: str
) -> Response:
    report_id = await _report_of(ctx, staff, referral_id)
    if report_id is None:
        return not_found(request, staff)
    return await render_unit_report(request, ctx, staff, report_id, status_code=status_code, error=message, form=kept)


async def _send(
    request: Request,
    ctx: Context,
    staff: Staff,
    referral_id: str,
    command_type: str,
    kept: KeptForm,
    *,
    outcome: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    review_on: date | None = None,
) -> Response:
    report_id = await _report_of(ctx, staff, referral_id)
    if report_id is None:
        return not_found(request, staff)
    try:
        await request_action(
            principal=staff.principal,
            command_type=command_type,
            uow=ctx.uow(),
            report_id=report_id,
            referral_id=referral_id,
            outcome=outcome,
            reason=reason,
            note=note or None,
            review_on=review_on,
        )
    except (actions.NotVisible, actions.Forbidden, actions.Conflict) as refused:
        status, message = REFUSED[type(refused)]
        return await _refused(request, ctx, staff, referral_id, kept, status, message)
    ctx.wake_relay()
    done = kept.get("form", "acknowledge")
    return RedirectResponse(f"/console/inbox/reports/{report_id}?done={done}#referrals", status_code=303)


def _invalid(kept: KeptForm, errors: dict[str, str]) -> KeptForm:
    return {**kept, "errors": errors}


@router.post("/acknowledge")
async def acknowledge(request: Request, referral_id: str, ctx: Context, staff: UnitForm) -> Response:
    kept: KeptForm = {"form": "acknowledge", "referral_id": referral_id}
    return await _send(request, ctx, staff, referral_id, "AcknowledgeReferral", kept)


@router.post("/reject")
async def reject(request: Request, referral_id: str, ctx: Context, staff: UnitForm) -> Response:
    form = await request.form()
    reason, note = _text(form, "reason"), _text(form, "note")
    kept: KeptForm = {"form": "reject", "referral_id": referral_id, "reason": reason, "note": note}
    errors: dict[str, str] = {}
    problem = reject_problem(reason=reason, note=note or None)
    if problem is not None:
        errors[problem[0]] = MESSAGES[("reject", problem[0])]
    if (note_problem := _note_problem(note)) is not None:
        errors["note"] = note_problem
    if errors:
        message = "退回未送出：請修正標示的欄位。 Not sent: correct the marked fields."
        return await _refused(request, ctx, staff, referral_id, _invalid(kept, errors), 422, message)
    return await _send(request, ctx, staff, referral_id, "RejectReferral", kept, reason=reason, note=note)


@router.post("/close")
async def close(request: Request, referral_id: str, ctx: Context, staff: UnitForm) -> Response:
    form = await request.form()
    outcome, reason, note = _text(form, "outcome"), _text(form, "reason"), _text(form, "note")
    kept: KeptForm = {"form": "close", "referral_id": referral_id, "outcome": outcome, "reason": reason, "note": note}
    errors: dict[str, str] = {}
    problem = close_problem(outcome=outcome, reason=reason or None, note=note or None)
    if problem is not None:
        field = problem[0]
        missing = field == "reason" and not reason
        errors[field] = MESSAGES[("close", field, "missing") if missing else ("close", field)]
    if (note_problem := _note_problem(note)) is not None:
        errors["note"] = note_problem
    if errors:
        message = "結案未送出：請修正標示的欄位。 Not sent: correct the marked fields."
        return await _refused(request, ctx, staff, referral_id, _invalid(kept, errors), 422, message)
    return await _send(
        request, ctx, staff, referral_id, "CloseReferral", kept, outcome=outcome, reason=reason or None, note=note
    )


def _review_date(text: str) -> tuple[date | None, str | None]:
    """The form's review date and, if it is not a valid one, the message next to the field."""
    try:
        review_on = date.fromisoformat(text)
    except ValueError:
        return None, "請選擇追蹤日期（年-月-日）。 Choose a review date (YYYY-MM-DD)."
    if long_term_care.review_problem(review_on, today=long_term_care.today_at(datetime.now(UTC))) is not None:
        months = long_term_care.MAX_REVIEW_MONTHS
        return (
            None,
            f"追蹤日期須在今天到 {months} 個月內。 The review date must be from today to {months} months ahead.",
        )
    return review_on, None


@router.post("/long-term-care")
async def place_in_long_term_care(request: Request, referral_id: str, ctx: Context, staff: UnitForm) -> Response:
    """Keep the household as a long-term care household (長期關懷戶), or renew it: the
    same checks as the API (the review date's rule, then who may), through request_action."""
    form = await request.form()
    text, note = _text(form, "review_on"), _text(form, "note")
    kept: KeptForm = {"form": "long_term_care", "referral_id": referral_id, "review_on": text, "note": note}
    errors: dict[str, str] = {}
    review_on, problem = _review_date(text)
    if problem is not None:
        errors["review_on"] = problem
    if (note_problem := _note_problem(note)) is not None:
        errors["note"] = note_problem
    if errors or review_on is None:
        message = "長期關懷未送出：請修正標示的欄位。 Not sent: correct the marked fields."
        return await _refused(request, ctx, staff, referral_id, _invalid(kept, errors), 422, message)
    return await _send(
        request, ctx, staff, referral_id, "PlaceInLongTermCare", kept, review_on=review_on, note=note or None
    )
