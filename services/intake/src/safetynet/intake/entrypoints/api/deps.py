"""FastAPI dependencies: the wired service and the authenticated principal."""

import re
from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.settings import Settings
from safetynet.intake.domain.access import Principal, Role
from safetynet.intake.entrypoints.api import throttle
from safetynet.intake.service_layer import handlers
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass
class IntakeContext:
    settings: Settings
    engine: AsyncEngine
    directory: CountyDirectory
    uow: Callable[[], IntakeUnitOfWork]
    wake_relay: Callable[[], None] = lambda: None  # publish now, not at the relay's next poll


def get_context(request: Request) -> IntakeContext:
    return request.app.state.intake  # type: ignore[no-any-return]


Context = Annotated[IntakeContext, Depends(get_context)]

_bearer = HTTPBearer(auto_error=False, description="An API key minted with `safetynet keys create`")


async def get_principal(request: Request, ctx: Context,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    authorized = getattr(request.state, "principal", None)
    if authorized is not None:  # the app's authorization dependency has authenticated this request
        return authorized  # type: ignore[no-any-return]
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "missing bearer key", headers={"WWW-Authenticate": "Bearer"})
    throttle.refuse_if_blocked(request)
    principal = await handlers.authenticate(secret=credentials.credentials, uow=ctx.uow())
    if principal is None:
        throttle.failed(request)
        raise HTTPException(401, "unknown, revoked or expired key", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"this action needs a key of role {' or '.join(roles)}")
        return principal
    return check


AgencyPrincipal = Annotated[Principal, Depends(require_role("agency"))]



# Ids are UUIDs. Anything else cannot name a report, so it is simply not found, and it
# never reaches the database (a NUL byte would make PostgreSQL fail).
_ID_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")


def _report_id(report_id: str) -> str:
    if not _ID_SHAPE.fullmatch(report_id):
        raise HTTPException(404, "no such report")
    return report_id


def _referral_id(referral_id: str) -> str:
    if not _ID_SHAPE.fullmatch(referral_id):
        raise HTTPException(404, "no such referral")
    return referral_id


ReportId = Annotated[str, Depends(_report_id)]
ReferralId = Annotated[str, Depends(_referral_id)]
