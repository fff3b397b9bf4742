"""Bearer authentication: the one path from an API key to its principal. Every place that
takes a key goes through it: the request guard (before a body is read), the API's
authorization dependency, the console (a kiosk's or a script's bearer key) and the
console's sign-in form (the key typed in).

A look-up, in this order: the client address's failure throttle (a blocked address is
answered 429 before any key is looked at, so a right guess cannot be told from a wrong
one: entrypoints/api/throttle.py); then the key by its hash, which must be live (neither
revoked nor expired); a refused key counts one failure against the address. The outcome
is kept on the request, so the guard's look-up serves the authorization dependency that
runs after it, and a bad key costs its address one failure per request, not one per site.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safetynet.intake.domain.access import Principal
from safetynet.intake.entrypoints.api import throttle
from safetynet.intake.entrypoints.api.throttle import TooManyFailures
from safetynet.intake.service_layer import handlers

MISSING = "missing bearer key"
REFUSED = "unknown, revoked or expired key"
_OUTCOME = "safetynet_authenticated"  # in the request's state: (hash of the key, principal or None)

__all__ = ["KeyRefused", "TooManyFailures", "authenticate", "bearer_principal", "bearer_secret", "current_principal"]


class KeyRefused(HTTPException):
    """401: no key, or an unknown, revoked or expired one."""

    def __init__(self, detail: str):
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_secret(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None without a usable one."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


async def bearer_principal(request: Request) -> Principal:
    """The principal of the request's bearer key. Raises KeyRefused (401) without a key or
    for a bad one, TooManyFailures (429) while the address is blocked."""
    secret = bearer_secret(request)
    if secret is None:
        raise KeyRefused(MISSING)  # nothing was presented: not a failed guess
    return await authenticate(request, secret)


async def authenticate(request: Request, secret: str) -> Principal:
    """The principal of a presented key (a header's, or the sign-in form's). Raises
    TooManyFailures while the address is blocked, KeyRefused for a bad or empty key."""
    state = request.scope.setdefault("state", {})
    digest = handlers.hash_secret(secret)
    known = state.get(_OUTCOME)
    if known is not None and known[0] == digest:
        principal: Principal | None = known[1]  # this request's look-up, throttle check included
    else:
        throttle.refuse_if_blocked(request)
        principal = None
        if secret:
            principal = await handlers.authenticate(secret=secret, uow=request.app.state.intake.uow())
        if principal is None:
            throttle.failed(request)
        state[_OUTCOME] = (digest, principal)
    if principal is None:
        raise KeyRefused(REFUSED)
    return principal


# Declares the bearer scheme in the OpenAPI document; the key itself is read by bearer_secret.
_documented_bearer = HTTPBearer(auto_error=False, description="An API key minted with `safetynet keys create`")


async def current_principal(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_documented_bearer)]
) -> Principal:
    """The route's principal: the one the authorization dependency (api/authz.py) found
    for this request, else the bearer key's."""
    authorized: Principal | None = getattr(request.state, "principal", None)
    return authorized if authorized is not None else await bearer_principal(request)
