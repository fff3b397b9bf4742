"""GET /v1/queue: the dispatch queue of the caller's county."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from safetynet.contracts.report import DestinationKind, RiskLevel
from safetynet.intake.domain import paging
from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api.deps import Context, require_role
from safetynet.intake.entrypoints.api.paging import PAGED, After, Limit, bad_cursor, link_next
from safetynet.intake.service_layer.queue import dispatch_queue_page

router = APIRouter(tags=["queue"])

DispatchStaff = Annotated[Principal, Depends(require_role("dispatcher", "supervisor"))]


@router.get(
    "/v1/queue",
    operation_id="list_queue",
    summary="Dispatcher: reports awaiting review and referrals awaiting acknowledgement",
    responses={200: PAGED, 401: {"description": "No or unknown key"}, 403: {"description": "Not dispatch staff"}},
)
async def queue(
    request: Request,
    response: Response,
    ctx: Context,
    principal: DispatchStaff,
    kind: Annotated[DestinationKind | None, Query()] = None,
    risk: Annotated[RiskLevel | None, Query()] = None,
    limit: Limit = paging.DEFAULT_LIMIT,
    after: After = None,
) -> list[dict[str, Any]]:
    try:
        found = await dispatch_queue_page(
            principal=principal, uow=ctx.uow(), kind=kind, risk=risk, limit=limit, after=after
        )
    except paging.BadCursor:
        raise bad_cursor() from None
    link_next(request, response, found.next_cursor)
    return found.items
