"""The network-meeting KPI's arithmetic (domain/early_intervention.py), by hand count."""

from datetime import UTC, datetime, timedelta

from safetynet.intake.domain.early_intervention import (
    FlaggedReport,
    network_meeting_row,
    notice_times,
    notified_at,
    with_attempt,
)

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def flagged(seconds: float | None, *, report_id: str = "r") -> FlaggedReport:
    done = T0 + seconds * S if seconds is not None else None
    return FlaggedReport(
        report_id=report_id,
        received_at=T0,
        township="苗栗市",
        categories=["child_maltreatment"],
        risk_level="red",
        status="assigned",
        referrals=[
            {"kind": "protection", "unit": "苗栗縣/protection", "status": "acknowledged"},  # type: ignore[typeddict-item]
            {"kind": "protection", "unit": "苗栗縣/other", "status": "reassigned"},  # type: ignore[typeddict-item]
        ],
        notices={"p": done},
        notified_at=done,
    )


def test_the_first_success_per_recipient_counts_and_the_last_recipient_decides() -> None:
    notices = with_attempt({}, recipient="police", delivered_at=None)
    assert notified_at(notices) is None  # police not told yet
    notices = with_attempt(notices, recipient="prosecutor", delivered_at=T0 + 50 * S)
    notices = with_attempt(notices, recipient="prosecutor", delivered_at=T0 + 20 * S)  # an earlier channel
    notices = with_attempt(notices, recipient="prosecutor", delivered_at=T0 + 90 * S)  # a later one: ignored
    notices = with_attempt(notices, recipient="police", delivered_at=T0 + 70 * S)
    notices = with_attempt(notices, recipient="police", delivered_at=None)  # a failed retry changes nothing
    assert notices == {"police": T0 + 70 * S, "prosecutor": T0 + 20 * S}
    assert notified_at(notices) == T0 + 70 * S
    assert notified_at({}) is None


def test_median_and_nearest_rank_p90_over_ten_notified_and_one_pending() -> None:
    rows = [network_meeting_row(flagged(s, report_id=f"r{s}")) for s in range(10, 110, 10)]
    rows.append(network_meeting_row(flagged(None, report_id="pending")))
    # 10, 20, …, 100 s: median (50 + 60) / 2 = 55; p90 the ceil(0.9 × 10) = 9th smallest = 90.
    assert notice_times(rows) == {
        "reports": 11,
        "notified": 10,
        "not_notified": 1,
        "median_seconds": 55,
        "p90_seconds": 90,
    }
    assert rows[0]["protection_units"] == ["苗栗縣/protection"]  # the reassigned one no longer holds it
    assert rows[0]["received_at"] == "2026-12-07T10:00:00+08:00"
