"""Invariants of the decision-model input values.

A misspelt category, role or injury must fail loudly rather than silently
lower a risk light or drop a destination; naive datetimes would make the
365-day window depend on the host's clock zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.screening.domain import (
    CATEGORIES,
    PROTECTION_CATEGORIES,
    Household,
    Indicators,
    ScreeningInput,
    Subject,
)

AWARE = datetime(2026, 11, 21, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _input(**overrides: Any) -> ScreeningInput:
    values: dict[str, Any] = {
        "report_id": "r-1",
        "county": "苗栗縣",
        "township": "頭份市",
        "received_at": AWARE,
        "categories": frozenset({"other"}),
        "subjects": (Subject(role="victim", age=30, subject_hash="h"),),
    }
    values.update(overrides)
    return ScreeningInput(**values)


def test_protection_categories_are_the_seven_of_the_contract() -> None:
    assert (
        frozenset(
            {
                "intimate_partner_violence",
                "other_family_violence",
                "child_maltreatment",
                "sexual_assault",
                "child_sexual_exploitation",
                "elder_abuse",
                "disability_abuse",
            }
        )
        == PROTECTION_CATEGORIES
    )
    assert {
        "vulnerable_family",
        "social_assistance",
        "suicide_risk",
        "suspected_mental_illness",
        "youth_deviance",
        "other",
    } == CATEGORIES - PROTECTION_CATEGORIES


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: _input(categories=frozenset({"domestic_violence"})),
            id="unknown-category",
        ),
        pytest.param(
            lambda: _input(received_at=datetime(2026, 11, 21, 10, 0)),
            id="naive-received-at",
        ),
        pytest.param(lambda: Subject(role="parent", age=30, subject_hash=None), id="unknown-role"),
        pytest.param(lambda: Subject(role="child", age=-1, subject_hash=None), id="negative-age"),
        pytest.param(lambda: Indicators(injury="Severe"), id="unknown-injury"),
        pytest.param(lambda: Household(children_under_6=-1), id="negative-household-count"),
    ],
)
def test_invalid_values_are_rejected(build: Any) -> None:
    with pytest.raises(ValueError):
        build()


def test_collections_are_stored_immutable() -> None:
    report = _input(
        categories=["elder_abuse", "elder_abuse"],
        subjects=[Subject(role="victim", age=80, subject_hash="h")],
    )
    assert report.categories == frozenset({"elder_abuse"})
    assert isinstance(report.subjects, tuple)
    assert report.household == Household()
    assert report.indicators == Indicators()
    hash(report)  # frozen and hashable: safe to cache or compare decisions
