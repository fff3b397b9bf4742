"""The console's ops view shows unit names where the API says unit ids."""

from datetime import UTC, datetime, timedelta

from safetynet.intake.entrypoints.console.present import Units, ops_rows
from safetynet.platform.counties import CountyDirectory

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def item(stage: str, who: str, left: timedelta) -> dict:
    return {
        "report_id": "0123456789abcdef",
        "status": "awaiting_review",
        "risk_level": "red",
        "due_at": (NOW + left).isoformat(),
        "seconds_left": int(left.total_seconds()),
        "waiting_on": {"stage": stage, "who": who},
        "trace_url": None,
    }


def test_units_are_named_and_time_left_has_the_queues_tone():
    units = Units(CountyDirectory.load(), "苗栗縣")
    rows = ops_rows(
        [
            item("unit", "苗栗縣/protection, 苗栗縣/mental_health", timedelta(hours=2)),
            item("dispatcher", "dispatch queue (rejected by 苗栗縣/protection)", timedelta(hours=-1)),
            item("screening", "screening service", timedelta(hours=20)),
        ],
        units,
        NOW,
    )
    assert rows[0]["waiting_names"] == ["苗栗縣家庭暴力及性侵害防治中心", "苗栗縣衛生局社區心理衛生中心"]
    assert rows[0]["left"]["tone"] == "soon"
    assert rows[1]["waiting_names"] == [] and rows[1]["rejected_by"] == ["苗栗縣家庭暴力及性侵害防治中心"]
    assert rows[1]["left"]["tone"] == "late"
    assert rows[2]["waiting_names"] == rows[2]["rejected_by"] == [] and rows[2]["left"]["tone"] == "ok"
