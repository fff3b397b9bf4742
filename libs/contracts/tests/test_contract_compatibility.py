"""The public contracts stay backward compatible with the committed snapshot.

docs/schemas/*.schema.json is the published snapshot (`safetynet contracts export --out
docs/schemas`). The current models may add optional properties, enum values and new
contracts; they may not remove or rename a property, make one required, remove an enum
value or change a type. When a break is intended, version the contract (a new envelope
`version` or a new type name) and re-export the snapshot in the same change.

The checker itself (safetynet.contracts.compat) is tested below on small hand-written
schemas, so it is shown able to fail.
"""

import copy
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from safetynet.contracts import commands, events
from safetynet.contracts.compat import breaking_changes, breaking_changes_between
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import ReportAccepted, ReportSubmission

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "schemas"
SUFFIX = ".schema.json"
EXPORT = "cd to the repository root and run: safetynet contracts export --out docs/schemas"


def current_models() -> dict[str, type[BaseModel]]:
    """Every public contract, named as `safetynet contracts export` names its file."""
    models: dict[str, type[BaseModel]] = {
        "report": ReportSubmission,
        "report-accepted": ReportAccepted,
        "envelope": Envelope,
    }
    for name, model in events.EVENT_TYPES.items():
        models[f"event.{name}"] = model
    for name, model in commands.COMMAND_TYPES.items():
        models[f"command.{name}"] = model
    for name, model in getattr(commands, "COMMAND_EVENT_TYPES", {}).items():
        models[f"event.{name}"] = model
    return models


def current_schemas() -> dict[str, dict[str, Any]]:
    return {name: model.model_json_schema() for name, model in current_models().items()}


def snapshot_schemas() -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(SUFFIX): json.loads(path.read_text("utf-8"))
        for path in sorted(SNAPSHOT.glob(f"*{SUFFIX}"))
    }


SNAPSHOT_NAMES = sorted(p.name.removesuffix(SUFFIX) for p in SNAPSHOT.glob(f"*{SUFFIX}"))


# -- the snapshot against the current models ---------------------------------------------------


def test_the_snapshot_is_committed() -> None:
    assert {"report", "report-accepted", "envelope", "event.ReportReceived", "event.ReportScreened"} <= set(
        SNAPSHOT_NAMES
    ), f"no snapshot in {SNAPSHOT}; {EXPORT}"


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_contract_is_backward_compatible_with_the_snapshot(name: str) -> None:
    current = current_schemas()
    assert name in current, f"{name}: contract removed (its snapshot is {name}{SUFFIX})"

    problems = breaking_changes(snapshot_schemas()[name], current[name], name=name)

    assert not problems, "breaking changes against docs/schemas:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(current_models()))
def test_every_contract_has_a_snapshot(name: str) -> None:
    assert (SNAPSHOT / f"{name}{SUFFIX}").is_file(), f"{name} has no snapshot; {EXPORT}"


# -- the checker on the real report schema --------------------------------------------------


def test_checker_sees_a_removed_category_in_the_real_report_schema() -> None:
    old = ReportSubmission.model_json_schema()
    new = copy.deepcopy(old)
    new["properties"]["categories"]["items"]["enum"].remove("youth_deviance")

    assert breaking_changes(old, new, name="report") == ["report.categories[]: enum value removed: 'youth_deviance'"]


def test_checker_sees_a_renamed_subject_field_in_the_real_report_schema() -> None:
    old = ReportSubmission.model_json_schema()
    new = copy.deepcopy(old)
    subject = new["$defs"]["Subject"]["properties"]
    subject["nid"] = subject.pop("national_id")

    assert breaking_changes(old, new, name="report") == ["report.subjects[].national_id: property removed (or renamed)"]


def test_checker_sees_an_indicator_type_change_in_the_real_report_schema() -> None:
    old = ReportSubmission.model_json_schema()
    new = copy.deepcopy(old)
    new["$defs"]["Indicators"]["properties"]["weapon"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    assert breaking_changes(old, new, name="report") == [
        "report.indicators.weapon: type changed from boolean|null to null|string"
    ]


def test_checker_accepts_an_added_optional_indicator_in_the_real_report_schema() -> None:
    old = ReportSubmission.model_json_schema()
    new = copy.deepcopy(old)
    new["$defs"]["Indicators"]["properties"]["substance_abuse"] = {
        "anyOf": [{"type": "boolean"}, {"type": "null"}],
        "default": None,
    }

    assert breaking_changes(old, new, name="report") == []


def test_the_current_models_are_compatible_with_themselves() -> None:
    schemas = current_schemas()

    assert breaking_changes_between(schemas, copy.deepcopy(schemas)) == []


# -- the checker on hand-written schemas -----------------------------------------------------

BASE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "subjects"],
    "properties": {
        "kind": {"type": "string", "enum": ["a", "b"]},
        "note": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}], "default": None},
        "score": {"type": "integer", "minimum": 0, "maximum": 15},
        "subjects": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Subject"}},
        "at": {"type": "string", "format": "date-time"},
    },
    "$defs": {
        "Subject": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"enum": ["victim", "offender"], "type": "string"},
                "national_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        },
    },
}


def changed(edit: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def _props(s: dict[str, Any]) -> dict[str, Any]:
    return s["properties"]


def _subject(s: dict[str, Any]) -> dict[str, Any]:
    return s["$defs"]["Subject"]["properties"]


BREAKING = [
    ("property-removed", lambda s: _props(s).pop("note"), ["$.note: property removed (or renamed)"]),
    (
        "property-renamed",
        lambda s: _props(s).__setitem__("comment", _props(s).pop("note")),
        ["$.note: property removed (or renamed)"],
    ),
    (
        "nested-property-removed",
        lambda s: _subject(s).pop("national_id"),
        ["$.subjects[].national_id: property removed (or renamed); its values are no longer checked"],
    ),
    ("became-required", lambda s: s["required"].append("note"), ["$.note: property became required"]),
    (
        "new-required-property",
        lambda s: (_props(s).__setitem__("urgent", {"type": "boolean"}), s["required"].append("urgent")),
        ["$.urgent: new required property"],
    ),
    ("enum-value-removed", lambda s: _props(s)["kind"]["enum"].remove("b"), ["$.kind: enum value removed: 'b'"]),
    (
        "nested-enum-value-removed",
        lambda s: _subject(s)["role"]["enum"].remove("offender"),
        ["$.subjects[].role: enum value removed: 'offender'"],
    ),
    (
        "type-changed",
        lambda s: _props(s).__setitem__("score", {"type": "string"}),
        ["$.score: type changed from integer to string"],
    ),
    (
        "null-no-longer-allowed",
        lambda s: _props(s).__setitem__("note", {"type": "string"}),
        ["$.note: type changed from null|string to string"],
    ),
    (
        "array-became-object",
        lambda s: _props(s).__setitem__("subjects", {"$ref": "#/$defs/Subject"}),
        ["$.subjects: type changed from array to object"],
    ),
    (
        "enum-introduced",
        lambda s: _props(s)["at"].__setitem__("enum", ["now"]),
        ["$.at: now restricted to the values ['now']"],
    ),
    (
        "max-length-tightened",
        lambda s: _props(s)["note"]["anyOf"][0].__setitem__("maxLength", 50),
        ["$.note: maxLength tightened from 100 to 50"],
    ),
    (
        "minimum-raised",
        lambda s: _props(s)["score"].__setitem__("minimum", 1),
        ["$.score: minimum tightened from 0 to 1"],
    ),
    (
        "format-changed",
        lambda s: _props(s)["at"].__setitem__("format", "date"),
        ["$.at: format changed from 'date-time' to 'date'"],
    ),
    (
        "extra-properties-forbidden",
        lambda s: s["$defs"]["Subject"].__setitem__("additionalProperties", False),
        ["$.subjects[]: additional properties no longer allowed"],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, x) for _, e, x in BREAKING], ids=[i for i, _, _ in BREAKING])
def test_checker_reports_a_breaking_change(edit: Any, expected: list[str]) -> None:
    assert breaking_changes(BASE, changed(edit)) == expected


COMPATIBLE = [
    ("unchanged", lambda s: None),
    ("optional-property-added", lambda s: _props(s).__setitem__("extra", {"type": "string"})),
    ("nested-optional-property-added", lambda s: _subject(s).__setitem__("sex", {"enum": ["F", "M", "X"]})),
    ("enum-value-added", lambda s: _props(s)["kind"]["enum"].append("c")),
    ("enum-reordered", lambda s: _props(s)["kind"]["enum"].reverse()),
    ("made-nullable", lambda s: _props(s).__setitem__("score", {"anyOf": [_props(s)["score"], {"type": "null"}]})),
    ("no-longer-required", lambda s: s["required"].remove("subjects")),
    ("max-length-loosened", lambda s: _props(s)["note"]["anyOf"][0].__setitem__("maxLength", 1000)),
    ("maximum-raised", lambda s: _props(s)["score"].__setitem__("maximum", 20)),
    ("titles-and-defaults", lambda s: _props(s)["kind"].update(title="Kind", description="d", default="a")),
    ("definition-inlined", lambda s: _props(s)["subjects"].__setitem__("items", s["$defs"]["Subject"])),
    (
        "definition-renamed",
        lambda s: (
            s["$defs"].__setitem__("Person", s["$defs"].pop("Subject")),
            _props(s)["subjects"]["items"].__setitem__("$ref", "#/$defs/Person"),
        ),
    ),
]


@pytest.mark.parametrize("edit", [e for _, e in COMPATIBLE], ids=[i for i, _ in COMPATIBLE])
def test_checker_accepts_a_compatible_change(edit: Any) -> None:
    assert breaking_changes(BASE, changed(edit)) == []


def test_checker_compares_named_contracts() -> None:
    old = {"report": BASE, "event.Gone": {"type": "object"}}
    new = {"report": changed(lambda s: _props(s).pop("note")), "event.New": {"type": "object"}}

    assert breaking_changes_between(old, new) == [
        "event.Gone: contract removed",
        "report.note: property removed (or renamed)",
    ]


def test_checker_handles_recursive_definitions() -> None:
    tree = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    broken = copy.deepcopy(tree)
    broken["$defs"]["Node"]["properties"]["name"] = {"type": "integer"}

    assert breaking_changes(tree, copy.deepcopy(tree)) == []
    assert breaking_changes(tree, broken) == ["$.name: type changed from string to integer"]


# -- the checker on schemas that pydantic writes ---------------------------------------------------


class _V1(BaseModel):
    kind: Literal["a", "b"]
    note: str | None = None
    tags: list[Literal["x", "y"]] = Field(default_factory=list)


class _V2Compatible(BaseModel):
    kind: Literal["a", "b", "c"]
    note: str | None = None
    tags: list[Literal["x", "y", "z"]] = Field(default_factory=list)
    added: int | None = None


class _V2Breaking(BaseModel):
    kind: Literal["a"]
    note: str
    tags: list[str] = Field(default_factory=list)


def test_checker_on_pydantic_models() -> None:
    v1 = _V1.model_json_schema()

    assert breaking_changes(v1, _V2Compatible.model_json_schema()) == []
    assert breaking_changes(v1, _V2Breaking.model_json_schema()) == [
        "$.note: property became required",
        "$.kind: enum value removed: 'b'",
        "$.note: type changed from null|string to string",
    ]
