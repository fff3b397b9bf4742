"""Jinja2 for the console: autoescaped server-side HTML, no front-end build step."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from safetynet.intake.entrypoints.console import labels
from safetynet.intake.entrypoints.console.present import KINDS, RISKS

PACKAGE = Path(__file__).resolve().parents[2]  # safetynet/intake
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html",), default_for_string=True),
    undefined=StrictUndefined,  # a typo in a template fails the tests instead of showing blanks
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(L=labels, label=labels.label, KINDS=KINDS, RISKS=RISKS)


def render(
    request: Request, template: str, *, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    staff = context.pop("staff", None)
    html = _env.get_template(template).render(
        request=request,
        staff=staff,
        principal=staff.principal if staff else None,
        csrf_token=staff.csrf if staff else "",
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
