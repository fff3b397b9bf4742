"""Which reason code of a decision produced which destination kind.

Screening's destination rules (services/screening domain/destinations.py) give every
destination kind they ask for a reason code; the decision's event carries the codes but
not which kind each one asked for. The learning KPIs group referrals by the code that
produced them (the over-referral signal, DOMAIN.md "Outcomes and learning"), so the
pairing is stated here, once, and screening's tests hold its rules to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

# The code of the rule for suspected mental illness: its acceptance rate is a KPI of its own.
SUSPECTED_MENTAL_ILLNESS = "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"

# reason code -> the destination kind its rule asks for
DESTINATION_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "DEST_PROTECTION_CATEGORY": "protection",
        "DEST_WELFARE_VULNERABLE_FAMILY": "welfare_center",
        "DEST_WELFARE_SOCIAL_ASSISTANCE": "welfare_center",
        "DEST_WELFARE_ECONOMIC_HARDSHIP": "welfare_center",
        "DEST_WELFARE_CHILD_UNDER_12": "welfare_center",
        "DEST_MENTAL_HEALTH_SUICIDE_RISK": "mental_health",
        SUSPECTED_MENTAL_ILLNESS: "mental_health",
        "DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT": "mental_health",
        "DEST_MENTAL_HEALTH_SUICIDE_IDEATION": "mental_health",
        "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE": "mental_health",
        "DEST_YOUTH_COUNSELING": "youth_counseling",
        # decision model v1.1, rule 3 (BSRS-5): each also asks for mental health
        "BSRS5_SUICIDE": "mental_health",
        "BSRS5_SEVERE": "mental_health",
        "BSRS5_MODERATE": "mental_health",
    }
)


def producing_codes(kind: str, reason_codes: Iterable[str]) -> tuple[str, ...]:
    """The codes among a decision's `reason_codes` that asked for `kind`, in their order,
    without repeats. Empty: no rule asked for it (a dispatcher chose the destination)."""
    return tuple(dict.fromkeys(c for c in reason_codes if DESTINATION_REASONS.get(c) == kind))
