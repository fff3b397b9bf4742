"""The values a case is made of: who acts, where a report goes, and its referrals."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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
    reason: str | None = None
    outcome: str | None = None

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


class UnitDirectory(Protocol):
    """The county data, as far as routing checks a unit a dispatcher names."""

    def unit_kind(self, unit_id: str) -> tuple[str, str] | None: ...


def referral_order(referral: Referral) -> tuple[datetime, int, str]:
    """The order referrals are listed in, the same before and after a reload."""
    return referral.assigned_at, kind_rank(referral.kind), referral.unit
