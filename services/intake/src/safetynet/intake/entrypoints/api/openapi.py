"""The OpenAPI document partner agencies generate their clients from.

FastAPI builds most of it from the routes; this module adds what it cannot know: the
report contract's schema (POST /v1/reports reads its body itself), the answers the
access policy may give (`authz.document_policy`), one error body for every 4xx and 503,
and the outage answer of every route that needs the database. A test generates a client
with openapi-python-client from the served document and drives the README's
walk-through through it (tests/e2e/test_generated_client.py).
"""

import json
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from safetynet.contracts.report import ReportSubmission
from safetynet.intake.domain import policy
from safetynet.intake.entrypoints import outage
from safetynet.intake.entrypoints.api.authz import document_policy
from safetynet.intake.entrypoints.api.schemas import Error, ValidationErrors

REF = "#/components/schemas/{model}"

TAGS = [
    {
        "name": "reports",
        "description": (
            "Partner agencies post reports about people at risk and follow their progress; dispatch staff and units "
            "read them. Each key sees its own view of a report: an agency its status, SLA and destination kinds; a "
            "unit the referrals it holds; dispatch staff of the county everything, with the decision's reason codes "
            "and the timeline."
        ),
    },
    {
        "name": "actions",
        "description": (
            "Dispatcher and unit actions on a report or a referral. Each answers 202 with a command id: routing "
            "applies it a moment later, and the report's timeline shows the result (or why routing refused it)."
        ),
    },
    {
        "name": "queue",
        "description": (
            "The dispatch queue of the key's county: reports awaiting review and referrals awaiting "
            "acknowledgement, most urgent first."
        ),
    },
    {
        "name": "kpis",
        "description": (
            "The programme's indicators (24-hour dispatch rate, protection re-report rate, vulnerable families "
            "reported again for protection) and the monthly list for the high-risk network meeting "
            "(家暴高危機網絡會議)."
        ),
    },
    {"name": "ops", "description": "Liveness, readiness and every open SLA with where it waits and its trace."},
    {"name": "audit", "description": "Who read or acted on what, append-only and chained, for supervisors and admins."},
]

_OUTAGE = {
    "description": "The database is unreachable for the moment: retry after `Retry-After` seconds",
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait",
            "schema": {"type": "integer", "example": outage.RETRY_AFTER_SECONDS},
        }
    },
}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def operation_id(route: APIRoute) -> str:
    """A route without an explicit `operation_id` is named after its function (every API
    route names its own, so that renaming a function never renames a client's method)."""
    return route.name


def install(app: FastAPI) -> None:
    """Build the document once, on first request, with the additions above."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ReportSubmission, Error, ValidationErrors):
            _add_component(components, model)
        document_policy(schema)
        _document_errors(schema)
        for name in _FASTAPI_VALIDATION:  # replaced by ValidationErrors, which says what intake sends
            if json.dumps(REF.format(model=name)) not in json.dumps(schema):
                components.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its document


def _add_component(components: dict[str, Any], model: type[BaseModel]) -> None:
    definition = model.model_json_schema(ref_template=REF)
    components.update(definition.pop("$defs", {}))
    components[model.__name__] = definition


def _document_errors(schema: dict[str, Any]) -> None:
    """Every 4xx and 503 answer of the API has a JSON body; say which. Routes that need
    the database (every one the policy guards) may answer 503 during an outage."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            rule = policy.rule_for(method.upper(), path)
            if rule is not None and not rule.public:
                responses.setdefault("503", dict(_OUTAGE))
            for code, response in responses.items():
                if not (code.startswith("4") or code == "503"):
                    continue
                content = response.get("content", {}).get("application/json", {})
                if content and not _is_fastapi_validation(content.get("schema")):
                    continue  # a body of its own (readyz's 503)
                body = ValidationErrors if code == "422" else Error
                response["content"] = {"application/json": {"schema": {"$ref": REF.format(model=body.__name__)}}}


def _is_fastapi_validation(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("$ref") == REF.format(model="HTTPValidationError")
