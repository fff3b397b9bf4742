"""Direct dispatch (逕派), as far as screening can tell from the report.

The third condition, a referral closed within 365 days (re-report after closure,
結案後再報), is decided by routing, which owns the closures: screening would hear of
a closure only after routing's event, and a report received in between would be judged
without it. See routing's domain/rereport.py.
"""

from __future__ import annotations

from . import reasons as r
from .facts import named_in_earlier_report, young_child_in_household
from .model import ScreeningInput
from .ruleset import RuleSet


def direct_dispatch_codes(report: ScreeningInput, rules: RuleSet) -> tuple[str, ...]:
    """Every direct-dispatch condition screening decides that held. Red is deliberately
    not one of them (red is assigned at once and flagged urgent, but is not a 逕派)."""
    held: list[str] = []
    if "intimate_partner_violence" in report.categories and young_child_in_household(report, rules.young_child_under):
        held.append(r.DIRECT_IPV_CHILD_UNDER_6)
    if named_in_earlier_report(report):
        held.append(r.DIRECT_EARLIER_REPORT)
    return tuple(rules.keep_enabled(held))
