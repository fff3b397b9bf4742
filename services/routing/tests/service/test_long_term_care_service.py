"""Long-term care through routing's database and messages: the review date is stored and
published, renewing moves it, a non-welfare referral or a bad date is a CommandRejected."""

from datetime import date, timedelta

from safetynet.policy.long_term_care import today_at
from safetynet.routing.adapters import orm

from .test_routing_service import ACTED, PROTECTION, UNIT, W_TOUFEN, command, outbox, rows, screened, validated

TODAY = today_at(ACTED)


async def _acknowledged(engine, handle) -> dict[str, str]:
    await handle(
        screened(
            urgent=True,
            recommended=[{"kind": "protection", "unit": PROTECTION}, {"kind": "welfare_center", "unit": W_TOUFEN}],
        )
    )
    ids = {e.payload["unit"]: e.payload["referral_id"] for e in await outbox(engine) if e.type == "ReferralAssigned"}
    for minutes, referral_id in enumerate(ids.values(), start=1):
        await handle(command("AcknowledgeReferral", UNIT, referral_id=referral_id, minutes=minutes))
    return ids


async def test_a_welfare_center_places_and_renews_a_household(engine, handle) -> None:
    ids = await _acknowledged(engine, handle)
    w = ids[W_TOUFEN]
    first = TODAY + timedelta(days=90)
    await handle(command("PlaceInLongTermCare", UNIT, referral_id=w, review_on=first.isoformat(), minutes=10))
    changed, status = [validated(e) for e in (await outbox(engine))[-2:]]
    assert (await outbox(engine))[-2].type == "ReferralInLongTermCare"
    assert changed.status == "long_term_care" and changed.review_on == first
    assert status.status == "acknowledged"  # counts as acknowledged: the SLA stays met
    [snapshot] = [r for r in status.referrals if r.referral_id == w]
    assert snapshot.status == "long_term_care" and snapshot.review_on == first

    renewed = TODAY + timedelta(days=300)
    await handle(command("PlaceInLongTermCare", UNIT, referral_id=w, review_on=renewed.isoformat(), minutes=20))
    stored = {r.referral_id: r for r in await rows(engine, orm.referrals)}
    assert stored[w].status == "long_term_care" and stored[w].review_on == renewed
    # Each change is in the case's history, with its review date.
    history = [a for a in await rows(engine, orm.actions) if a.action == "ReferralInLongTermCare"]
    assert [a.detail["referral"]["review_on"] for a in history] == [first.isoformat(), renewed.isoformat()]

    await handle(command("CloseReferral", UNIT, referral_id=w, outcome="opened", minutes=30))
    assert validated((await outbox(engine))[-1]).referrals[-1].status in ("closed", "acknowledged")
    assert {r.referral_id: r.status for r in await rows(engine, orm.referrals)}[w] == "closed"


async def test_a_protection_referral_or_a_bad_date_is_refused(engine, handle) -> None:
    ids = await _acknowledged(engine, handle)
    before = len(await outbox(engine))
    cases = [
        (ids[PROTECTION], TODAY + timedelta(days=30), "only a welfare center"),
        (ids[W_TOUFEN], TODAY - timedelta(days=1), "review_on must not be in the past"),
        (ids[W_TOUFEN], date(TODAY.year + 1, TODAY.month, 28) + timedelta(days=40), "at most 12 months ahead"),
    ]
    for minutes, (referral_id, review_on, reason) in enumerate(cases, start=10):
        await handle(
            command(
                "PlaceInLongTermCare", UNIT, referral_id=referral_id, review_on=review_on.isoformat(), minutes=minutes
            )
        )
        last = (await outbox(engine))[-1]
        assert last.type == "CommandRejected" and reason in last.payload["reason"]
        assert last.payload["command_type"] == "PlaceInLongTermCare"
    assert len(await outbox(engine)) == before + len(cases)
    assert {r.status for r in await rows(engine, orm.referrals)} == {"acknowledged"}
