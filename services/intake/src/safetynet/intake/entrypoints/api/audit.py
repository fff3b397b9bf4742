"""GET /v1/audit: the county's audit trail, for supervisors and admins (domain/policy.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from safetynet.intake.entrypoints.api.deps import Context, CurrentPrincipal
from safetynet.intake.service_layer import audit

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit",
    operation_id="list_audit_records",
    summary="Supervisor, admin: who read or acted on what, newest first",
    responses={401: {"description": "No or unknown key"}, 403: {"description": "Not a supervisor or admin key"}},
)
async def get_audit(
    ctx: Context,
    principal: CurrentPrincipal,
    report_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Only records about this report")
    ] = None,
    actor: Annotated[
        str | None,
        Query(
            pattern=r"^[^\x00]{1,200}$",  # no NUL: PostgreSQL refuses it
            description="Only records by this key id or key name",
        ),
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, description="Only records older than this `seq` (the previous page's `next_before`)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Records of the key's own county only: a report of another county shows no records.
    Each record carries its `hash` and `prev_hash`; `safetynet audit verify` checks the
    whole chain."""
    records = await audit.query(
        principal=principal, uow=ctx.uow(), report_id=report_id, actor=actor, before=before, limit=limit
    )
    return {
        "county": principal.county,
        "records": records,
        "next_before": records[-1]["seq"] if len(records) == limit else None,
    }
