"""Notify's handlers: one per event it consumes, and one per scheduler tick.

Each runs in one transaction: the inbox claim (or the timer marked fired), the clock's
new state, its timers, the notifications it plans and the events it publishes commit
together or not at all. That is what makes each warning and breach fire exactly once.
"""

from datetime import datetime
from typing import Sequence

from safetynet.contracts import topics
from safetynet.notify import domain
from safetynet.notify.adapters.contracts import sla_changed
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork


async def start_clock(*, event_id: str, report_id: str, county: str, received_at: datetime,
                      due_at: datetime, now: datetime, uow: NotifyUnitOfWork, policy: domain.SlaPolicy,
                      directory: UnitDirectory) -> list[domain.SlaEvent]:
    """Start the report's SLA clock when intake accepts the report."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.start(received_at=received_at, due_at=due_at, supervisors=directory.supervisors(county))
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def reschedule_clock(*, event_id: str, report_id: str, county: str, received_at: datetime,
                           due_at: datetime, now: datetime, uow: NotifyUnitOfWork,
                           policy: domain.SlaPolicy, directory: UnitDirectory) -> list[domain.SlaEvent]:
    """Move the deadline (and its warnings) to screening's per-risk deadline."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.reschedule(received_at=received_at, due_at=due_at, at=now,
                                  supervisors=directory.supervisors(county))
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def observe_referrals(*, event_id: str, report_id: str, county: str, seq: int,
                            referral_statuses: Sequence[str], at: datetime, now: datetime,
                            uow: NotifyUnitOfWork, policy: domain.SlaPolicy,
                            directory: UnitDirectory) -> list[domain.SlaEvent]:
    """Close the SLA as met once every live referral of the report is acknowledged."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.observe(seq=seq, referral_statuses=referral_statuses, at=at,
                               supervisors=directory.supervisors(county))
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def fire_due_timers(*, now: datetime, limit: int, uow: NotifyUnitOfWork, policy: domain.SlaPolicy,
                          directory: UnitDirectory) -> int:
    """Fire up to `limit` timers due at `now`; return how many were due."""
    async with uow:
        due = await uow.clocks.lock_due(now, limit=limit)
        for clock, timer in due:
            await uow.clocks.mark_fired(clock.report_id, timer, at=now)
            events = clock.fire(timer, supervisors=directory.supervisors(clock.county))
            await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return len(due)


async def plan_referral_notifications(*, event_id: str, report_id: str, referral_id: str, county: str,
                                      kind: str, unit: str, urgent: bool, assigned_at: datetime,
                                      now: datetime, uow: NotifyUnitOfWork, directory: UnitDirectory) -> int:
    """Plan one notification per channel of the unit a referral was assigned to."""
    async with uow:
        if not await uow.claim(event_id):
            return 0
        planned = domain.referral_notifications(
            report_id=report_id, referral_id=referral_id, county=county, kind=kind, unit=unit,
            urgent=urgent, assigned_at=assigned_at, recipients=directory.unit_recipients(unit))
        # The unique key (referral, channel) also holds when the same assignment arrives
        # under another event id, e.g. re-published by routing after a crash.
        added = sum([await uow.notifications.add(n, send_at=now) for n in planned])
        await uow.commit()
        return added


async def _apply(uow: NotifyUnitOfWork, clock: domain.SlaClock, events: list[domain.SlaEvent], *,
                 now: datetime, policy: domain.SlaPolicy, directory: UnitDirectory) -> None:
    """Persist the clock, its timers, its escalations and its events."""
    await uow.clocks.save(clock)
    for event in events:
        await uow.emit(topics.NOTIFICATIONS, sla_changed(clock, event))
        if event.type == "SlaBreached":
            for escalation in domain.escalation_notifications(
                    report_id=clock.report_id, county=clock.county, due_at=event.due_at,
                    recipients=directory.supervisor_recipients(clock.county)):
                await uow.notifications.add(escalation, send_at=now)
    if not clock.started:
        return
    if not clock.running:
        await uow.clocks.cancel(clock.report_id)
    elif any(e.type in ("SlaStarted", "SlaRescheduled") for e in events):
        assert clock.received_at is not None and clock.due_at is not None
        await uow.clocks.replan(clock.report_id, policy.timers(received_at=clock.received_at, due_at=clock.due_at))
