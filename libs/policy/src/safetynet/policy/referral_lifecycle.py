"""The referral lifecycle, and the report status and SLA completion it implies.

DOMAIN.md, "Lifecycle and SLA". Routing applies these rules (it owns the referrals),
intake answers a person at once with them before routing has the final word, and notify
closes the SLA clock with them: one table, so the three can never disagree.

Destinations and referrals are read by attribute (`kind`, `unit`, `status`), so each
service passes its own values; `Slot` and `ReferralState` wrap plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple, Protocol, TypeVar, get_args

from safetynet.contracts.events import ReferralStatus
from safetynet.contracts.report import ReportStatus

REFERRAL_STATUSES: tuple[str, ...] = get_args(ReferralStatus)
REPORT_STATUSES: tuple[str, ...] = get_args(ReportStatus)

# `long_term_care` puts an acknowledged referral in long-term care, or renews one there
# with a new review date (DOMAIN.md, decision model v1.1 rule 2).
ReferralAction = Literal["acknowledge", "reject", "close", "reassign", "long_term_care"]


@dataclass(frozen=True)
class Transition:
    starts_from: tuple[str, ...]  # in the order a refusal names them
    ends_in: str


# What each unit or dispatcher action does to a referral, and from which states.
TRANSITIONS: Mapping[ReferralAction, Transition] = MappingProxyType(
    {
        "acknowledge": Transition(starts_from=("assigned",), ends_in="acknowledged"),
        "reject": Transition(starts_from=("assigned",), ends_in="rejected"),
        "close": Transition(starts_from=("acknowledged", "long_term_care"), ends_in="closed"),
        # An acknowledged referral belongs to its unit: it ends with an outcome, not a move.
        "reassign": Transition(starts_from=("assigned", "rejected"), ends_in="reassigned"),
        # A long-term care household stays with its unit; renewing keeps it there.
        "long_term_care": Transition(starts_from=("acknowledged", "long_term_care"), ends_in="long_term_care"),
    }
)

# A rejected referral holds nothing (the report waits for a dispatcher) and a reassigned
# one was superseded by its successor: neither holds its destination, nor gives its unit
# access to the report, nor is a unit that still has to acknowledge.
ENDED: frozenset[str] = frozenset({"rejected", "reassigned"})
LIVE: frozenset[str] = frozenset(REFERRAL_STATUSES) - ENDED
# A live referral in one of these has been dispatched: its unit took it. A referral in
# long-term care was acknowledged first and is still its unit's: it counts as acknowledged.
DISPATCHED: frozenset[str] = frozenset({"acknowledged", "closed", "long_term_care"})
# An open case: a unit holds the referral and its work on it is not over (DOMAIN.md v1.1
# rule 1, "assigned, acknowledged or in long-term care"). LIVE above also keeps closed ones.
LIVE_STATUSES: frozenset[str] = frozenset({"assigned", "acknowledged", "long_term_care"})
# Replaced by another referral. A rejected one still stands for its destination until a
# dispatcher reassigns it, so a destination behind it is not waiting for a new referral.
SUPERSEDED: frozenset[str] = frozenset({"reassigned"})
# Someone still has to act: the unit (assigned) or a dispatcher (rejected).
AWAITING_ACTION: frozenset[str] = frozenset({"assigned", "rejected"})
# No action starts from these: the referral's story is over.
TERMINAL: frozenset[str] = frozenset(
    s for s in REFERRAL_STATUSES if not any(s in t.starts_from for t in TRANSITIONS.values())
)


def refusal(action: ReferralAction, status: str, *, referral_id: str | None = None) -> str | None:
    """None when `action` applies to a referral in `status`; otherwise why not, in words
    a dispatcher or a unit reads."""
    allowed = TRANSITIONS[action].starts_from
    if status in allowed:
        return None
    subject = f"referral {referral_id}" if referral_id else "the referral"
    return f"{subject} is {status}, not {' or '.join(allowed)}"


def allows(action: ReferralAction, status: str) -> bool:
    return refusal(action, status) is None


def after(action: ReferralAction, status: str) -> str:
    """The status a referral in `status` ends in after `action`; ValueError if it does not apply."""
    why = refusal(action, status)
    if why is not None:
        raise ValueError(why)
    return TRANSITIONS[action].ends_in


# -- what the referrals say about the report -------------------------------------------


class Place(Protocol):
    """A destination: a kind, and its unit (None while no unit is known)."""

    @property
    def kind(self) -> str: ...

    @property
    def unit(self) -> str | None: ...


class HeldReferral(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def status(self) -> str: ...


class Slot(NamedTuple):
    kind: str
    unit: str | None


class ReferralState(NamedTuple):
    kind: str
    unit: str
    status: str


P = TypeVar("P", bound=Place)


def pending_destinations(destinations: Sequence[P], referrals: Iterable[HeldReferral]) -> list[P]:
    """Destinations that no referral stands for yet (a reassigned one stands for nothing; a
    rejected one waits for a reassignment): a dispatcher's confirmation or change refers them."""
    referred = {(r.kind, r.unit) for r in referrals if r.status not in SUPERSEDED}
    return [d for d in destinations if d.unit is None or (d.kind, d.unit) not in referred]


def report_status(destinations: Iterable[Place], referrals: Iterable[HeldReferral]) -> str:
    """The report's status, derived from its destinations and referrals (never set by hand):
    - `awaiting_review` while there is no destination, or any destination has no live
      referral (no unit yet, not confirmed yet, or its referral was rejected);
    - `closed` once every destination's live referral is closed;
    - `acknowledged` once every live referral is acknowledged or closed;
    - `assigned` otherwise."""
    wanted = [(d.kind, d.unit) for d in destinations]
    # Not ENDED rather than in LIVE: a status this table does not know yet keeps holding
    # its destination (and keeps the SLA open) instead of silently dropping out.
    live = [r for r in referrals if r.status not in ENDED]
    held = {(r.kind, r.unit) for r in live}
    if not wanted or any(d not in held for d in wanted):
        return "awaiting_review"
    if all(r.status == "closed" for r in live):
        return "closed"
    if all(r.status in DISPATCHED for r in live):
        return "acknowledged"
    return "assigned"


def dispatch_complete(destinations: Iterable[Place], referrals: Iterable[HeldReferral]) -> bool:
    """The SLA is met: every destination has a live referral and every live referral was
    acknowledged (or already closed). A destination still waiting for a unit keeps the
    clock running; so does a report with no destination or no referral at all."""
    return report_status(destinations, referrals) in DISPATCHED
