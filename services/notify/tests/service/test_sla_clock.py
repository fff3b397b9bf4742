"""The durable SLA clock on SQLite with the real migrations: the handlers fed through
the consumer loop, the scheduler ticked by hand with an injected clock, and every
assertion made on what reached notify_outbox."""

import asyncio
from datetime import timedelta

from safetynet.contracts import topics
from safetynet.notify.adapters import orm

WARNINGS_AND_BREACH = ["SlaStarted", "SlaWarning", "SlaWarning", "SlaBreached"]


async def test_sla_events_go_to_the_notifications_topic(harness) -> None:
    await harness.report_received("r1")
    [started] = await harness.outbox()
    assert started["topic"] == topics.NOTIFICATIONS and started["type"] == "SlaStarted"
    assert started["report_id"] == "r1" and started["producer"] == "notify"
    assert started["payload"]["state"] == "open"
    assert started["payload"]["due_at"].startswith("2026-11-21T13:30:00")


async def test_breach_fires_exactly_once_with_escalation(harness, clock) -> None:
    await harness.report_received("r1")
    clock.at(hours=15, minutes=59)
    assert await harness.tick() == 0
    clock.at(hours=16)
    assert await harness.tick() == 1
    clock.at(hours=24, seconds=1)
    assert await harness.tick() == 2
    for _ in range(3):
        clock.at(hours=48)
        assert await harness.tick() == 0
    assert await harness.sla_types() == WARNINGS_AND_BREACH
    warnings = await harness.outbox("SlaWarning")
    assert [w["payload"]["warning_index"] for w in warnings] == [0, 1]
    [breach] = await harness.outbox("SlaBreached")
    assert breach["payload"]["state"] == "breached"
    assert breach["payload"]["escalated_to"] == ["苗栗縣/dispatch_supervisor"]
    assert breach["payload"]["at"] == breach["payload"]["due_at"]
    # The escalation went through the channel interface, once, and was recorded.
    [escalation] = await harness.rows(orm.notifications)
    assert (escalation.kind, escalation.recipient, escalation.status) == (
        "escalation",
        "苗栗縣/dispatch_supervisor",
        "delivered",
    )
    [attempt] = await harness.rows(orm.deliveries)
    assert (attempt.notification_id, attempt.outcome) == (escalation.notification_id, "recorded")
    assert all(t.fired_at is not None for t in await harness.rows(orm.timers))


async def test_restart_mid_sla_fires_each_warning_and_the_breach_once(harness, clock) -> None:
    await harness.report_received("r1")
    clock.at(hours=17)
    await harness.tick()  # warning 0, then the process dies
    first = harness.runtime
    harness.boot()  # a new process on the same database
    clock.at(hours=22, minutes=30)
    await harness.tick()  # warning 1
    harness.boot()
    clock.at(hours=30)
    await harness.tick()  # the breach, six hours late: the service was down
    harness.runtime = first  # the old process (or a replica) ticks again
    await harness.tick()
    assert await harness.sla_types() == WARNINGS_AND_BREACH


async def test_a_deadline_that_passed_while_down_fires_when_back(harness, clock) -> None:
    await harness.report_received("r1")
    harness.boot()
    clock.at(days=3)
    assert await harness.tick() == 3
    assert await harness.sla_types() == WARNINGS_AND_BREACH
    assert [w["payload"]["at"][:19] for w in await harness.outbox("SlaWarning")] == [
        "2026-11-21T05:30:00",
        "2026-11-21T11:30:00",
    ]  # when each was due, not when it went out


async def test_concurrent_schedulers_fire_each_timer_once(harness, clock) -> None:
    replicas = []
    for _ in range(3):
        replicas.append(harness.boot())
    for n in range(5):
        await harness.report_received(f"r{n}")
    clock.at(hours=25)
    from safetynet.notify.entrypoints.loops import SlaScheduler

    schedulers = [next(loop for loop in r.loops if isinstance(loop, SlaScheduler)) for r in replicas]
    fired = await asyncio.gather(*(s.tick() for s in schedulers))
    assert sum(fired) == 15
    types = await harness.sla_types()
    assert types.count("SlaWarning") == 10 and types.count("SlaBreached") == 5


async def test_a_met_report_fires_no_breach(harness, clock) -> None:
    await harness.report_received("r1")
    clock.at(hours=17)
    await harness.tick()
    await harness.status_changed("r1", seq=1, statuses=["assigned", "assigned"], at=harness.t0 + timedelta(hours=1))
    await harness.status_changed(
        "r1", seq=2, statuses=["acknowledged", "rejected"], at=harness.t0 + timedelta(hours=18)
    )
    clock.at(days=2)
    assert await harness.tick() == 0
    assert await harness.sla_types() == ["SlaStarted", "SlaWarning", "SlaMet"]
    [met] = await harness.outbox("SlaMet")
    assert met["payload"]["state"] == "met" and met["payload"]["closed_at"].startswith("2026-11-21T07:30:00")
    assert [t.kind for t in await harness.rows(orm.timers)] == ["warning"]  # the fired one; the rest cancelled
    assert await harness.rows(orm.notifications) == []


async def test_a_report_with_no_referral_stays_open_and_breaches(harness, clock) -> None:
    await harness.report_received("r1")
    await harness.status_changed("r1", seq=1, statuses=[], at=harness.t0 + timedelta(minutes=5))
    await harness.status_changed("r1", seq=2, statuses=["rejected"], at=harness.t0 + timedelta(minutes=9))
    clock.at(hours=24)
    await harness.tick()
    assert await harness.sla_types() == WARNINGS_AND_BREACH


async def test_a_stale_snapshot_does_not_close_the_sla(harness, clock) -> None:
    await harness.report_received("r1")
    await harness.status_changed("r1", seq=3, statuses=["assigned"], at=harness.t0 + timedelta(hours=2))
    await harness.status_changed("r1", seq=2, statuses=["acknowledged"], at=harness.t0 + timedelta(hours=1))
    clock.at(hours=24)
    await harness.tick()
    assert await harness.sla_types() == WARNINGS_AND_BREACH


async def test_a_redelivered_snapshot_changes_nothing(harness) -> None:
    await harness.report_received("r1")
    event = await harness.status_changed("r1", seq=1, statuses=["acknowledged"], at=harness.t0)
    await harness.status_changed("r1", seq=1, statuses=["acknowledged"], at=harness.t0, event_id=event.event_id)
    await harness.report_received("r1")  # intake re-published: the clock is started already
    assert await harness.sla_types() == ["SlaStarted", "SlaMet"]


async def test_screening_reschedules_to_the_per_risk_deadline(harness, clock) -> None:
    await harness.report_received("r1")
    await harness.report_screened("r1", seconds=4 * 3600)
    await harness.report_screened("r1", seconds=4 * 3600)  # the same deadline again: no event
    clock.at(hours=2, minutes=39)
    assert await harness.tick() == 0
    clock.at(hours=2, minutes=40)
    assert await harness.tick() == 1
    clock.at(hours=4)
    assert await harness.tick() == 2
    clock.at(hours=30)
    assert await harness.tick() == 0
    assert await harness.sla_types() == ["SlaStarted", "SlaRescheduled", "SlaWarning", "SlaWarning", "SlaBreached"]
    [rescheduled] = await harness.outbox("SlaRescheduled")
    assert rescheduled["payload"]["due_at"].startswith("2026-11-20T17:30:00")


async def test_screening_heard_before_intake_starts_the_clock_once(harness, clock) -> None:
    await harness.report_screened("r1", seconds=2 * 3600)
    await harness.report_received("r1")
    clock.at(hours=2)
    await harness.tick()
    assert await harness.sla_types() == WARNINGS_AND_BREACH
    [started] = await harness.outbox("SlaStarted")
    assert started["payload"]["due_at"].startswith("2026-11-20T15:30:00")


async def test_completion_heard_before_the_start_is_met_on_start(harness, clock) -> None:
    await harness.status_changed("r1", seq=4, statuses=["acknowledged"], at=harness.t0 + timedelta(minutes=30))
    assert await harness.sla_types() == []
    await harness.report_received("r1")
    clock.at(days=2)
    assert await harness.tick() == 0
    assert await harness.sla_types() == ["SlaStarted", "SlaMet"]


async def test_a_late_reschedule_does_not_repeat_a_fired_warning(harness, clock) -> None:
    await harness.report_received("r1")
    clock.at(hours=16)
    assert await harness.tick() == 1  # warning 0 of the 24 h deadline
    await harness.report_screened("r1", seconds=18 * 3600)  # screening was down; orange: 18 h
    clock.at(hours=16, minutes=30)
    assert await harness.tick() == 1  # warning 1 at 22/24 of 18 h
    clock.at(hours=18)
    assert await harness.tick() == 1
    assert await harness.sla_types() == ["SlaStarted", "SlaWarning", "SlaRescheduled", "SlaWarning", "SlaBreached"]
    assert [w["payload"]["warning_index"] for w in await harness.outbox("SlaWarning")] == [0, 1]
