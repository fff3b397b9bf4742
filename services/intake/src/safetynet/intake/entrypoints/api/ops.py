"""GET /v1/ops/slas: open SLAs for ops and supervisors, with a link to each trace."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from safetynet.intake.domain import paging
from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api.deps import Context, require_role
from safetynet.intake.entrypoints.api.paging import PAGED, After, Limit, bad_cursor, link_next
from safetynet.intake.service_layer.ops import open_slas_page

router = APIRouter(tags=["ops"])

OpsStaff = Annotated[Principal, Depends(require_role("dispatcher", "supervisor", "admin"))]


@router.get(
    "/v1/ops/slas",
    operation_id="list_open_slas",
    summary="Open SLAs, soonest first: time left, where each report waits, its trace",
    responses={200: PAGED, 401: {"description": "No or unknown key"}, 403: {"description": "Not county staff"}},
)
async def slas(
    request: Request,
    response: Response,
    ctx: Context,
    principal: OpsStaff,
    limit: Limit = paging.DEFAULT_LIMIT,
    after: After = None,
) -> list[dict[str, Any]]:
    try:
        found = await open_slas_page(
            principal=principal,
            uow=ctx.uow(),
            limit=limit,
            after=after,
            trace_url_template=ctx.settings.trace_url_template,
        )
    except paging.BadCursor:
        raise bad_cursor() from None
    link_next(request, response, found.next_cursor)
    return found.items
