"""The web console for county dispatch staff, and for destination units (their inbox at
/console/inbox), served by intake at /console.

Server-rendered Jinja2 pages; a small vanilla script (static/console.js) listens to
/console/events and re-fetches the page's fragment when the county's reports change.
"""

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from safetynet.intake.entrypoints.console import (
    auth,
    events,
    forms,
    network_meeting,
    outcomes,
    pages,
    phone_report,
    rule_replays,
    sign_in,
    unit_forms,
    unit_inbox,
)
from safetynet.intake.entrypoints.console.headers import ConsoleHeaders
from safetynet.intake.entrypoints.console.templating import STATIC


def install(app: FastAPI) -> None:
    """Add the console's routes, static files, error pages and security headers to `app`."""
    app.include_router(phone_report.router)  # before pages: /reports/new is not a report id
    app.include_router(sign_in.router)
    app.include_router(pages.router)
    app.include_router(outcomes.router)  # /console/kpis/outcomes, the learning KPIs (issue 13)
    app.include_router(rule_replays.router)  # /console/rules, supervisors try a rule version (issue 13)
    app.include_router(network_meeting.router)  # /console/network-meeting, early intervention (issue 14)
    app.include_router(forms.router)
    app.include_router(events.router)
    app.include_router(unit_inbox.router)  # a destination unit's inbox (issue 13)
    app.include_router(unit_forms.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(auth.SignInRequired, auth.on_sign_in_required)
    app.add_exception_handler(auth.NotStaff, auth.on_not_staff)
    app.add_exception_handler(auth.CsrfRejected, auth.on_csrf_rejected)
    app.add_middleware(ConsoleHeaders)
