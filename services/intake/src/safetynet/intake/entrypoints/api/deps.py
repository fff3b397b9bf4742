"""FastAPI dependencies, as the aliases routes declare: the wired service (`Context`), the
authenticated principal and the ids in paths. The container is safetynet.intake.context;
authentication is entrypoints/authentication.py."""

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from safetynet.intake.context import IntakeContext
from safetynet.intake.domain.access import Principal, Role
from safetynet.intake.entrypoints.authentication import current_principal


# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread,
# and that hop cost more CPU than the whole of what these do.
async def get_context(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.intake  # app.state is untyped; create_app sets it
    return ctx


Context = Annotated[IntakeContext, Depends(get_context)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"this action needs a key of role {' or '.join(roles)}")
        return principal

    return check


AgencyPrincipal = Annotated[Principal, Depends(require_role("agency"))]


# Ids are UUIDs. Anything else cannot name a report, so it is simply not found, and it
# never reaches the database (a NUL byte would make PostgreSQL fail).
_ID_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")


async def _report_id(report_id: str) -> str:
    if not _ID_SHAPE.fullmatch(report_id):
        raise HTTPException(404, "no such report")
    return report_id


async def _referral_id(referral_id: str) -> str:
    if not _ID_SHAPE.fullmatch(referral_id):
        raise HTTPException(404, "no such referral")
    return referral_id


ReportId = Annotated[str, Depends(_report_id)]
ReferralId = Annotated[str, Depends(_referral_id)]
