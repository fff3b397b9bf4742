"""Domain events: what happened to a case, past tense. Adapters turn them into
envelopes (referral changes) and into the case's action history (all of them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .values import Actor, Destination, Referral


@dataclass(frozen=True, kw_only=True)
class Event:
    actor: Actor
    at: datetime
    # The reason or outcome a person wrote, or why the system acted.
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    status: str
    urgent: bool
    direct_dispatch: bool
    recommended: tuple[Destination, ...]


@dataclass(frozen=True, kw_only=True)
class DestinationsConfirmed(Event):
    destinations: tuple[Destination, ...]


@dataclass(frozen=True, kw_only=True)
class DestinationsChanged(Event):
    # Both decisions are kept: the system's recommendation and the dispatcher's choice.
    recommended: tuple[Destination, ...]
    previous: tuple[Destination, ...]
    destinations: tuple[Destination, ...]


@dataclass(frozen=True, kw_only=True)
class ReferralEvent(Event):
    """One referral changed; `referral` is a copy of it as it is after the change."""

    referral: Referral


class ReferralAssigned(ReferralEvent):
    pass


class ReferralAcknowledged(ReferralEvent):
    pass


class ReferralRejected(ReferralEvent):
    pass


class ReferralClosed(ReferralEvent):
    pass


class ReferralInLongTermCare(ReferralEvent):
    """Put in long-term care, or renewed there: `referral.review_on` is the new review date."""


@dataclass(frozen=True, kw_only=True)
class ReferralReassigned(ReferralEvent):
    successor_id: str
