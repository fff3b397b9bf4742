"""Long-term care households in notify (decision model v1.1 rule 2): the SLA counts a
referral in long-term care as acknowledged, and once a household's review date has passed
its unit is reminded through its channels, once per review date; a renewal's new date is
reminded in its turn; a closed household is not reminded."""

from datetime import date, datetime, timedelta
from typing import Any

from safetynet.contracts import events, topics
from safetynet.contracts.report import TAIPEI
from safetynet.notify.adapters import orm
from safetynet.notify.entrypoints.loops import DeliveryWorker
from safetynet.notify.entrypoints.review_loop import ReviewReminder

from ..conftest import COUNTY, T0

CENTER = f"{COUNTY}/welfare_center/頭份區"


async def test_a_referral_in_long_term_care_meets_the_sla(harness, clock) -> None:
    await harness.report_received("r1")
    clock.at(hours=2)
    await harness.status_changed("r1", seq=1, statuses=["long_term_care"], at=clock())
    assert await harness.sla_types() == ["SlaStarted", "SlaMet"]


async def _ltc_event(
    harness: Any, type_: str, *, review_on: date | None = None, status: str = "long_term_care"
) -> None:
    payload = events.ReferralChanged(
        report_id="r1",
        referral_id="ref-1",
        county=COUNTY,
        kind="welfare_center",
        unit=CENTER,
        status=status,
        urgent=False,
        at=harness.clock(),
        actor="unit:頭份社福中心",
        review_on=review_on,
    )
    await harness.deliver(type_, payload, topic=topics.REFERRALS)


def taipei_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=TAIPEI)


async def remind(harness: Any) -> int:
    reminded = await harness.loop(ReviewReminder).tick()
    await harness.loop(DeliveryWorker).tick()
    return int(reminded)


async def test_the_unit_is_reminded_once_when_the_review_date_passes(harness, clock) -> None:
    review_on = date(2027, 2, 20)
    await _ltc_event(harness, "ReferralInLongTermCare", review_on=review_on)
    [kept] = await harness.rows(orm.long_term_reviews)
    assert (kept.unit, kept.review_on, kept.reminded_on) == (CENTER, review_on, None)

    clock.now = taipei_morning(review_on)  # the review day itself is not late
    assert await remind(harness) == 0
    clock.now = taipei_morning(review_on + timedelta(days=1))
    assert await remind(harness) == 1
    assert await remind(harness) == 0  # once per review date
    [reminder] = await harness.rows(orm.notifications)
    assert (reminder.kind, reminder.recipient, reminder.referral_id, reminder.status) == (
        "long_term_review",
        CENTER,
        "ref-1",
        "delivered",
    )
    assert reminder.content["review_on"] == "2027-02-20" and "overdue" in reminder.subject
    # The delivery is told to the report's timeline, as every notification's is.
    [sent] = await harness.outbox("NotificationSent")
    assert sent["report_id"] == "r1" and sent["payload"]["unit"] == CENTER

    # Renewed: the new date is reminded when it passes, once.
    renewed = date(2027, 8, 20)
    await _ltc_event(harness, "ReferralInLongTermCare", review_on=renewed)
    assert await remind(harness) == 0
    clock.now = taipei_morning(renewed + timedelta(days=3))
    assert await remind(harness) == 1
    assert await remind(harness) == 0
    assert sorted(r.content["review_on"] for r in await harness.rows(orm.notifications)) == [
        "2027-02-20",
        "2027-08-20",
    ]


async def test_a_closed_household_is_not_reminded(harness, clock) -> None:
    await _ltc_event(harness, "ReferralInLongTermCare", review_on=date(2027, 1, 10))
    await _ltc_event(harness, "ReferralClosed", status="closed")
    assert await harness.rows(orm.long_term_reviews) == []
    clock.now = T0 + timedelta(days=400)
    assert await remind(harness) == 0
    assert await harness.rows(orm.notifications) == []
