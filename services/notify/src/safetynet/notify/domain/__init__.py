"""Pure domain of the notify service: the SLA clock and notifications (no I/O)."""

from .notifications import (
    DeliveryResult,
    Notification,
    NotificationKind,
    Outcome,
    Recipient,
    RetryPolicy,
    escalation_notifications,
    referral_notifications,
)
from .sla import (
    ReferralFact,
    SlaClock,
    SlaEvent,
    SlaEventType,
    SlaPolicy,
    SlaState,
    Timer,
    TimerKind,
    dispatch_complete,
)

__all__ = [
    "DeliveryResult",
    "Notification",
    "NotificationKind",
    "Outcome",
    "Recipient",
    "ReferralFact",
    "RetryPolicy",
    "SlaClock",
    "SlaEvent",
    "SlaEventType",
    "SlaPolicy",
    "SlaState",
    "Timer",
    "TimerKind",
    "dispatch_complete",
    "escalation_notifications",
    "referral_notifications",
]
