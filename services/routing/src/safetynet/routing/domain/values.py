"""The values a case is made of: who acts, where a report goes, and its referrals."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from safetynet.policy.destination_kinds import DESTINATION_KINDS, kind_rank
from safetynet.policy.referral_lifecycle import LIVE

NewId = Callable[[], str]


def new_referral_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Actor:
    role: str
    name: str
    key_id: str | None = None  # the API key a person acted with; None for the system

    @property
    def label(self) -> str:
        # The system names itself plainly ("routing"); people are "role:name".
        return self.name if self.key_id is None else f"{self.role}:{self.name}"


ROUTING = Actor(role="system", name="routing")


@dataclass(frozen=True)
class Destination:
    kind: str
    unit: str | None  # None: no unit is known (an unmapped township), a dispatcher picks one

    def __post_init__(self) -> None:
        if self.kind not in DESTINATION_KINDS:
            raise ValueError(f"unknown destination kind {self.kind!r}")


def unique(destinations: tuple[Destination, ...] | list[Destination]) -> tuple[Destination, ...]:
    """`destinations` without repeats, in their first order."""
    return tuple(dict.fromkeys(destinations))


@dataclass
class Referral:
    referral_id: str
    kind: str
    unit: str
    status: str  # assigned | acknowledged | rejected | closed | reassigned
    urgent: bool
    assigned_at: datetime
    updated_at: datetime
    reason: str | None = None  # a rejection's code, or a reassignment's written reason
    outcome: str | None = None  # opened | not_opened, once closed
    # The unit's reason code (safetynet.policy.outcomes) for closing or rejecting; kept
    # after a reassignment, so a rejection stays counted. `note`: the unit's free text.
    outcome_reason: str | None = None
    note: str | None = None
    # In long-term care (長期關懷戶): when its unit next reviews the household.
    review_on: date | None = None
    # The open referral of another report this one is linked to (rule 1, open_case.py).
    linked_to: str | None = None

    @property
    def destination(self) -> Destination:
        return Destination(self.kind, self.unit)

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class ScreenedReport:
    """What routing needs of screening's decision to open a case."""

    report_id: str
    county: str
    risk_level: str
    urgent: bool
    direct_dispatch: bool
    recommended: tuple[Destination, ...]
    subject_hashes: tuple[str, ...]
    received_at: datetime
    # Every condition that held, so the decision routing acts on (after its own rule,
    # see rereport.py) can be shown whole.
    reasons: tuple[Reason, ...] = ()
    # The v1.1 rules the deciding version switched on that routing applies (open_case.py).
    routing_rules: tuple[str, ...] = ()
    # Kind -> the open referral its destination is linked to, once rule 1 held.
    links: dict[str, str] = field(default_factory=dict)


class UnitDirectory(Protocol):
    """The county data, as far as routing checks a unit a dispatcher names."""

    def unit_kind(self, unit_id: str) -> tuple[str, str] | None: ...


def referral_order(referral: Referral) -> tuple[datetime, int, str]:
    """The order referrals are listed in, the same before and after a reload."""
    return referral.assigned_at, kind_rank(referral.kind), referral.unit
