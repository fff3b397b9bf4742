"""Retention: when a report's personal data is due to be purged.

A report's personal data is kept while any of its referrals is live. Once every
referral is settled (closed, or reassigned and so replaced by another) and at least one
closed, the county's retention period runs from the last of those closures.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from safetynet.intake.domain.views import Referral
from safetynet.policy.referral_lifecycle import TERMINAL

# Settled: no action starts from the referral any more (closed, or reassigned).
SETTLED = TERMINAL


def last_closure(referrals: Iterable[Referral]) -> datetime | None:
    """When the last referral was settled, or None while any is live (or none closed)."""
    referrals = list(referrals)
    if not referrals or any(r.get("status") not in SETTLED for r in referrals):
        return None
    if not any(r.get("status") == "closed" for r in referrals):
        return None
    times = [_when(r.get("updated_at")) for r in referrals]
    if any(t is None for t in times):
        return None  # cannot tell when: keep the data
    return max(t for t in times if t is not None)


def purge_due(referrals: Iterable[Referral], *, retention_days: int, now: datetime) -> bool:
    closed = last_closure(referrals)
    return closed is not None and now - closed > timedelta(days=retention_days)


def _when(value: str | None) -> datetime | None:
    """A referral's time as the view stores it (ISO 8601); None when it cannot be read."""
    if isinstance(value, str) and value:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
