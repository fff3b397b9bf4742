"""GET /v1/queue: the dispatch queue of the caller's county."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from safetynet.contracts.report import DestinationKind, RiskLevel
from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api.deps import Context, require_role
from safetynet.intake.service_layer.queue import dispatch_queue

router = APIRouter(tags=["queue"])

DispatchStaff = Annotated[Principal, Depends(require_role("dispatcher", "supervisor"))]


@router.get("/v1/queue", summary="Dispatcher: reports awaiting review and referrals awaiting acknowledgement",
            responses={401: {"description": "No or unknown key"}, 403: {"description": "Not dispatch staff"}})
async def queue(ctx: Context, principal: DispatchStaff,
                kind: Annotated[DestinationKind | None, Query()] = None,
                risk: Annotated[RiskLevel | None, Query()] = None) -> list[dict[str, Any]]:
    return await dispatch_queue(principal=principal, uow=ctx.uow(), kind=kind, risk=risk)
