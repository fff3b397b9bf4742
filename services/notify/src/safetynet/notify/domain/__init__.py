"""Pure domain of the notify service: the SLA clock and notifications (no I/O)."""

from .early_intervention import (
    CenterContact,
    SevereCase,
    calls_for_early_intervention,
    early_intervention_notices,
)
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
    "CenterContact",
    "DeliveryResult",
    "Notification",
    "NotificationKind",
    "Outcome",
    "Recipient",
    "ReferralFact",
    "RetryPolicy",
    "SevereCase",
    "SlaClock",
    "SlaEvent",
    "SlaEventType",
    "SlaPolicy",
    "SlaState",
    "Timer",
    "TimerKind",
    "calls_for_early_intervention",
    "dispatch_complete",
    "early_intervention_notices",
    "escalation_notifications",
    "referral_notifications",
]
