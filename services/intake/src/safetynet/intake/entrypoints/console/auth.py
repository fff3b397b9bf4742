"""Who is at the console: a signed-in session (browser) or a bearer key (wall-screen
kiosks and scripts). Only dispatch staff (dispatcher, supervisor) get in.

CSRF: a form post authenticated by the session cookie must carry the session's CSRF
token. A post with `Authorization: Bearer` needs none, since a browser never adds that
header to a cross-site request by itself. Every post is also refused when the browser
says another site started it (Sec-Fetch-Site), in case a kiosk's proxy adds the header.
"""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from safetynet.intake.context import IntakeContext
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.actions import DISPATCH_STAFF
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.authentication import KeyRefused, bearer_principal
from safetynet.intake.entrypoints.console.session import COOKIE, CSRF_FIELD, Session, Signer
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer import sessions


@dataclass(frozen=True)
class Staff:
    principal: Principal
    session: Session | None  # None: authenticated by a bearer key
    csrf: str = ""


class SignInRequired(Exception):
    def __init__(self, *, redirect: bool, bearer: bool = False):
        self.redirect, self.bearer = redirect, bearer


class NotStaff(Exception):
    """An authenticated key of another role (agency, unit, admin)."""


class CsrfRejected(Exception):
    pass


def signer(request: Request) -> Signer:
    state = request.app.state  # untyped: the signer is made on first use and kept there
    if getattr(state, "console_signer", None) is None:
        ctx: IntakeContext = state.intake
        state.console_signer = Signer(ctx.settings.console_secrets())
    console_signer: Signer = state.console_signer
    return console_signer


async def principal_of(request: Request, ctx: IntakeContext, *, redirect: bool) -> Staff:
    if "authorization" in request.headers:
        try:  # a blocked address's 429 passes through, as the API's does
            principal = await bearer_principal(request)
        except KeyRefused:
            raise SignInRequired(redirect=False, bearer=True) from None
        staff = Staff(principal, None)
    else:
        sign = signer(request)
        session = sign.read_session(request.cookies.get(COOKIE))
        if session is None:
            raise SignInRequired(redirect=redirect)
        # The stored session decides: ended (sign-out, a revoked key) or idle is over.
        resumed = await sessions.resume_session(
            session_id=session.session_id, uow=ctx.uow(), idle_seconds=ctx.settings.console_idle_seconds
        )
        if resumed is None or resumed.key_id != session.key_id:
            raise SignInRequired(redirect=redirect)
        staff = Staff(resumed, session, sign.csrf_token(session))
    if staff.principal.role not in DISPATCH_STAFF:
        raise NotStaff()
    return staff


async def page_staff(request: Request, ctx: Context) -> Staff:
    """For full pages: without a session, go to the sign-in page and come back."""
    return await principal_of(request, ctx, redirect=True)


async def fragment_staff(request: Request, ctx: Context) -> Staff:
    """For fragments and the event stream: a 401 the page's script can act on."""
    return await principal_of(request, ctx, redirect=False)


def cross_site(request: Request) -> bool:
    """The browser's own word (page scripts cannot set Sec-Fetch-Site) that another
    site started this request; clients that do not send the header are not browsers."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("cross-site", "same-site")


async def form_staff(request: Request, ctx: Context) -> Staff:
    """For form posts: the principal, and the CSRF token when a session carries the post."""
    if cross_site(request):
        raise CsrfRejected()
    staff = await principal_of(request, ctx, redirect=True)
    if staff.session is not None:
        form = await request.form()  # Starlette caches it: the route reads the same form
        token = form.get(CSRF_FIELD)
        if not signer(request).check_csrf(staff.session, token if isinstance(token, str) else None):
            raise CsrfRejected()
    return staff


PageStaff = Annotated[Staff, Depends(page_staff)]
FragmentStaff = Annotated[Staff, Depends(fragment_staff)]
FormStaff = Annotated[Staff, Depends(form_staff)]


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    if (
        target
        and target.startswith("/console")
        and not target.startswith("/console/sign-")
        and "\\" not in target
        and "//" not in target
    ):
        return target
    return "/console"


async def on_sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    if error.redirect:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/console/sign-in" + (f"?next={quote(here, safe='')}" if request.method == "GET" else "")
        return RedirectResponse(target, status_code=303)
    message = "金鑰無效或已停用 Unknown or revoked key" if error.bearer else "請先登入 Sign in first"
    return render(
        request,
        "console/error.html",
        status_code=401,
        title="需要登入 Sign-in required",
        message=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def on_not_staff(request: Request, error: Exception) -> Response:
    return render(
        request,
        "console/error.html",
        status_code=403,
        title="沒有權限 Forbidden",
        message="派案台只開放派案人員與督導（dispatcher、supervisor）金鑰。"
        " The console is for dispatch staff keys only.",
    )


async def on_csrf_rejected(request: Request, error: Exception) -> Response:
    return render(
        request,
        "console/error.html",
        status_code=403,
        title="表單已失效 Form expired",
        message="這個表單已失效或不是從派案台送出，請重新整理頁面後再試。"
        " The form expired or did not come from the console: reload and try again.",
    )
