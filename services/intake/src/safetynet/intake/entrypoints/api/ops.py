"""GET /v1/ops/slas: open SLAs for ops and supervisors, with a link to each trace."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api.deps import Context, require_role
from safetynet.intake.service_layer.ops import open_slas

router = APIRouter(tags=["ops"])

OpsStaff = Annotated[Principal, Depends(require_role("dispatcher", "supervisor", "admin"))]


@router.get("/v1/ops/slas", summary="Open SLAs, soonest first: time left, where each report waits, its trace",
            responses={401: {"description": "No or unknown key"}, 403: {"description": "Not county staff"}})
async def slas(ctx: Context, principal: OpsStaff) -> list[dict[str, Any]]:
    return await open_slas(principal=principal, uow=ctx.uow(), trace_url_template=ctx.settings.trace_url_template)
