"""Dispatcher and unit actions. Each answers 202: routing applies it and the report's
timeline shows the result (or why routing refused it)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from safetynet.contracts.report import DestinationKind
from safetynet.intake.domain import actions
from safetynet.intake.entrypoints.api import examples
from safetynet.intake.entrypoints.api.body import StrictJsonRoute
from safetynet.intake.entrypoints.api.deps import Context, CurrentPrincipal, ReferralId, ReportId
from safetynet.intake.service_layer.actions import request_action
from safetynet.policy.outcomes import CLOSE_REASONS, OUTCOMES, REJECT_REASONS

router = APIRouter(tags=["actions"], route_class=StrictJsonRoute)  # duplicate JSON keys: 422


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), AfterValidator(_no_nul)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown key"},
    403: {"description": "This role may not take the action"},
    404: {"description": "No such report or referral for this key"},
    409: {"description": "The report or referral is not in a state where the action applies"},
}
# Actions with a body: FastAPI answers 400 when the body is not JSON at all.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 400: {"description": "The body is not valid JSON"}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DestinationChoice(_Body):
    """A destination as the dispatcher chooses it (the unit may be left for later). Its own
    name: the report views' `Destination` is an answer, and one name for both would make
    the document's schemas `Destination-Input` and `Destination-Output`, which client
    generators refuse."""

    kind: DestinationKind
    unit: Annotated[str, AfterValidator(_no_nul)] | None = Field(default=None, max_length=100)


class ChangeDestinations(_Body):
    destinations: list[DestinationChoice] = Field(min_length=1, max_length=8)
    reason: Text


class Reassign(_Body):
    unit: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_no_nul)]
    reason: Text


# A unit's note beside its reason code: optional; blank is no note.
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), AfterValidator(_no_nul)]


def _codes(codes: tuple[str, ...], labels: str) -> dict[str, Any]:
    """The vocabulary's codes for the document (the check itself is the vocabulary's own,
    so the 422 names the field with the vocabulary's message)."""
    return {"enum": list(codes), "description": labels}


class Reject(_Body):
    reason: Annotated[
        str,
        Field(
            max_length=40,
            json_schema_extra=_codes(REJECT_REASONS, "Why the unit does not take the referral (DOMAIN.md vocabulary)"),
        ),
    ]
    note: Note | None = Field(default=None, description="Free text; required when the reason is `other`")


class Close(_Body):
    outcome: Annotated[
        str, Field(max_length=20, json_schema_extra=_codes(OUTCOMES, "Whether the unit opened a case (開案)"))
    ]
    reason: (
        Annotated[
            str,
            Field(
                max_length=40,
                json_schema_extra=_codes(CLOSE_REASONS, "Why; required when the outcome is `not_opened`"),
            ),
        ]
        | None
    ) = None
    note: Note | None = Field(default=None, description="Free text; required when the reason is `other`")


class LongTermCare(_Body):
    review_on: date = Field(
        description="The next review of the household (Taipei calendar day): today at the earliest, "
        "at most 12 months ahead"
    )
    note: Note | None = Field(default=None, description="Free text: why, and how the unit follows the household")


class ActionAccepted(BaseModel):
    command_id: str
    status: str = "accepted"


async def _send(ctx: Context, principal: CurrentPrincipal, command_type: str, **target: Any) -> ActionAccepted:
    try:
        command_id = await request_action(principal=principal, command_type=command_type, uow=ctx.uow(), **target)
    except actions.NotVisible as error:
        raise HTTPException(404, str(error)) from None
    except actions.Forbidden as error:
        raise HTTPException(403, str(error)) from None
    except actions.Conflict as error:
        raise HTTPException(409, str(error)) from None
    except actions.Invalid as error:  # the body's value, as a 422 naming the field
        raise HTTPException(
            422, [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
        ) from None
    ctx.wake_relay()
    return ActionAccepted(command_id=command_id)


@router.post(
    "/v1/reports/{report_id}/confirm",
    status_code=202,
    responses=ERRORS,
    operation_id="confirm_destinations",
    summary="Dispatcher: confirm the recommended destinations",
)
async def confirm(report_id: ReportId, ctx: Context, principal: CurrentPrincipal) -> ActionAccepted:
    return await _send(ctx, principal, "ConfirmDestinations", report_id=report_id)


@router.post(
    "/v1/reports/{report_id}/destinations",
    status_code=202,
    responses=BODY_ERRORS,
    operation_id="change_destinations",
    summary="Dispatcher: change the destinations, with a written reason",
)
async def change(
    report_id: ReportId,
    body: Annotated[ChangeDestinations, Body(openapi_examples=examples.CHANGE_DESTINATIONS)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> ActionAccepted:
    return await _send(ctx, principal, "ChangeDestinations", report_id=report_id, fields=body.model_dump(mode="json"))


@router.post(
    "/v1/referrals/{referral_id}/reassign",
    status_code=202,
    responses=BODY_ERRORS,
    operation_id="reassign_referral",
    summary="Dispatcher: reassign a referral to another unit, with a reason",
)
async def reassign(
    referral_id: ReferralId,
    body: Annotated[Reassign, Body(openapi_examples=examples.REASSIGN)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> ActionAccepted:
    return await _send(ctx, principal, "ReassignReferral", referral_id=referral_id, fields=body.model_dump())


@router.post(
    "/v1/referrals/{referral_id}/acknowledge",
    status_code=202,
    responses=ERRORS,
    operation_id="acknowledge_referral",
    summary="Unit (or a dispatcher on its behalf): we received the referral and take it",
)
async def acknowledge(referral_id: ReferralId, ctx: Context, principal: CurrentPrincipal) -> ActionAccepted:
    return await _send(ctx, principal, "AcknowledgeReferral", referral_id=referral_id)


@router.post(
    "/v1/referrals/{referral_id}/reject",
    status_code=202,
    responses=BODY_ERRORS,
    operation_id="reject_referral",
    summary="Unit: not ours, with a reason code (the report goes back to the queue)",
)
async def reject(
    referral_id: ReferralId,
    body: Annotated[Reject, Body(openapi_examples=examples.REJECT)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> ActionAccepted:
    """`reason` is a code of the vocabulary (DOMAIN.md, "Outcomes and learning") usable on
    a rejection; `other` needs a `note`. A wrong value is a 422 naming the field."""
    return await _send(ctx, principal, "RejectReferral", referral_id=referral_id, reason=body.reason, note=body.note)


@router.post(
    "/v1/referrals/{referral_id}/close",
    status_code=202,
    responses=BODY_ERRORS,
    operation_id="close_referral",
    summary="Unit: close an acknowledged referral: case opened (開案) or not, and why",
)
async def close(
    referral_id: ReferralId,
    body: Annotated[Close, Body(openapi_examples=examples.CLOSE)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> ActionAccepted:
    """`outcome`: `opened` (開案) or `not_opened`; `reason`, a code of the vocabulary usable
    on a closure, is required when not opened; `other` needs a `note`. A wrong value is a
    422 naming the field."""
    return await _send(
        ctx,
        principal,
        "CloseReferral",
        referral_id=referral_id,
        outcome=body.outcome,
        reason=body.reason,
        note=body.note,
    )


@router.post(
    "/v1/referrals/{referral_id}/long-term-care",
    status_code=202,
    responses=BODY_ERRORS,
    operation_id="place_in_long_term_care",
    summary="Welfare center: keep an acknowledged referral as a long-term care household (長期關懷戶), or renew it",
)
async def place_in_long_term_care(
    referral_id: ReferralId,
    body: Annotated[LongTermCare, Body(openapi_examples=examples.LONG_TERM_CARE)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> ActionAccepted:
    """Instead of closing: the referral stays with the unit (it counts as acknowledged, and
    new reports naming its subjects are follow-ups) until it is closed. Sent again, it
    renews the household with a new review date. Only a welfare center's referral (else
    403); `review_on` in the past or more than 12 months ahead is a 422 naming the field."""
    return await _send(
        ctx, principal, "PlaceInLongTermCare", referral_id=referral_id, review_on=body.review_on, note=body.note
    )
