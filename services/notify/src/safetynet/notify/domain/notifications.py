"""Notifications: what a unit or supervisor is told, through which channel, and how a
failed delivery is retried."""

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

NotificationKind = Literal["referral", "escalation", "early_intervention", "long_term_review"]
Outcome = Literal["recorded", "delivered", "failed"]

# Notification ids derive from what they are about, so a notification planned twice
# has one id, and a receiver can dedupe a redelivered webhook on it.
_NAMESPACE = uuid.UUID("6f1d3a52-3c0e-4c1b-9a55-2f4f1c0b7e21")


@dataclass(frozen=True)
class Recipient:
    """Someone to tell (a unit or a supervisor) on one channel, at that channel's address
    (a webhook URL, a mailbox; None where the channel needs none)."""

    id: str
    channel: str
    address: str | None = None


@dataclass(frozen=True)
class Notification:
    kind: NotificationKind
    report_id: str
    county: str
    recipient: str
    channel: str
    urgent: bool
    subject: str
    # JSON-ready facts: ids, kinds, times. Events carry no names or narratives, and
    # neither does anything built from them, so nothing personal leaves through a channel.
    content: Mapping[str, Any] = field(default_factory=dict)
    referral_id: str | None = None
    address: str | None = None
    attempt: int = 1  # the attempt about to be made; counts on across replays
    attempts_before_replay: int = 0  # attempts made before the latest replay
    trace: Mapping[str, Any] = field(default_factory=dict)  # opaque W3C context it was planned in

    @property
    def attempt_in_round(self) -> int:
        """The attempt's number since the notification was planned or last replayed:
        what the retry policy's budget and backoff count, so a replay gets a fresh round."""
        return self.attempt - self.attempts_before_replay

    @property
    def dedupe_key(self) -> str:
        """One notification per referral per channel; one escalation (or early-intervention
        notice) per recipient per channel per report."""
        if self.kind == "referral":
            return f"referral/{self.referral_id}/{self.channel}"
        if self.kind == "long_term_review":  # once per review date (a renewal sets a new one)
            return f"long_term_review/{self.referral_id}/{self.content.get('review_on')}/{self.channel}"
        return f"{self.kind}/{self.report_id}/{self.recipient}/{self.channel}"

    @property
    def notification_id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.dedupe_key))


def referral_notifications(
    *,
    report_id: str,
    referral_id: str,
    county: str,
    kind: str,
    unit: str,
    urgent: bool,
    assigned_at: datetime,
    recipients: Sequence[Recipient],
    linked_to: str | None = None,
) -> list[Notification]:
    """Tell the unit, on each of its channels, that a referral was assigned to it; a
    referral linked to an open case (rule 1, 併案) says it concerns the unit's open case."""
    subject = f"{'[URGENT] ' if urgent else ''}New {kind} referral {referral_id} for {unit}"
    if linked_to is not None:
        subject += f": concerns your open case, referral {linked_to} (併案)"
    content = {
        "event": "referral_assigned",
        "report_id": report_id,
        "referral_id": referral_id,
        "county": county,
        "kind": kind,
        "unit": unit,
        "urgent": urgent,
        "assigned_at": assigned_at.isoformat(),
        **({"linked_to": linked_to} if linked_to is not None else {}),
    }
    return [
        Notification(
            kind="referral",
            report_id=report_id,
            county=county,
            recipient=r.id,
            channel=r.channel,
            urgent=urgent,
            subject=subject,
            content=content,
            referral_id=referral_id,
            address=r.address,
        )
        for r in recipients
    ]


def escalation_notifications(
    *, report_id: str, county: str, due_at: datetime, recipients: Sequence[Recipient]
) -> list[Notification]:
    """Tell the county's dispatch supervisors that a report missed its SLA deadline."""
    subject = f"[URGENT] SLA breached: report {report_id} not dispatched by {due_at.isoformat()}"
    content = {"event": "sla_breached", "report_id": report_id, "county": county, "due_at": due_at.isoformat()}
    return [
        Notification(
            kind="escalation",
            report_id=report_id,
            county=county,
            recipient=r.id,
            channel=r.channel,
            urgent=True,
            subject=subject,
            content=content,
            address=r.address,
        )
        for r in recipients
    ]


@dataclass(frozen=True)
class DeliveryResult:
    """What a channel did with one attempt."""

    outcome: Outcome
    detail: str | None = None
    retryable: bool = True  # False when retrying cannot help (a rejected request, a bad address)

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, then dead-letter after `max_attempts`."""

    max_attempts: int = 6
    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def gives_up(self, attempts: int, result: DeliveryResult) -> bool:
        return not result.retryable or attempts >= self.max_attempts

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the `attempts`-th failure: half the exponential step
        fixed, half random, so replicas that failed together do not retry together."""
        step = min(self.cap_seconds, self.base_seconds * 2.0 ** (attempts - 1))
        return step / 2 + rand() * step / 2
