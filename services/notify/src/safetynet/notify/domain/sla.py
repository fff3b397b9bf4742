"""The 24-hour SLA clock of one report: when it warns, when it is met, when it breaches.

Pure: every method takes the facts and the time it needs and returns the events it
causes; persisting the clock, its timers and the events is the service layer's job.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from safetynet.policy import referral_lifecycle as lifecycle

SlaState = Literal["open", "met", "breached"]
TimerKind = Literal["warning", "deadline"]
SlaEventType = Literal["SlaStarted", "SlaWarning", "SlaBreached", "SlaMet", "SlaRescheduled"]


@dataclass(frozen=True)
class ReferralFact:
    """What the SLA needs of one referral in routing's snapshot."""

    kind: str
    unit: str
    status: str


def dispatch_complete(destinations: Iterable[tuple[str, str | None]], referrals: Iterable[ReferralFact]) -> bool:
    """True when every destination of the report has a live referral and every live
    referral has been acknowledged (or already closed).

    A destination still waiting for a unit (unmapped township, rejected referral, not
    confirmed yet) is a unit that has not been dispatched to, so the clock keeps
    running even when every referral made so far is acknowledged; a report with no
    destination or no referral at all is waiting for a dispatcher too. The rule is the
    referral lifecycle's (safetynet.policy), the one routing derives the report status by.
    """
    return lifecycle.dispatch_complete([lifecycle.Slot(kind, unit) for kind, unit in destinations], referrals)


@dataclass(frozen=True)
class SlaPolicy:
    """The default deadline and its warning marks, in seconds from receipt."""

    sla_seconds: int
    warn_seconds: tuple[int, ...]

    def warning_times(self, *, received_at: datetime, due_at: datetime) -> list[datetime]:
        """Warnings for this report's deadline: a shorter (per-risk) deadline scales the
        default marks in proportion, so 16 h of 24 h becomes 2 h 40 min of 4 h."""
        deadline = (due_at - received_at).total_seconds()
        return [received_at + timedelta(seconds=deadline * w / self.sla_seconds) for w in sorted(self.warn_seconds)]

    def timers(self, *, received_at: datetime, due_at: datetime) -> list["Timer"]:
        warnings = self.warning_times(received_at=received_at, due_at=due_at)
        return [*(Timer("warning", i, at) for i, at in enumerate(warnings)), Timer("deadline", 0, due_at)]


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    index: int
    fire_at: datetime


@dataclass(frozen=True)
class SlaEvent:
    """One move of the clock; `type` is the envelope type it is published as."""

    type: SlaEventType
    state: SlaState
    due_at: datetime
    at: datetime
    closed_at: datetime | None = None
    warning_index: int | None = None
    escalated_to: tuple[str, ...] = ()


@dataclass
class SlaClock:
    """The SLA of one report. Events reach notify on three topics with no order between
    them, so the clock may learn that dispatch is complete before it learns when it
    started: `received_at`/`due_at` stay None until ReportReceived or ReportScreened."""

    report_id: str
    county: str
    received_at: datetime | None = None
    due_at: datetime | None = None
    state: SlaState = "open"
    closed_at: datetime | None = None  # when dispatch completed, whatever the state
    snapshot_seq: int | None = None  # newest ReportStatusChanged seen
    deadline_from_screening: bool = False  # for operators: is this screening's per-risk deadline?
    trace: Mapping[str, str] = field(default_factory=dict)  # opaque W3C context of the report

    @property
    def started(self) -> bool:
        return self.received_at is not None and self.due_at is not None

    @property
    def running(self) -> bool:
        """Started and neither met nor breached: its timers are live."""
        return self.started and self.state == "open"

    def start(
        self, *, received_at: datetime, due_at: datetime, supervisors: Sequence[str], from_screening: bool = False
    ) -> list[SlaEvent]:
        """Intake accepted the report (or screening told us first): start the clock."""
        if self.started:
            return []
        self.received_at, self.due_at = received_at, due_at
        self.deadline_from_screening = from_screening
        events = [self._event("SlaStarted", at=received_at)]
        if self.closed_at is not None:  # dispatch completed before we heard of the report
            events += self._settle(supervisors)
        return events

    def reschedule(
        self, *, received_at: datetime, due_at: datetime, at: datetime, supervisors: Sequence[str]
    ) -> list[SlaEvent]:
        """Screening set the per-risk deadline."""
        if not self.started:
            return self.start(received_at=received_at, due_at=due_at, supervisors=supervisors, from_screening=True)
        self.deadline_from_screening = True
        if self.state != "open" or due_at == self.due_at:
            return []  # a settled SLA keeps the deadline it was judged against
        self.due_at = due_at
        return [self._event("SlaRescheduled", at=at)]

    def observe(
        self,
        *,
        seq: int,
        destinations: Sequence[tuple[str, str | None]],
        referrals: Sequence[ReferralFact],
        at: datetime,
        supervisors: Sequence[str],
    ) -> list[SlaEvent]:
        """Routing's snapshot of the report's destinations and referrals, number `seq`."""
        if self.snapshot_seq is not None and seq <= self.snapshot_seq:
            return []  # stale: a newer snapshot was already seen
        self.snapshot_seq = seq
        if self.closed_at is not None or not dispatch_complete(destinations, referrals):
            return []  # completion is a fact in time: a later reassignment does not undo it
        self.closed_at = at
        return self._settle(supervisors) if self.started else []

    def fire(self, timer: Timer, *, supervisors: Sequence[str]) -> list[SlaEvent]:
        """The scheduler reached `timer`."""
        if not self.running:
            return []
        if timer.kind == "warning":
            # A warning that fires late (the service was down) still fires, so each one
            # is published exactly once; `at` says when it was due.
            return [self._event("SlaWarning", at=timer.fire_at, warning_index=timer.index)]
        return [self._breach(supervisors)]

    def _settle(self, supervisors: Sequence[str]) -> list[SlaEvent]:
        assert self.due_at is not None and self.closed_at is not None
        events: list[SlaEvent] = []
        if self.state == "open":
            if self.closed_at <= self.due_at:
                self.state = "met"
            else:  # completed after a deadline the scheduler had not reached yet
                events.append(self._breach(supervisors))
        # SlaMet says when dispatch completed; its state stays "breached" when late.
        events.append(self._event("SlaMet", at=self.closed_at, closed_at=self.closed_at))
        return events

    def _breach(self, supervisors: Sequence[str]) -> SlaEvent:
        assert self.due_at is not None
        self.state = "breached"
        return self._event("SlaBreached", at=self.due_at, escalated_to=tuple(supervisors))

    def _event(
        self,
        type_: SlaEventType,
        *,
        at: datetime,
        closed_at: datetime | None = None,
        warning_index: int | None = None,
        escalated_to: tuple[str, ...] = (),
    ) -> SlaEvent:
        assert self.due_at is not None
        return SlaEvent(
            type=type_,
            state=self.state,
            due_at=self.due_at,
            at=at,
            closed_at=closed_at,
            warning_index=warning_index,
            escalated_to=escalated_to,
        )
