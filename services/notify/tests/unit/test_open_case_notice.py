"""Rule 1 (併案): the unit is told that a new referral concerns its open case."""

from datetime import UTC, datetime

from safetynet.notify.domain import Recipient, referral_notifications

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def plan(linked_to: str | None):
    return referral_notifications(
        report_id="r-2",
        referral_id="ref-2",
        county="苗栗縣",
        kind="welfare_center",
        unit="苗栗縣/welfare_center/苗栗區",
        urgent=False,
        assigned_at=T0,
        recipients=[Recipient("苗栗縣/welfare_center/苗栗區", "recording")],
        linked_to=linked_to,
    )[0]


def test_a_linked_referral_says_it_concerns_the_units_open_case() -> None:
    linked = plan("ref-1")
    assert "open case" in linked.subject and "ref-1" in linked.subject
    assert linked.content["linked_to"] == "ref-1"


def test_an_unlinked_referral_reads_as_before() -> None:
    plain = plan(None)
    assert "open case" not in plain.subject and "linked_to" not in plain.content
    # The same notification either way: linking never plans a second one.
    assert plain.notification_id == plan("ref-1").notification_id
