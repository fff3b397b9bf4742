"""FastAPI dependencies: the wired service and the authenticated principal."""

from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.settings import Settings
from safetynet.intake.domain.access import Principal, Role
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


async def get_principal(ctx: Context,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "missing bearer key", headers={"WWW-Authenticate": "Bearer"})
    principal = await handlers.authenticate(secret=credentials.credentials, uow=ctx.uow())
    if principal is None:
        raise HTTPException(401, "unknown or revoked key", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"this action needs a key of role {' or '.join(roles)}")
        return principal
    return check


AgencyPrincipal = Annotated[Principal, Depends(require_role("agency"))]
