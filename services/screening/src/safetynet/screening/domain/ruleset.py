"""A rule version: the parameters decision model v1 (and later v1.1) decides with.

The rules themselves are code (risk.py, destinations.py, dispatch.py); what a version
may change is data: the TIPVDA thresholds, the age limits, which boolean indicators
count for which rule, which rules are switched off, and the v1.1 switches. A version is
written as a document (ruleset_document.py validates it; the shipped ones are
package data, versions.py); this frozen value is what the rules read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import reasons as r
from .model import Indicators, ScreeningInput

# The rules whose trigger is one or more boolean indicators: a version says which
# indicators count for each (v1: the indicator of the same name).
INDICATOR_RULES: tuple[str, ...] = (
    r.RED_THREAT_TO_KILL,
    r.RED_WEAPON,
    r.RED_SUICIDE_ATTEMPT,
    r.ORANGE_SUICIDE_IDEATION,
    r.YELLOW_YOUTH_LAW_VIOLATION,
    r.DEST_WELFARE_ECONOMIC_HARDSHIP,
    r.DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT,
    r.DEST_MENTAL_HEALTH_SUICIDE_IDEATION,
)

# The boolean indicators of the contract, the values INDICATOR_RULES may name.
BOOLEAN_INDICATORS: tuple[str, ...] = tuple(
    name for name, value in vars(Indicators()).items() if isinstance(value, bool)
)

# Codes that explain rather than decide (no risk condition, the youth rule's age note,
# why a dispatcher must act): a version cannot switch them off.
NOT_SWITCHABLE: frozenset[str] = frozenset(
    {r.GREEN_NO_RISK_CONDITION, r.YOUTH_AGE_OUT_OF_SCOPE, r.REVIEW_NO_DESTINATION, r.REVIEW_UNIT_NOT_MAPPED}
)
SWITCHABLE_RULES: frozenset[str] = frozenset(r.REASON_TEXTS) - NOT_SWITCHABLE

# The four rules of decision model v1.1 (DOMAIN.md), off in v1. A switch may be turned
# on only once its rule is built: IMPLEMENTED_V1_1 grows as they land.
V1_1_SWITCHES: tuple[str, ...] = ("open_case_link", "long_term_care", "bsrs5_screening", "early_intervention")
# All four are built: bsrs5_screening and early_intervention here (bsrs5.py,
# early_intervention.py); open_case_link and long_term_care by routing, which reads them
# from ReportScreened.routing_rules (ROUTING_SWITCHES).
IMPLEMENTED_V1_1: frozenset[str] = frozenset(V1_1_SWITCHES)
ROUTING_SWITCHES: tuple[str, ...] = ("open_case_link", "long_term_care")


@dataclass(frozen=True)
class RuleSet:
    version: str  # recorded with every decision, e.g. "v1.0.0"
    model: str  # the decision model it parameterises: "v1" (later "v1.1")
    title: str
    tipvda_red: int  # score >= this: red
    tipvda_orange: int  # score >= this (and below red): orange
    # Applied by intake at acceptance (the subjects' named_in_earlier_report flags);
    # carried so a version states it, and checked to be the policy's window.
    repeat_window_hours: int
    young_child_under: int  # "a child under 6"
    youth_counseling_from: int  # 少年: from 12 …
    adult_from: int  # … to 17; from 18 the youth rule gives no destination
    indicators: Mapping[str, frozenset[str]] = field(default_factory=dict)
    disabled_rules: frozenset[str] = frozenset()
    switches: Mapping[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "indicators", MappingProxyType(dict(self.indicators)))
        object.__setattr__(self, "switches", MappingProxyType(dict(self.switches)))

    def enabled(self, code: str) -> bool:
        return code not in self.disabled_rules

    def switched_on(self, switch: str) -> bool:
        return self.switches.get(switch, False)

    def routing_rules(self) -> tuple[str, ...]:
        """The switched-on v1.1 rules routing applies, passed on with each decision."""
        return tuple(name for name in ROUTING_SWITCHES if self.switched_on(name))

    def indicator_holds(self, code: str, report: ScreeningInput) -> bool:
        """Whether any indicator that counts for rule `code` is set on the report."""
        return any(getattr(report.indicators, name) for name in self.indicators.get(code, ()))

    def keep_enabled(self, codes: list[str]) -> list[str]:
        return [code for code in codes if self.enabled(code)]
