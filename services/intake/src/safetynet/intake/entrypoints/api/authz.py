"""The one authorization dependency: create_app installs it on the whole app, so every
route runs it before anything of its own (its parameters, its body, its handler).

For each request it finds the route's rule in domain/policy.py (no rule: refused),
authenticates the caller (the API: a bearer key; the console: a bearer key or its session
cookie, answered the console's way), spends a token of the key's rate limit, checks the
role, then the scope, and notes where the request came from for the audit trail.
"""

import logging
import re
from typing import Any

from fastapi import HTTPException, Request

from safetynet.intake.context import IntakeContext
from safetynet.intake.domain import policy
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.policy import RecordTarget, Rule
from safetynet.intake.entrypoints.api.throttle import client_address
from safetynet.intake.entrypoints.authentication import bearer_principal
from safetynet.intake.service_layer.audit import Origin, set_origin

log = logging.getLogger(__name__)

# Ids are UUIDs: anything else names nothing (and never reaches the database).
_ID_SHAPE = re.compile(r"[A-Za-z0-9-]{1,64}")


class OutOfReach(HTTPException):
    """The report or referral named is not this key's to touch: a 404, as for an unknown id."""

    def __init__(self, detail: str):
        super().__init__(404, detail)


def route_template(request: Request) -> str:
    """The matched route's path template, e.g. /v1/reports/{report_id}."""
    route = request.scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or request.url.path


async def authorize(request: Request) -> None:
    ctx: IntakeContext = request.app.state.intake
    template = route_template(request)
    set_origin(Origin(client=client_address(request), endpoint=f"{request.method} {template}"))
    rule = policy.rule_for(request.method, template)
    if rule is None:
        log.error("no authorization rule for %s %s: refused", request.method, template)
        raise HTTPException(403, "no authorization rule for this route")
    if rule.public:
        return
    principal = await _authenticate(request, ctx, rule)
    wait = request.app.state.rate_limits.take(principal.key_id)
    if wait:
        raise HTTPException(429, "too many requests with this key: slow down", headers={"Retry-After": str(wait)})
    if not policy.role_allowed(principal, rule):
        if rule.sign_in != "api":  # the console's own 403 page, which points to the role's home
            from safetynet.intake.entrypoints.console.auth import NotStaff

            raise NotStaff(principal.role)
        raise HTTPException(403, policy.refusal(rule))
    if rule.scope == "county_param" and not policy.county_param_allowed(principal, request.query_params.get("county")):
        raise HTTPException(403, f"this key is for {principal.county}")
    if rule.scope == "record":
        await _check_reach(request, ctx, principal)
    request.state.principal = principal


async def _authenticate(request: Request, ctx: IntakeContext, rule: Rule) -> Principal:
    if rule.sign_in != "api":
        # The console answers a missing or bad sign-in itself: a redirect to its sign-in
        # page, or a 401 page for fragments; and a 403 page for keys that are not staff.
        from safetynet.intake.entrypoints.console.auth import principal_of

        return (await principal_of(request, ctx, redirect=rule.sign_in == "page")).principal
    # Looked up once per request: the request guard (entrypoints/guard.py) may have done
    # it already, before the body.
    return await bearer_principal(request)


async def _check_reach(request: Request, ctx: IntakeContext, principal: Principal) -> None:
    report_id, referral_id = request.path_params.get("report_id"), request.path_params.get("referral_id")
    detail = "no such report" if report_id is not None else "no such referral"
    if any(v is not None and not _ID_SHAPE.fullmatch(v) for v in (report_id, referral_id)):
        raise OutOfReach(detail)
    async with ctx.uow() as uow:
        holder = await uow.views.referral_holder(referral_id) if referral_id is not None else None
        report_id = report_id if report_id is not None else (holder[0] if holder else None)
        ownership = await uow.reports.ownership(report_id) if report_id is not None else None
    target = RecordTarget(
        report=ownership, names_referral=referral_id is not None, referral_unit=holder[1] if holder else None
    )
    if not policy.in_reach(principal, target):
        raise OutOfReach(detail)


_ANSWERS = {
    "401": {"description": "No key, or an unknown, revoked or expired one"},
    "403": {"description": "The key's role may not use this route (or another county's figures)"},
    "404": {"description": "No such report or referral for this key"},
    "429": {
        "description": "Over the key's rate limit: retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
}


def document_policy(schema: dict[str, Any]) -> None:
    """Add the answers the policy may give to each operation of the OpenAPI document."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rule = policy.rule_for(method.upper(), path)
            if rule is None or rule.public:
                continue
            codes = ["401", "403", "429"] + (["404"] if rule.scope == "record" else [])
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _ANSWERS[code])
