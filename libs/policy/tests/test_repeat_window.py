"""'Within 365 days' is 'received less than 365×24 h before', and strictly earlier (DOMAIN.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from safetynet.policy.repeat_window import REPEAT_WINDOW, repeat_window_start, within_repeat_window

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(
    ("before", "inside"),
    [
        (timedelta(0), False),  # the same moment is not earlier
        (timedelta(microseconds=1), True),
        (364 * DAY, True),
        (365 * DAY - timedelta(microseconds=1), True),
        (365 * DAY, False),  # exactly 365×24 h before is outside
        (366 * DAY, False),
        (-DAY, False),  # later is never earlier
    ],
)
def test_the_window_edges(before: timedelta, inside: bool) -> None:
    assert within_repeat_window(NOW - before, NOW) is inside


def test_the_window_is_365_days_of_24_hours_and_its_start_is_exclusive() -> None:
    assert timedelta(days=365) == REPEAT_WINDOW
    start = repeat_window_start(NOW)
    assert start == datetime(2025, 11, 21, 9, 0, tzinfo=UTC)
    assert not within_repeat_window(start, NOW)
    assert within_repeat_window(start + timedelta(microseconds=1), NOW)
