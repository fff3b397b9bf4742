"""The review date of a long-term care household (DOMAIN.md v1.1 rule 2), by hand."""

from datetime import UTC, date, datetime

import pytest

from safetynet.policy.long_term_care import (
    MAX_REVIEW_MONTHS,
    latest_review_on,
    review_overdue,
    review_problem,
    today_at,
)


def test_the_day_is_taipeis() -> None:
    # 16:30 UTC on 7 December is 00:30 on 8 December in Taipei.
    assert today_at(datetime(2026, 12, 7, 16, 30, tzinfo=UTC)) == date(2026, 12, 8)
    assert today_at(datetime(2026, 12, 7, 15, 59, tzinfo=UTC)) == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 12, 7), date(2027, 12, 7)),
        (date(2027, 1, 31), date(2028, 1, 31)),
        (date(2028, 2, 29), date(2029, 2, 28)),  # no 29 February a year on: the month's last day
    ],
)
def test_the_latest_review_date_is_twelve_months_ahead(today: date, latest: date) -> None:
    assert MAX_REVIEW_MONTHS == 12
    assert latest_review_on(today) == latest


def test_a_review_date_from_today_to_twelve_months_ahead() -> None:
    today = date(2026, 12, 7)
    assert review_problem(today, today=today) is None
    assert review_problem(date(2027, 12, 7), today=today) is None
    too_late = review_problem(date(2027, 12, 8), today=today)
    assert too_late is not None and too_late[0] == "review_on" and "12 months" in too_late[1]
    past = review_problem(date(2026, 12, 6), today=today)
    assert past is not None and past[0] == "review_on" and "past" in past[1]


def test_a_review_is_overdue_the_day_after_its_date() -> None:
    today = date(2026, 12, 7)
    assert not review_overdue(today, today=today)
    assert review_overdue(date(2026, 12, 6), today=today)
    assert not review_overdue(None, today=today)
