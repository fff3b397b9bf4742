"""POST /v1/reports validation: every bad input is a 4xx that names the field.

The contract (DOMAIN.md, "The partner-facing report" and "Settled details") is strict:
unknown fields and wrong JSON types are 422s, errors use FastAPI's standard body
`detail: [{loc, msg, type}]`, and no input ever gets a 5xx.
"""

import copy
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from safetynet.contracts.report import TAIPEI, ReportSubmission

DROP = object()  # sentinel: remove the field at the path

# conftest.py runs the suite on PostgreSQL when this is set.
ON_POSTGRES = bool(os.environ.get("SAFETYNET_TEST_POSTGRES_URL"))


def taipei_today() -> date:
    return datetime.now(TAIPEI).date()


@dataclass(frozen=True)
class Bad:
    """One bad input: set `path` of the valid report to `value` (or DROP it), and expect
    a 422 whose detail locs are exactly `locs`, with `type` among the types at `locs[0]`."""

    id: str
    path: tuple[Any, ...]
    value: Any
    type: str | None
    locs: tuple[tuple[Any, ...], ...] = field(default=())

    def expected_locs(self) -> set[tuple[Any, ...]]:
        return set(self.locs) if self.locs else {("body", *self.path)}


def mutate(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    if value is DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)
    return body


NID = ("subjects", 0, "national_id")
TIPVDA = ("indicators", "tipvda_score")

BAD_INPUTS = [
    # -- national ID: format --------------------------------------------------------
    Bad("nid-too-short", NID, "A12345678", "value_error"),
    Bad("nid-too-long", NID, "A1234567890", "value_error"),
    Bad("nid-second-digit-3", NID, "A323456789", "value_error"),
    Bad("nid-second-digit-0", NID, "A023456789", "value_error"),
    Bad("nid-digit-first", NID, "1123456789", "value_error"),
    Bad("nid-letter-in-digits", NID, "A12345678X", "value_error"),
    Bad("nid-inner-space", NID, "A1234 56789", "value_error"),
    Bad("nid-fullwidth-digits", NID, "Ａ１２３４５６７８９", "value_error"),
    Bad("nid-empty", NID, "", "value_error"),
    Bad("nid-number", NID, 123456789, "string_type"),
    # -- national ID: checksum ------------------------------------------------------
    Bad("nid-checksum", NID, "A123456788", "value_error"),
    Bad("nid-checksum-second-digit-8", NID, "A823456784", "value_error"),
    Bad("nid-checksum-second-digit-9", NID, "A923456786", "value_error"),
    Bad("nid-checksum-second-subject", ("subjects", 1, "national_id"), "B123456789", "value_error"),
    # -- unknown enum values --------------------------------------------------------
    Bad(
        "category-unknown",
        ("categories",),
        ["intimate_partner_violence", "bullying"],
        "literal_error",
        locs=(("body", "categories", 1),),
    ),
    Bad("category-null", ("categories",), [None], "literal_error", locs=(("body", "categories", 0),)),
    Bad("category-wrong-case", ("categories",), ["Other"], "literal_error", locs=(("body", "categories", 0),)),
    Bad("role-unknown", ("subjects", 0, "role"), "witness", "literal_error"),
    Bad("role-null", ("subjects", 0, "role"), None, "literal_error"),
    Bad("sex-unknown", ("subjects", 0, "sex"), "female", "literal_error"),
    Bad("sex-lower-case", ("subjects", 0, "sex"), "f", "literal_error"),
    Bad("injury-unknown", ("indicators", "injury"), "moderate", "literal_error"),
    Bad("agency-type-unknown", ("source", "agency_type"), "army", "literal_error"),
    # -- TIPVDA outside 0..15 and of the wrong type -------------------------------------
    Bad("tipvda-16", TIPVDA, 16, "less_than_equal"),
    Bad("tipvda-100", TIPVDA, 100, "less_than_equal"),
    Bad("tipvda-negative", TIPVDA, -1, "greater_than_equal"),
    Bad("tipvda-string", TIPVDA, "9", "int_type"),
    Bad("tipvda-float", TIPVDA, 9.5, "int_type"),
    Bad("tipvda-integral-float", TIPVDA, 9.0, "int_type"),
    Bad("tipvda-bool", TIPVDA, True, "int_type"),
    # -- birth date -------------------------------------------------------------------
    Bad(
        "birth-date-tomorrow",
        ("subjects", 0, "birth_date"),
        (taipei_today() + timedelta(days=1)).isoformat(),
        "value_error",
    ),
    Bad("birth-date-far-future", ("subjects", 0, "birth_date"), "2999-12-31", "value_error"),
    Bad("birth-date-number", ("subjects", 0, "birth_date"), 19900101, "value_error"),
    Bad("birth-date-impossible", ("subjects", 0, "birth_date"), "1990-02-30", None),
    Bad("birth-date-words", ("subjects", 0, "birth_date"), "first of January", None),
    # -- county -------------------------------------------------------------------------
    Bad("county-unknown", ("county",), "台北市", "county_not_configured"),
    Bad("county-romanized", ("county",), "Miaoli", "county_not_configured"),
    Bad("county-empty", ("county",), "", "string_too_short"),
    Bad("county-number", ("county",), 5, "string_type"),
    Bad("county-list", ("county",), ["苗栗縣"], "string_type"),
    # -- lists that must not be empty, and their shapes ---------------------------------
    Bad("categories-empty", ("categories",), [], "too_short"),
    Bad("subjects-empty", ("subjects",), [], "too_short"),
    Bad("categories-string", ("categories",), "other", "list_type"),
    Bad("subjects-object", ("subjects",), {"role": "victim"}, "list_type"),
    Bad("subjects-too-many", ("subjects",), [{"role": "adult"}] * 51, "too_long"),
    Bad("subject-null", ("subjects",), [None], "model_type", locs=(("body", "subjects", 0),)),
    Bad("subject-string", ("subjects",), ["victim"], "model_type", locs=(("body", "subjects", 0),)),
    # -- unknown fields, at every level -----------------------------------------------
    Bad("unknown-top-level", ("priority",), "high", "extra_forbidden"),
    Bad("unknown-in-subject", ("subjects", 0, "nickname"), "小美", "extra_forbidden"),
    Bad("misspelt-indicator", ("indicators", "tipvda"), 9, "extra_forbidden"),
    Bad("indicator-wrong-case", ("indicators", "Weapon"), True, "extra_forbidden"),
    Bad("unknown-in-source", ("source", "email"), "a@b.tw", "extra_forbidden"),
    Bad("unknown-in-household", ("household", "children_under_12"), 1, "extra_forbidden"),
    # -- wrong JSON types ---------------------------------------------------------------
    Bad("weapon-yes", ("indicators", "weapon"), "yes", "bool_type"),
    Bad("weapon-string-true", ("indicators", "weapon"), "true", "bool_type"),
    Bad("weapon-one", ("indicators", "weapon"), 1, "bool_type"),
    Bad("mandated-reporter-yes", ("source", "mandated_reporter"), "yes", "bool_type"),
    Bad("household-count-string", ("household", "children_under_6"), "1", "int_type"),
    Bad("household-count-negative", ("household", "children_under_18"), -1, "greater_than_equal"),
    Bad("age-negative", ("subjects", 1, "age"), -1, "greater_than_equal"),
    Bad("age-too-high", ("subjects", 1, "age"), 131, "less_than_equal"),
    Bad("age-string", ("subjects", 1, "age"), "40", "int_type"),
    Bad("age-float", ("subjects", 1, "age"), 40.5, "int_type"),
    Bad("occurred-at-number", ("occurred_at",), 1700000000, "value_error"),
    Bad("occurred-at-bool", ("occurred_at",), True, "value_error"),
    Bad("occurred-at-words", ("occurred_at",), "yesterday evening", None),
    Bad("narrative-null", ("narrative",), None, "string_type"),
    Bad("narrative-number", ("narrative",), 5, "string_type"),
    Bad("narrative-list", ("narrative",), ["a", "b"], "string_type"),
    Bad("narrative-empty", ("narrative",), "", "string_too_short"),
    Bad("narrative-blank", ("narrative",), "   \n\t ", "string_too_short"),
    Bad("narrative-too-long", ("narrative",), "x" * 20_001, "string_too_long"),
    Bad("name-too-long", ("subjects", 0, "name"), "名" * 201, "string_too_long"),
    Bad("phone-too-long", ("source", "reporter_phone"), "0" * 41, "string_too_long"),
    Bad("township-empty", ("township",), "", "string_too_short"),
    Bad("township-too-long", ("township",), "鄉" * 21, "string_too_long"),
    Bad("source-list", ("source",), [], "model_type"),
    Bad("source-string", ("source",), "police", "model_type"),
    Bad("indicators-list", ("indicators",), [{"tipvda_score": 9}], "model_type"),
    Bad("household-number", ("household",), 2, "model_type"),
    # -- missing required fields ----------------------------------------------------------
    Bad("missing-county", ("county",), DROP, "missing"),
    Bad("missing-township", ("township",), DROP, "missing"),
    Bad("missing-categories", ("categories",), DROP, "missing"),
    Bad("missing-subjects", ("subjects",), DROP, "missing"),
    Bad("missing-narrative", ("narrative",), DROP, "missing"),
    Bad("missing-role", ("subjects", 1, "role"), DROP, "missing"),
    # -- the key's agency type is authoritative -------------------------------------------
    Bad("agency-type-mismatch", ("source", "agency_type"), "school", "agency_type_mismatch"),
    Bad("agency-type-mismatch-public", ("source", "agency_type"), "public", "agency_type_mismatch"),
]


def detail_locs(response: Any) -> dict[tuple[Any, ...], set[str]]:
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    locs: dict[tuple[Any, ...], set[str]] = {}
    for entry in detail:
        assert isinstance(entry["msg"], str) and entry["msg"]
        assert isinstance(entry["type"], str) and entry["type"]
        locs.setdefault(tuple(entry["loc"]), set()).add(entry["type"])
    return locs


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.id for b in BAD_INPUTS])
async def test_bad_input_is_422_naming_the_field(bad: Bad, report: Any, post_report: Any) -> None:
    response = await post_report(mutate(report(), bad.path, bad.value))

    assert response.status_code == 422, response.text
    locs = detail_locs(response)
    assert set(locs) == bad.expected_locs(), response.text
    if bad.type is not None:
        first = bad.locs[0] if bad.locs else ("body", *bad.path)
        assert bad.type in locs[first], response.text


def test_bad_input_ids_are_unique() -> None:
    ids = [b.id for b in BAD_INPUTS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("body", [[], "a report", None, 42, True], ids=["list", "string", "null", "number", "bool"])
async def test_body_that_is_not_an_object_is_422_at_body(body: Any, client: Any, keys: Any) -> None:
    response = await _post_raw(client, keys.police, json.dumps(body).encode())  # json=None would send no body

    assert response.status_code == 422, response.text
    assert set(detail_locs(response)) == {("body",)}


async def test_every_violation_is_reported_together(report: Any, post_report: Any) -> None:
    body = report(county="台北市", categories=[], narrative=None)
    body["subjects"][0]["national_id"] = "A123456788"
    body["indicators"]["tipvda_score"] = "9"
    body["indicators"]["bogus"] = True
    body["source"]["agency_type"] = "school"

    response = await post_report(body)

    assert response.status_code == 422
    assert detail_locs(response) == {
        ("body", "county"): {"county_not_configured"},
        ("body", "categories"): {"too_short"},
        ("body", "narrative"): {"string_type"},
        ("body", "subjects", 0, "national_id"): {"value_error"},
        ("body", "indicators", "tipvda_score"): {"int_type"},
        ("body", "indicators", "bogus"): {"extra_forbidden"},
        ("body", "source", "agency_type"): {"agency_type_mismatch"},
    }


@pytest.mark.parametrize("national_id", ["A123456788", "A123456789", "a223456781"])
async def test_error_body_never_echoes_personal_data(national_id: str, report: Any, post_report: Any) -> None:
    body = report(narrative=None)  # a 422 whatever the ID
    body["subjects"][0]["national_id"] = national_id
    body["subjects"][0]["name"] = "陳美玲"

    response = await post_report(body)

    assert response.status_code == 422
    for secret in (national_id, national_id.upper(), "陳美玲", "A123456789"):
        assert secret not in response.text
    for entry in response.json()["detail"]:
        assert "input" not in entry  # FastAPI's default would echo the value here


# -- accepted edge cases --------------------------------------------------------------


def _subject0(**fields: Any) -> tuple[tuple[Any, ...], Any]:
    return ("subjects",), [{"role": "victim", **fields}]


ACCEPTED = [
    ("unknown-township-in-configured-county", ("township",), "不存在鄉"),
    ("county-without-township-map", ("county",), "新竹縣"),
    ("nid-second-digit-8", *_subject0(national_id="A823456783")),
    ("nid-second-digit-9", *_subject0(national_id="A923456785")),
    ("nid-letter-I", *_subject0(national_id="I123456781")),
    ("nid-letter-O", *_subject0(national_id="O222222220")),
    ("nid-letter-Z-second-digit-8", *_subject0(national_id="Z812345672")),
    ("subject-role-only", ("subjects",), [{"role": "adult"}]),
    ("birth-date-today", *_subject0(birth_date=taipei_today().isoformat())),
    ("age-zero", *_subject0(age=0)),
    ("age-130", *_subject0(age=130)),
    ("tipvda-0", ("indicators",), {"tipvda_score": 0}),
    ("tipvda-15", ("indicators",), {"tipvda_score": 15}),
    ("indicators-null", ("indicators",), None),
    ("source-null", ("source",), None),
    ("source-without-agency-type", ("source",), {"agency_name": "苗栗縣警察局"}),
    ("agency-type-null", ("source",), {"agency_type": None}),
    ("household-null", ("household",), None),
    ("optional-subject-fields-null", *_subject0(name=None, national_id=None, age=None, sex=None)),
    ("occurred-at-naive", ("occurred_at",), "2026-11-20T21:30:00"),
    ("occurred-at-utc", ("occurred_at",), "2026-11-20T13:30:00Z"),
    (
        "all-categories",
        ("categories",),
        [
            "intimate_partner_violence",
            "other_family_violence",
            "child_maltreatment",
            "sexual_assault",
            "child_sexual_exploitation",
            "elder_abuse",
            "disability_abuse",
            "vulnerable_family",
            "social_assistance",
            "suicide_risk",
            "suspected_mental_illness",
            "youth_deviance",
            "other",
        ],
    ),
    ("fifty-subjects", ("subjects",), [{"role": "adult"}] * 50),
    ("narrative-at-limit", ("narrative",), "字" * 20_000),
    ("narrative-emoji-and-controls", ("narrative",), "😀 第一行\n第二行\t<script>alert(1)</script>"),
]


@pytest.mark.parametrize(("path", "value"), [(p, v) for _, p, v in ACCEPTED], ids=[i for i, _, _ in ACCEPTED])
async def test_edge_case_is_accepted(path: tuple[Any, ...], value: Any, report: Any, post_report: Any) -> None:
    response = await post_report(mutate(report(), path, value))

    assert response.status_code == 202, response.text
    assert set(response.json()) == {"report_id", "received_at", "sla_due_at", "status_url"}


async def test_minimal_report_is_accepted(post_report: Any) -> None:
    body = {
        "county": "南投縣",
        "township": "埔里鎮",
        "categories": ["other"],
        "subjects": [{"role": "adult"}],
        "narrative": "x",
    }

    response = await post_report(body)

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("submitted", "stored"),
    [
        ("a123456789", "A123456789"),
        ("  a823456783 ", "A823456783"),
        ("z812345672", "Z812345672"),
    ],
)
async def test_national_id_is_upper_cased(
    submitted: str, stored: str, client: Any, keys: Any, report: Any, post_report: Any
) -> None:
    body = report(subjects=[{"role": "victim", "national_id": submitted}])

    response = await post_report(body)
    assert response.status_code == 202, response.text
    view = await client.get(f"/v1/reports/{response.json()['report_id']}", headers=keys.dispatcher_miaoli.headers)

    assert view.status_code == 200
    assert view.json()["subjects"] == [{"role": "victim", "national_id": stored}]


async def test_duplicate_categories_are_kept_once(client: Any, keys: Any, report: Any, post_report: Any) -> None:
    response = await post_report(report(categories=["other", "vulnerable_family", "other"]))
    assert response.status_code == 202, response.text

    view = await client.get(f"/v1/reports/{response.json()['report_id']}", headers=keys.dispatcher_miaoli.headers)

    assert view.json()["categories"] == ["other", "vulnerable_family"]


async def test_county_with_surrounding_spaces_is_stored_trimmed(
    client: Any, keys: Any, report: Any, post_report: Any
) -> None:
    response = await post_report(report(county=" 苗栗縣 ", township=" 頭份市"))
    assert response.status_code == 202, response.text

    view = await client.get(f"/v1/reports/{response.json()['report_id']}", headers=keys.dispatcher_miaoli.headers)

    assert (view.json()["county"], view.json()["township"]) == ("苗栗縣", "頭份市")


@pytest.mark.parametrize(
    "path", [("occurred_at",), ("subjects", 0, "birth_date")], ids=["occurred-at-null", "birth-date-null"]
)
async def test_null_optional_date_is_accepted(path: tuple[Any, ...], report: Any, post_report: Any) -> None:
    schema = ReportSubmission.model_json_schema()
    published = (
        schema["properties"]["occurred_at"]
        if path == ("occurred_at",)
        else schema["$defs"]["Subject"]["properties"]["birth_date"]
    )
    assert {"type": "null"} in published["anyOf"]

    response = await post_report(mutate(report(), path, None))

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("occurred_at",), "1700000000"),
        (("subjects", 0, "birth_date"), "0"),
    ],
    ids=["occurred-at-numeric-string", "birth-date-numeric-string"],
)
async def test_numeric_string_is_not_a_date(path: tuple[Any, ...], value: Any, report: Any, post_report: Any) -> None:
    response = await post_report(mutate(report(), path, value))

    assert response.status_code == 422, response.text
    assert set(detail_locs(response)) == {("body", *path)}


# -- the body itself: size, encoding, syntax, nesting ----------------------------------------


async def _post_raw(client: Any, key: Any, content: Any, content_type: str = "application/json") -> Any:
    return await client.post("/v1/reports", content=content, headers={**key.headers, "Content-Type": content_type})


MIB = 1024 * 1024


async def test_body_over_one_mib_is_413(client: Any, keys: Any, report: Any) -> None:
    content = json.dumps(report(narrative="x" * (MIB + 1))).encode()

    response = await _post_raw(client, keys.police, content)

    assert response.status_code == 413


async def test_chunked_body_over_one_mib_is_413(client: Any, keys: Any) -> None:
    sent = 0

    async def chunks() -> Any:
        nonlocal sent
        yield b'{"narrative": "'
        for _ in range(20):
            sent += 1
            yield b"x" * 65_536
        yield b'"}'

    response = await _post_raw(client, keys.police, chunks())

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413


async def test_body_just_under_the_limit_is_validated_not_413(client: Any, keys: Any, report: Any) -> None:
    body = report(narrative="")
    padding = MIB - len(json.dumps(body).encode()) - 10
    content = json.dumps(report(narrative="x" * padding)).encode()
    assert len(content) < MIB

    response = await _post_raw(client, keys.police, content)

    assert response.status_code == 422
    assert set(detail_locs(response)) == {("body", "narrative")}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"", "application/json", 400),
        (b"not json at all", "application/json", 400),
        (b'{"county": "\xe8\x8b', "application/json", 400),
        (b'{"county": "\xff\xfe"}', "application/json", 400),
        (b"{'county': 'single quotes'}", "application/json", 400),
        (b'{"county": "a",}', "application/json", 400),
        (b'{"a": 1} {"b": 2}', "application/json", 400),
        ("\ufeff{}".encode(), "application/json", 400),
        (b"county=%E8%8B%97", "application/x-www-form-urlencoded", 415),
        (b"<report/>", "application/xml", 415),
        (b"{}", "text/plain", 415),
    ],
    ids=[
        "empty",
        "words",
        "truncated-utf8",
        "invalid-utf8",
        "single-quotes",
        "trailing-comma",
        "two-documents",
        "byte-order-mark",
        "form",
        "xml",
        "text-plain",
    ],
)
async def test_body_that_is_not_json_is_4xx(
    content: bytes, content_type: str, status: int, client: Any, keys: Any
) -> None:
    response = await _post_raw(client, keys.police, content, content_type)

    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"county": "苗栗縣", "narrative": ' + "[" * 5_000 + "]" * 5_000 + "}",
    ],
    ids=["arrays-100k", "objects-50k", "inside-a-field-5k"],
)
async def test_deeply_nested_json_is_400(content: str, client: Any, keys: Any) -> None:
    response = await _post_raw(client, keys.police, content.encode())

    assert response.status_code == 400, response.text


async def test_moderately_nested_value_in_a_field_is_422(client: Any, keys: Any, report: Any) -> None:
    content = json.dumps(report(narrative=None)).replace("null", "[" * 500 + "]" * 500)

    response = await _post_raw(client, keys.police, content.encode())

    assert response.status_code == 422
    assert set(detail_locs(response)) == {("body", "narrative")}


async def test_integer_literal_with_too_many_digits_is_4xx(client: Any, keys: Any, report: Any) -> None:
    content = json.dumps(report()).replace('"tipvda_score": 9', '"tipvda_score": ' + "9" * 5_000)

    response = await _post_raw(client, keys.police, content.encode())

    assert response.status_code in (400, 422), response.text


@pytest.mark.parametrize("where", ["value", "key"])
async def test_lone_surrogate_escape_is_4xx(where: str, client: Any, keys: Any, report: Any) -> None:
    content = json.dumps(report(narrative="abc\ud800"))  # json.dumps escapes it as \ud800
    if where == "key":
        content = json.dumps(report()).replace('"narrative"', '"\\udc00narrative"')

    response = await _post_raw(client, keys.police, content.encode())

    assert response.status_code in (400, 422), response.text


@pytest.mark.parametrize("path", [("narrative",), ("subjects", 0, "name"), ("township",), ("source", "agency_name")])
async def test_nul_character_in_a_string_is_never_a_5xx(
    path: tuple[Any, ...], client: Any, keys: Any, report: Any, post_report: Any
) -> None:
    response = await post_report(mutate(report(), path, "a\u0000b"))

    # PostgreSQL cannot store NUL in text: it is refused, naming the field.
    assert response.status_code == 422, response.text
    assert ["body", *path] in [e["loc"] for e in response.json()["detail"]]
    if response.status_code == 422:
        assert set(detail_locs(response)) == {("body", *path)}
    else:
        view = await client.get(f"/v1/reports/{response.json()['report_id']}", headers=keys.dispatcher_miaoli.headers)
        stored = view.json()
        for step in path:
            stored = stored[step]
        assert stored == "a\u0000b"


async def test_idempotency_key_over_200_characters_is_422(report: Any, post_report: Any) -> None:
    response = await post_report(report(), headers={"Idempotency-Key": "k" * 201})

    assert response.status_code == 422
    assert set(detail_locs(response)) == {("header", "idempotency-key")}
