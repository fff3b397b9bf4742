"""Input and output values of decision model v1.

Pure data: frozen dataclasses with light invariant checks, no I/O and no
framework types, so the rules can be tested (and replayed) in isolation.
The vocabulary (categories, roles, injury, kinds) is the public intake
contract in DOMAIN.md; it is re-checked here because a misspelt value must
never silently lower a risk light or drop a destination.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, get_args

from safetynet.contracts import report as contract

# Bump on any change to a rule, a threshold or a reason code: every stored
# decision carries it, so past decisions stay explainable after the rules move.
RULE_VERSION = "v1.0.0"

# The vocabulary is the public contract's (safetynet.contracts.report), taken from it
# rather than copied, so the two cannot drift apart.
PROTECTION_CATEGORIES: frozenset[str] = frozenset(contract.PROTECTION_CATEGORIES)
CATEGORIES: frozenset[str] = frozenset(get_args(contract.Category))
ROLES: frozenset[str] = frozenset(get_args(contract.Role))
INJURIES: frozenset[str] = frozenset(get_args(contract.Injury))


def _require_aware(name: str, value: datetime) -> None:
    # Naive datetimes would make the 365-day window depend on the host's
    # clock zone; refuse them rather than guess.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class Subject:
    role: str  # victim | offender | child | youth | adult
    # Whole years on the day received (computed upstream, Asia/Taipei);
    # None = unknown, and an unknown age meets no age condition.
    age: int | None
    # Keyed hash of the national ID; None when no ID (never a repeat).
    subject_hash: str | None
    # Computed upstream by intake: this subject's hash appears in a report
    # received strictly earlier, less than 365×24 h before.
    named_in_earlier_report: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown subject role {self.role!r}")
        if self.age is not None and self.age < 0:
            raise ValueError(f"age must be >= 0, got {self.age}")


@dataclass(frozen=True)
class Household:
    children_under_6: int | None = None
    children_under_18: int | None = None

    def __post_init__(self) -> None:
        for name in ("children_under_6", "children_under_18"):
            count = getattr(self, name)
            if count is not None and count < 0:
                raise ValueError(f"{name} must be >= 0, got {count}")


@dataclass(frozen=True)
class Bsrs5:
    """A scored BSRS-5 (簡式健康量表): five symptom items and the suicidal-thoughts item, 0–4."""

    items: tuple[int, ...]  # exactly five
    suicide: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        if len(self.items) != 5:
            raise ValueError(f"BSRS-5 has exactly five items, got {len(self.items)}")
        for value in (*self.items, self.suicide):
            if not 0 <= value <= 4:
                raise ValueError(f"BSRS-5 items are 0-4, got {value}")

    @property
    def total(self) -> int:
        return sum(self.items)


@dataclass(frozen=True)
class Indicators:
    tipvda_score: int | None = None
    injury: str | None = None  # none | minor | severe
    weapon: bool = False
    threat_to_kill: bool = False
    offender_lives_with_victim: bool = False
    suicide_attempt: bool = False
    suicide_ideation: bool = False
    suspected_mental_illness: bool = False
    youth_law_violation: bool = False
    economic_hardship: bool = False
    bsrs5: Bsrs5 | None = None  # decision model v1.1, rule 3

    def __post_init__(self) -> None:
        if self.injury is not None and self.injury not in INJURIES:
            raise ValueError(f"unknown injury {self.injury!r}")


@dataclass(frozen=True)
class ScreeningInput:
    report_id: str
    county: str
    township: str
    received_at: datetime  # tz-aware
    categories: frozenset[str]
    subjects: tuple[Subject, ...]
    household: Household = field(default_factory=Household)
    indicators: Indicators = field(default_factory=Indicators)

    def __post_init__(self) -> None:
        _require_aware("received_at", self.received_at)
        # Accept any iterable from callers but store immutable, hashable values.
        object.__setattr__(self, "categories", frozenset(self.categories))
        object.__setattr__(self, "subjects", tuple(self.subjects))
        unknown = self.categories - CATEGORIES
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}")


class UnitDirectory(Protocol):
    """County unit data; implemented by an adapter, faked in tests."""

    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        """protection / mental_health / youth_counseling: the county's one
        unit; welfare_center: the center mapped for the township, or None
        when the township is not mapped."""
        ...


@dataclass(frozen=True)
class Reason:
    code: str  # stable UPPER_SNAKE code, e.g. "RED_TIPVDA_HIGH"
    text: str  # short Traditional Chinese + English


@dataclass(frozen=True)
class Destination:
    kind: str
    unit: str | None  # None: no mapped unit (goes to human review)
    reason_codes: tuple[str, ...] = ()  # the rules that produced it


@dataclass(frozen=True)
class Decision:
    rule_version: str
    risk_level: str  # red | orange | yellow | green
    urgent: bool  # True exactly when red
    direct_dispatch: bool
    # One per condition that held, across all levels and rules.
    reasons: tuple[Reason, ...]
    # De-duplicated by (kind, unit), in safetynet.policy.destination_kinds order.
    destinations: tuple[Destination, ...]
    # A dispatcher must act: nothing matched, a destination has no unit, or
    # the report is neither red nor a direct dispatch (normal queue).
    needs_review: bool
    # The v1.1 switches of the deciding version that routing applies to this decision
    # ("open_case_link", "long_term_care"); empty under v1.
    routing_rules: tuple[str, ...] = ()

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)
