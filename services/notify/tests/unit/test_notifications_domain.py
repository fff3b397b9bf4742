"""Notifications, retries and the unit directory, without a database."""

import json
from datetime import UTC, datetime

from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.domain import DeliveryResult, Recipient, RetryPolicy, referral_notifications

T0 = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)


def plan(referral_id: str = "ref-1", channel: str = "recording", urgent: bool = False):
    return referral_notifications(
        report_id="r1",
        referral_id=referral_id,
        county="苗栗縣",
        kind="protection",
        unit="苗栗縣/protection",
        urgent=urgent,
        assigned_at=T0,
        recipients=[Recipient("苗栗縣/protection", channel)],
    )[0]


def test_one_notification_id_per_referral_and_channel() -> None:
    assert plan().notification_id == plan().notification_id
    assert plan().notification_id != plan(channel="webhook").notification_id
    assert plan().notification_id != plan(referral_id="ref-2").notification_id


def test_urgent_referrals_say_so() -> None:
    urgent = plan(urgent=True)
    assert urgent.urgent and urgent.subject.startswith("[URGENT]")
    assert not plan().subject.startswith("[URGENT]")


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=2, cap_seconds=20)
    assert [policy.delay(n, rand=lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert [policy.delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 20]


def test_retry_gives_up_after_max_attempts_or_on_a_permanent_failure() -> None:
    policy = RetryPolicy(max_attempts=3)
    failed = DeliveryResult("failed", "503")
    assert not policy.gives_up(2, failed) and policy.gives_up(3, failed)
    assert policy.gives_up(1, DeliveryResult("failed", "400", retryable=False))


def test_directory_channels_and_supervisors(tmp_path) -> None:
    path = tmp_path / "units.json"
    path.write_text(
        json.dumps(
            {
                "default_channels": [{"channel": "recording"}],
                "counties": {
                    "苗栗縣": {
                        "dispatch_supervisors": {
                            "苗栗縣/duty-lead": {"channels": [{"channel": "email", "address": "lead@example.org"}]}
                        }
                    }
                },
                "units": {
                    "苗栗縣/protection": {
                        "channels": [
                            {"channel": "webhook", "address": "https://dv.example.org/hook"},
                            {"channel": "recording"},
                        ]
                    }
                },
            }
        ),
        "utf-8",
    )
    directory = UnitDirectory.load(path)
    assert directory.unit_recipients("苗栗縣/protection") == [
        Recipient("苗栗縣/protection", "webhook", "https://dv.example.org/hook"),
        Recipient("苗栗縣/protection", "recording"),
    ]
    assert directory.unit_recipients("苗栗縣/mental_health") == [Recipient("苗栗縣/mental_health", "recording")]
    assert directory.supervisors("苗栗縣") == ["苗栗縣/duty-lead"]
    assert directory.supervisor_recipients("苗栗縣") == [Recipient("苗栗縣/duty-lead", "email", "lead@example.org")]
    assert directory.supervisors("屏東縣") == ["屏東縣/dispatch_supervisor"]


def test_packaged_directory_names_a_supervisor_per_configured_county() -> None:
    directory = UnitDirectory.load()
    for county in ("苗栗縣", "南投縣", "新竹縣", "新竹市", "屏東縣"):
        assert directory.supervisors(county) == [f"{county}/dispatch_supervisor"]
