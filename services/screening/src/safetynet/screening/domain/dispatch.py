"""Direct dispatch (逕派) and re-report after closure (結案後再報)."""

from __future__ import annotations

from collections.abc import Iterable

from . import reasons as r
from .facts import child_under_6_in_household, named_in_earlier_report
from .model import REPEAT_WINDOW, ClosedReferral, ScreeningInput


def recent_closed_referrals(
    report: ScreeningInput, closed_referrals: Iterable[ClosedReferral]
) -> tuple[ClosedReferral, ...]:
    """Closed referrals of this report's subjects, closed strictly before the
    report was received and less than 365×24 h before it.

    Matching is by subject hash only; subjects without a national ID have no
    hash and never match. The caller may pass a wider history: filtering here
    keeps the window rule in the domain, not in a query.
    """
    hashes = {s.subject_hash for s in report.subjects if s.subject_hash is not None}
    received = report.received_at
    return tuple(
        c
        for c in closed_referrals
        if c.subject_hash in hashes
        and c.closed_at < received
        and received - c.closed_at < REPEAT_WINDOW
    )


def previous_units(recent: Iterable[ClosedReferral]) -> dict[str, str]:
    """Kind -> unit of the most recently closed referral of that kind, across
    all the report's subjects."""
    latest: dict[str, ClosedReferral] = {}
    for c in recent:
        held = latest.get(c.kind)
        # Ties on closed_at are broken by unit id so the result never depends
        # on the order the history was loaded in.
        if held is None or (c.closed_at, c.unit) > (held.closed_at, held.unit):
            latest[c.kind] = c
    return {kind: c.unit for kind, c in latest.items()}


def direct_dispatch_codes(
    report: ScreeningInput, recent: tuple[ClosedReferral, ...]
) -> tuple[str, ...]:
    """Every direct-dispatch condition that held; direct_dispatch is True
    exactly when this is non-empty. Red is deliberately not one of them
    (red is assigned at once and flagged urgent, but is not a 逕派)."""
    held: list[str] = []
    if "intimate_partner_violence" in report.categories and child_under_6_in_household(
        report
    ):
        held.append(r.DIRECT_IPV_CHILD_UNDER_6)
    if named_in_earlier_report(report):
        held.append(r.DIRECT_EARLIER_REPORT)
    if recent:
        held.append(r.DIRECT_RECENT_CLOSED_REFERRAL)
    return tuple(held)
