"""Risk lights most urgent first, destination kinds in their listing order, TIPVDA 8+."""

import pytest

from safetynet.policy.destination_kinds import DESTINATION_KINDS, kind_rank
from safetynet.policy.risk_lights import RISK_LIGHTS, urgency_rank
from safetynet.policy.tipvda import is_high_danger


def test_risk_lights_sort_most_urgent_first_and_unscreened_last() -> None:
    assert RISK_LIGHTS == ("red", "orange", "yellow", "green")
    levels = ["green", None, "red", "yellow", "orange"]
    assert sorted(levels, key=urgency_rank) == ["red", "orange", "yellow", "green", None]


def test_destination_kinds_keep_their_order() -> None:
    assert DESTINATION_KINDS == ("protection", "welfare_center", "mental_health", "youth_counseling")
    assert [kind_rank(k) for k in ("youth_counseling", "protection")] == [3, 0]
    with pytest.raises(ValueError):
        kind_rank("police")


@pytest.mark.parametrize(("score", "high"), [(None, False), (0, False), (7, False), (8, True), (15, True)])
def test_tipvda_8_or_more_is_high_danger(score: int | None, high: bool) -> None:
    assert is_high_danger(score) is high
