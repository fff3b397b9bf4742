"""The SLA deadline is the accepted time plus the SLA length; the 24-hour dispatch target."""

from datetime import datetime, timedelta, timezone

import pytest

from safetynet.policy.sla import deadline, dispatched_on_time

TAIPEI = timezone(timedelta(hours=8))
ACCEPTED = datetime(2026, 11, 20, 21, 30, tzinfo=TAIPEI)


def test_the_deadline_runs_from_acceptance() -> None:
    assert deadline(accepted_at=ACCEPTED, sla_seconds=86400) == datetime(2026, 11, 21, 21, 30, tzinfo=TAIPEI)
    assert deadline(accepted_at=ACCEPTED, sla_seconds=4 * 3600) == datetime(2026, 11, 21, 1, 30, tzinfo=TAIPEI)


@pytest.mark.parametrize("seconds", [0, -1])
def test_an_sla_has_a_positive_length(seconds: int) -> None:
    with pytest.raises(ValueError):
        deadline(accepted_at=ACCEPTED, sla_seconds=seconds)


@pytest.mark.parametrize(
    ("after", "on_time"),
    [
        (timedelta(hours=1), True),
        (timedelta(hours=24), True),  # at most 24 h after receipt
        (timedelta(hours=24, microseconds=1), False),
    ],
)
def test_the_24_hour_dispatch_target(after: timedelta, on_time: bool) -> None:
    assert dispatched_on_time(received_at=ACCEPTED, dispatched_at=ACCEPTED + after) is on_time
