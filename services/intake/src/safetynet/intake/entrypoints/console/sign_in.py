"""Signing in to the console and out of it: the same key check, throttle and audit as the
API (entrypoints/authentication.py), then a server-side session named by an HttpOnly,
SameSite=Strict cookie; the sign-in form carries its own nonce against login CSRF."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.authentication import KeyRefused, TooManyFailures, authenticate
from safetynet.intake.entrypoints.console import session as cookies
from safetynet.intake.entrypoints.console.auth import CONSOLE_ROLES, SignedIn, cross_site, landing, safe_next, signer
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer import sessions

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    signed_out = request.query_params.get("signed_out") == "true"
    return _sign_in_form(
        request,
        next_path=safe_next(request.query_params.get("next")),
        notice="您已登出。 You have signed out." if signed_out else None,
    )


def _sign_in_form(
    request: Request, *, next_path: str, error: str | None = None, notice: str | None = None, status_code: int = 200
) -> Response:
    nonce, token = signer(request).new_signin_nonce()
    response = render(
        request,
        "console/sign_in.html",
        status_code=status_code,
        next_path=next_path,
        signin_token=token,
        error=error,
        notice=notice,
    )
    cookies.set_cookie(
        response, cookies.PRE_COOKIE, nonce, secure=_secure(request), max_age=cookies.PRE_LIFETIME_SECONDS
    )
    return response


def _secure(request: Request) -> bool:
    settings = request.app.state.intake.settings
    return cookies.is_https(request, settings.public_base_url, secure=settings.secure)


@router.post("/sign-in")
async def sign_in(request: Request, ctx: Context) -> Response:
    form = await request.form()
    next_path = safe_next(str(form.get("next") or ""))
    token = str(form.get("signin_token") or "")
    if cross_site(request) or not signer(request).check_signin(request.cookies.get(cookies.PRE_COOKIE), token):
        return _sign_in_form(
            request,
            next_path=next_path,
            status_code=403,
            error="登入表單已失效，請再試一次。 The sign-in form expired: try again.",
        )
    try:  # the API's own path: the throttle first, so a right guess looks like a wrong one meanwhile
        principal = await authenticate(request, str(form.get("key") or "").strip())
    except TooManyFailures as blocked:
        response = _sign_in_form(
            request,
            next_path=next_path,
            status_code=429,
            error="登入失敗次數過多，請稍後再試。 Too many failed sign-ins: wait a minute.",
        )
        response.headers["Retry-After"] = str(blocked.wait)
        return response
    except KeyRefused:
        return _sign_in_form(
            request, next_path=next_path, status_code=401, error="金鑰無效或已停用。 Unknown or revoked key."
        )
    if principal.role not in CONSOLE_ROLES:
        return _sign_in_form(
            request,
            next_path=next_path,
            status_code=403,
            error="這不是派案人員、督導或派案單位的金鑰。 This is not a dispatcher, supervisor or unit key.",
        )
    session, value = signer(request).new_session(principal.key_id)
    await sessions.start_session(
        session_id=session.session_id,
        principal=principal,
        uow=ctx.uow(),
        expires_at=datetime.fromtimestamp(session.expires_at, UTC),
    )
    response = RedirectResponse(landing(principal.role, next_path), status_code=303)
    cookies.set_cookie(response, cookies.COOKIE, value, secure=_secure(request), max_age=cookies.LIFETIME_SECONDS)
    cookies.clear_cookie(response, cookies.PRE_COOKIE, secure=_secure(request))
    return response


@router.post("/sign-out")
async def sign_out(request: Request, ctx: Context, staff: SignedIn) -> Response:
    # The stored session ends: a copy of the cookie taken elsewhere stops working too.
    if staff.session is not None:
        await sessions.end_session(session_id=staff.session.session_id, principal=staff.principal, uow=ctx.uow())
    response = RedirectResponse("/console/sign-in?signed_out=true", status_code=303)
    cookies.clear_cookie(response, cookies.COOKIE, secure=_secure(request))
    return response
