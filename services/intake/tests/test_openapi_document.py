"""The OpenAPI document as partner agencies read it: readable operation ids, described
tags, examples that the contract accepts, one error body for every 4xx and 503, and one
version number. (tests/e2e/test_generated_client.py generates a client from it.)"""

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from safetynet.contracts.report import ReportSubmission
from safetynet.intake.adapters.contracts import accepted_body
from safetynet.intake.entrypoints.api import actions, examples
from safetynet.intake.entrypoints.api.schemas import Error, ValidationErrors
from safetynet.intake.version import API_PATH_PREFIX, API_VERSION

OPERATIONS = {
    ("post", "/v1/reports"): "create_report",
    ("get", "/v1/reports/{report_id}"): "get_report",
    ("post", "/v1/reports/{report_id}/confirm"): "confirm_destinations",
    ("post", "/v1/reports/{report_id}/destinations"): "change_destinations",
    ("post", "/v1/referrals/{referral_id}/reassign"): "reassign_referral",
    ("post", "/v1/referrals/{referral_id}/acknowledge"): "acknowledge_referral",
    ("post", "/v1/referrals/{referral_id}/reject"): "reject_referral",
    ("post", "/v1/referrals/{referral_id}/close"): "close_referral",
    ("post", "/v1/referrals/{referral_id}/long-term-care"): "place_in_long_term_care",
}
ACTION_BODIES: dict[str, type[BaseModel]] = {
    "/v1/reports/{report_id}/destinations": actions.ChangeDestinations,
    "/v1/referrals/{referral_id}/reassign": actions.Reassign,
    "/v1/referrals/{referral_id}/reject": actions.Reject,
    "/v1/referrals/{referral_id}/close": actions.Close,
    "/v1/referrals/{referral_id}/long-term-care": actions.LongTermCare,
}


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


async def test_every_operation_has_a_readable_unique_id(document: dict[str, Any]) -> None:
    ids = {(method, path): op["operationId"] for method, path, op in _operations(document)}

    assert OPERATIONS.items() <= ids.items()
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", i) for i in ids.values()), sorted(ids.values())


async def test_every_tag_is_described(document: dict[str, Any]) -> None:
    described = {t["name"]: t.get("description", "") for t in document["tags"]}
    used = {tag for _, _, op in _operations(document) for tag in op.get("tags", [])}

    assert used and used <= set(described)
    assert all(len(described[tag]) > 20 for tag in used)


async def test_one_version_for_the_document_the_paths_and_the_status_urls(document: dict[str, Any]) -> None:
    assert document["info"]["version"] == API_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", API_VERSION)
    api_paths = [p for p in document["paths"] if p not in ("/healthz", "/readyz")]
    assert api_paths and all(p.startswith(f"{API_PATH_PREFIX}/") for p in api_paths), api_paths
    assert f"/v{API_VERSION.split('.')[0]}" == API_PATH_PREFIX
    now = datetime.now(UTC)
    accepted = accepted_body(report_id="r1", received_at=now, sla_due_at=now, base_url="https://x")
    assert accepted["status_url"] == f"https://x{API_PATH_PREFIX}/reports/r1"


async def test_every_error_answer_has_the_error_body(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for method, path, op in _operations(document):
        for code, response in op["responses"].items():
            if not (code.startswith("4") or code == "503") or path == "/readyz":
                continue
            expected = "ValidationErrors" if code == "422" else "Error"
            assert response["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{expected}"}, (
                method,
                path,
                code,
            )
        if path.startswith("/v1/"):  # every API route needs the database: it may be away
            assert "Retry-After" in op["responses"]["503"]["headers"], (method, path)
    assert {"Error", "ValidationErrors", "ValidationProblem"} <= set(schemas)
    # FastAPI's own validation body (with `input`) is not what intake sends: not documented.
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
    # One name per model: `X-Input`/`X-Output` pairs are what client generators refuse.
    assert not [name for name in schemas if name.endswith(("-Input", "-Output"))]


async def test_the_error_bodies_describe_what_intake_answers(
    client: httpx.AsyncClient, keys: Any, post_report: Any
) -> None:
    unauthenticated = await client.get("/v1/reports/whatever")
    invalid = await post_report({"county": "苗栗縣", "subjects": [{"role": "victim", "national_id": "A1"}]})
    not_found = await client.get("/v1/reports/no-such-report", headers=keys.police.headers)
    not_json = await client.post(
        "/v1/reports", content=b"{", headers={**keys.police.headers, "Content-Type": "application/json"}
    )

    assert (unauthenticated.status_code, invalid.status_code, not_found.status_code, not_json.status_code) == (
        401,
        422,
        404,
        400,
    )
    for answer in (unauthenticated, not_found, not_json):
        Error.model_validate_json(answer.content, strict=True)
    problems = ValidationErrors.model_validate_json(invalid.content, strict=True).detail
    assert ["body", "subjects", 0, "national_id"] in [p.loc for p in problems]


async def test_the_examples_are_valid_bodies(document: dict[str, Any]) -> None:
    report = document["paths"]["/v1/reports"]["post"]["requestBody"]["content"]["application/json"]
    assert report["examples"]["police_ipv"]["value"] == examples.REPORT
    for example in report["examples"].values():
        ReportSubmission.model_validate(example["value"])
    for path, model in ACTION_BODIES.items():
        media = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert media["examples"], path
        for example in media["examples"].values():
            model.model_validate(example["value"])
