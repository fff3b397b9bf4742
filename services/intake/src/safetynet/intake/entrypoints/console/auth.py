"""Who is at the console: a signed-in session (browser) or a bearer key (wall-screen
kiosks and scripts). Dispatch staff (dispatcher, supervisor) get the dispatch pages;
destination units get their inbox (unit_inbox.py); no other role gets in.

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
from safetynet.intake.domain.access import Principal, Role
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


# The roles that may sign in to the console at all; each route's rule says which of them it serves.
CONSOLE_ROLES: tuple[Role, ...] = ("dispatcher", "supervisor", "unit")
UNIT_ROLE: tuple[Role, ...] = ("unit",)
UNIT_PAGES = "/console/inbox"  # every unit page is under it


class NotStaff(Exception):
    """An authenticated key of a role the page is not for (agency and admin: any page;
    a unit: the dispatch pages; dispatch staff: the unit's inbox)."""

    def __init__(self, role: str | None = None):
        self.role = role


class CsrfRejected(Exception):
    pass


def signer(request: Request) -> Signer:
    state = request.app.state  # untyped: the signer is made on first use and kept there
    if getattr(state, "console_signer", None) is None:
        ctx: IntakeContext = state.intake
        state.console_signer = Signer(ctx.settings.console_secrets())
    console_signer: Signer = state.console_signer
    return console_signer


async def principal_of(
    request: Request, ctx: IntakeContext, *, redirect: bool, roles: tuple[str, ...] = CONSOLE_ROLES
) -> Staff:
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
    if staff.principal.role not in roles:
        raise NotStaff(staff.principal.role)
    return staff


async def page_staff(request: Request, ctx: Context) -> Staff:
    """For full pages: without a session, go to the sign-in page and come back."""
    return await principal_of(request, ctx, redirect=True, roles=DISPATCH_STAFF)


async def fragment_staff(request: Request, ctx: Context) -> Staff:
    """For fragments and the event stream: a 401 the page's script can act on."""
    return await principal_of(request, ctx, redirect=False, roles=DISPATCH_STAFF)


def cross_site(request: Request) -> bool:
    """The browser's own word (page scripts cannot set Sec-Fetch-Site) that another
    site started this request; clients that do not send the header are not browsers."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("cross-site", "same-site")


async def form_staff(request: Request, ctx: Context) -> Staff:
    """For form posts: the principal, and the CSRF token when a session carries the post."""
    return await _form_poster(request, ctx, DISPATCH_STAFF)


async def _form_poster(request: Request, ctx: Context, roles: tuple[str, ...]) -> Staff:
    if cross_site(request):
        raise CsrfRejected()
    staff = await principal_of(request, ctx, redirect=True, roles=roles)
    if staff.session is not None:
        form = await request.form()  # Starlette caches it: the route reads the same form
        token = form.get(CSRF_FIELD)
        if not signer(request).check_csrf(staff.session, token if isinstance(token, str) else None):
            raise CsrfRejected()
    return staff


async def signed_in(request: Request, ctx: Context) -> Staff:
    """For what every console role may post (signing out)."""
    return await _form_poster(request, ctx, CONSOLE_ROLES)


async def unit_page(request: Request, ctx: Context) -> Staff:
    return await principal_of(request, ctx, redirect=True, roles=UNIT_ROLE)


async def unit_fragment(request: Request, ctx: Context) -> Staff:
    return await principal_of(request, ctx, redirect=False, roles=UNIT_ROLE)


async def unit_form(request: Request, ctx: Context) -> Staff:
    return await _form_poster(request, ctx, UNIT_ROLE)


PageStaff = Annotated[Staff, Depends(page_staff)]
FragmentStaff = Annotated[Staff, Depends(fragment_staff)]
FormStaff = Annotated[Staff, Depends(form_staff)]
SignedIn = Annotated[Staff, Depends(signed_in)]
UnitPage = Annotated[Staff, Depends(unit_page)]
UnitFragment = Annotated[Staff, Depends(unit_fragment)]
UnitForm = Annotated[Staff, Depends(unit_form)]


def landing(role: str, target: str) -> str:
    """Where a sign-in goes: the page asked for if it is one of the role's, else its home."""
    if role == "unit":
        return target if target.startswith(UNIT_PAGES) else UNIT_PAGES
    return "/console" if target.startswith(UNIT_PAGES) else target


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
    assert isinstance(error, NotStaff)
    if error.role == "unit":
        message = "這是派案人員的頁面；單位請使用收件匣。 This page is for dispatch staff: units work in their inbox."
    elif error.role in DISPATCH_STAFF:
        message = "這是派案單位的收件匣，只開放單位金鑰。 The inbox is for destination units' keys."
    else:
        message = (
            "派案台只開放派案人員、督導（dispatcher、supervisor）與派案單位（unit）金鑰。"
            " The console is for dispatch staff and destination unit keys only."
        )
    return render(
        request,
        "console/error.html",
        status_code=403,
        title="沒有權限 Forbidden",
        message=message,
        home=UNIT_PAGES if error.role == "unit" else "/console",
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
