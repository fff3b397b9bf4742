"""`indicators.bsrs5` (decision model v1.1, rule 3): an optional, strict addition.

Each of the six scores is a strict integer 0–4, exactly five items; a wrong value is
refused naming the item, and the snapshot check sees the field as a compatible addition.
"""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from safetynet.contracts.compat import breaking_changes
from safetynet.contracts.events import ReportScreened
from safetynet.contracts.report import Bsrs5, Indicators, ReportSubmission


def test_a_scored_bsrs5_is_accepted_and_totals_its_five_items() -> None:
    score = Indicators.model_validate({"bsrs5": {"items": [0, 1, 2, 3, 4], "suicide": 2}}).bsrs5
    assert score == Bsrs5(items=[0, 1, 2, 3, 4], suicide=2) and score.total == 10
    assert Indicators.model_validate({}).bsrs5 is None


@pytest.mark.parametrize(
    ("bsrs5", "loc"),
    [
        ({"items": [0, 1, 5, 0, 0], "suicide": 0}, ("bsrs5", "items", 2)),
        ({"items": [0, 1, -1, 0, 0], "suicide": 0}, ("bsrs5", "items", 2)),
        ({"items": [0, 1, "2", 0, 0], "suicide": 0}, ("bsrs5", "items", 2)),
        ({"items": [0, 1, 2.0, 0, 0], "suicide": 0}, ("bsrs5", "items", 2)),
        ({"items": [0, 1, True, 0, 0], "suicide": 0}, ("bsrs5", "items", 2)),
        ({"items": [0, 1, 2, 3], "suicide": 0}, ("bsrs5", "items")),
        ({"items": [0, 1, 2, 3, 4, 0], "suicide": 0}, ("bsrs5", "items")),
        ({"items": [0, 0, 0, 0, 0], "suicide": 5}, ("bsrs5", "suicide")),
        ({"items": [0, 0, 0, 0, 0]}, ("bsrs5", "suicide")),
        ({"items": [0, 0, 0, 0, 0], "suicide": 0, "total": 0}, ("bsrs5", "total")),
        ([0, 0, 0, 0, 0], ("bsrs5",)),
    ],
)
def test_a_wrong_score_is_refused_naming_the_item(bsrs5: Any, loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        Indicators.model_validate({"bsrs5": bsrs5})
    assert [tuple(e["loc"]) for e in refused.value.errors()] == [loc]


def _without_bsrs5(schema: dict[str, Any]) -> dict[str, Any]:
    old = copy.deepcopy(schema)
    del old["$defs"]["Indicators"]["properties"]["bsrs5"]
    del old["$defs"]["Bsrs5"]
    return old


def test_bsrs5_is_a_compatible_addition_to_the_report() -> None:
    current = ReportSubmission.model_json_schema()
    assert breaking_changes(_without_bsrs5(current), current, name="report") == []
    # ... and the checker would see it go: the field is now part of the contract.
    assert breaking_changes(current, _without_bsrs5(current), name="report") == [
        "report.indicators.bsrs5: property removed (or renamed)"
    ]


def test_routing_rules_is_an_optional_addition_to_report_screened() -> None:
    current = ReportScreened.model_json_schema()
    old = copy.deepcopy(current)
    del old["properties"]["routing_rules"]
    assert breaking_changes(old, current, name="event.ReportScreened") == []
    assert "routing_rules" not in current.get("required", [])
