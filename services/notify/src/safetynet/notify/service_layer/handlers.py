"""Notify's handlers: one per event it consumes, and one per scheduler tick.

Each runs in one transaction: the inbox claim (or the timer marked fired), the clock's
new state, its timers, the notifications it plans and the events it publishes commit
together or not at all. That is what makes each warning and breach fire exactly once.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from safetynet.contracts import topics
from safetynet.notify import domain
from safetynet.notify.adapters.contracts import sla_changed
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.platform.messaging.outbox import in_trace


async def start_clock(
    *,
    event_id: str,
    report_id: str,
    county: str,
    received_at: datetime,
    due_at: datetime,
    now: datetime,
    uow: NotifyUnitOfWork,
    policy: domain.SlaPolicy,
    directory: UnitDirectory,
) -> list[domain.SlaEvent]:
    """Start the report's SLA clock when intake accepts the report."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.start(received_at=received_at, due_at=due_at, supervisors=directory.supervisors(county))
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def reschedule_clock(
    *,
    event_id: str,
    report_id: str,
    county: str,
    received_at: datetime,
    due_at: datetime,
    now: datetime,
    uow: NotifyUnitOfWork,
    policy: domain.SlaPolicy,
    directory: UnitDirectory,
) -> list[domain.SlaEvent]:
    """Move the deadline (and its warnings) to screening's per-risk deadline."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.reschedule(
            received_at=received_at, due_at=due_at, at=now, supervisors=directory.supervisors(county)
        )
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def observe_referrals(
    *,
    event_id: str,
    report_id: str,
    county: str,
    seq: int,
    destinations: Sequence[tuple[str, str | None]],
    referrals: Sequence[domain.ReferralFact],
    at: datetime,
    now: datetime,
    uow: NotifyUnitOfWork,
    policy: domain.SlaPolicy,
    directory: UnitDirectory,
) -> list[domain.SlaEvent]:
    """Close the SLA as met once every destination has a live referral and all are acknowledged."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        clock = await uow.clocks.lock(report_id, county=county)
        events = clock.observe(
            seq=seq, destinations=destinations, referrals=referrals, at=at, supervisors=directory.supervisors(county)
        )
        await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return events


async def fire_due_timers(
    *, now: datetime, limit: int, uow: NotifyUnitOfWork, policy: domain.SlaPolicy, directory: UnitDirectory
) -> int:
    """Fire up to `limit` timers due at `now`; return how many were due."""
    async with uow:
        due = await uow.clocks.lock_due(now, limit=limit)
        for clock, timer in due:
            with in_trace(clock.trace):  # the warning or breach joins the report's trace
                await uow.clocks.mark_fired(clock.report_id, timer, at=now)
                events = clock.fire(timer, supervisors=directory.supervisors(clock.county))
                await _apply(uow, clock, events, now=now, policy=policy, directory=directory)
        await uow.commit()
        return len(due)


async def plan_referral_notifications(
    *,
    event_id: str,
    report_id: str,
    referral_id: str,
    county: str,
    kind: str,
    unit: str,
    urgent: bool,
    assigned_at: datetime,
    now: datetime,
    uow: NotifyUnitOfWork,
    directory: UnitDirectory,
    linked_to: str | None = None,
) -> int:
    """Plan one notification per channel of the unit a referral was assigned to; return
    how many were planned (inserted at commit, where one planned before is skipped)."""
    async with uow:
        if not await uow.claim(event_id):
            return 0
        planned = domain.referral_notifications(
            report_id=report_id,
            referral_id=referral_id,
            county=county,
            kind=kind,
            unit=unit,
            urgent=urgent,
            assigned_at=assigned_at,
            recipients=directory.unit_recipients(unit),
            linked_to=linked_to,
        )
        # The unique key (referral, channel) also holds when the same assignment arrives
        # under another event id, e.g. re-published by routing after a crash.
        uow.notifications.plan(planned, send_at=now)
        await uow.commit()
        return len(planned)


@dataclass(frozen=True)
class Replay:
    """What `replay_notifications` did with one notification."""

    notification_id: str
    replayed: bool
    reason: str = ""  # why not, when not replayed
    notification: domain.Notification | None = None
    address_changed: bool = False  # replayed to the unit directory's current address

    def describe(self) -> str:
        n = self.notification
        if n is None:
            return f"{self.notification_id}: {self.reason}"
        what = f"{n.kind} of report {n.report_id} to {n.recipient} by {n.channel}"
        if not self.replayed:
            return f"{self.notification_id} ({what}): {self.reason}"
        extra = f", now to {n.address}" if self.address_changed else ""
        return f"{self.notification_id} ({what}{extra}): replayed after {n.attempt - 1} attempts"


async def replay_notifications(
    *,
    now: datetime,
    uow: NotifyUnitOfWork,
    notification_ids: Sequence[str] = (),
    all_dead: bool = False,
    directory: UnitDirectory | None = None,
) -> list[Replay]:
    """Put dead-lettered notifications (those given, or every one) back to pending, due
    `now`, with a fresh round of attempts; the delivery worker sends them again and every
    new attempt is recorded after the old ones. With `directory`, each goes to its
    recipient's current address on its channel (the usual fix for a dead letter is a
    corrected URL or mailbox). Anything not dead-lettered is left as it is."""
    async with uow:
        if all_dead:
            chosen = [(n, "failed") for n in await uow.notifications.dead_lettered()]
            by_id = {n.notification_id: (n, status) for n, status in chosen}
            wanted = list(by_id)
        else:
            wanted = list(dict.fromkeys(notification_ids))
            by_id = await uow.notifications.find(wanted)
        results: list[Replay] = []
        for notification_id in wanted:
            if notification_id not in by_id:
                results.append(Replay(notification_id, False, "no such notification"))
                continue
            n, status = by_id[notification_id]
            if status != "failed":
                results.append(Replay(notification_id, False, f"not dead-lettered ({status})", n))
                continue
            address = _current_address(n, directory) or n.address
            if await uow.notifications.replay(n, at=now, address=address):
                results.append(
                    Replay(
                        notification_id,
                        True,
                        notification=replace(n, address=address),
                        address_changed=address != n.address,
                    )
                )
            else:  # a concurrent replay got there first
                results.append(Replay(notification_id, False, "replayed meanwhile", n))
        await uow.commit()
        return results


def _current_address(n: domain.Notification, directory: UnitDirectory | None) -> str | None:
    if directory is None:
        return None
    recipients = (
        directory.unit_recipients(n.recipient)
        if n.kind == "referral"
        else [r for r in directory.supervisor_recipients(n.county) if r.id == n.recipient]
    )
    return next((r.address for r in recipients if r.channel == n.channel and r.address), None)


async def _apply(
    uow: NotifyUnitOfWork,
    clock: domain.SlaClock,
    events: list[domain.SlaEvent],
    *,
    now: datetime,
    policy: domain.SlaPolicy,
    directory: UnitDirectory,
) -> None:
    """Persist the clock, its timers, its escalations and its events."""
    await uow.clocks.save(clock)
    for event in events:
        await uow.emit(topics.NOTIFICATIONS, sla_changed(clock, event))
        if event.type == "SlaBreached":
            escalations = domain.escalation_notifications(
                report_id=clock.report_id,
                county=clock.county,
                due_at=event.due_at,
                recipients=directory.supervisor_recipients(clock.county),
            )
            uow.notifications.plan(escalations, send_at=now)
    if not clock.started:
        return
    if not clock.running:
        await uow.clocks.cancel(clock.report_id)
    elif any(e.type in ("SlaStarted", "SlaRescheduled") for e in events):
        assert clock.received_at is not None and clock.due_at is not None
        await uow.clocks.replan(clock.report_id, policy.timers(received_at=clock.received_at, due_at=clock.due_at))
