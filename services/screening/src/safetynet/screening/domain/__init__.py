"""Pure domain of the screening service: decision models v1 and v1.1, its rule versions and replay (no I/O)."""

from .model import (
    CATEGORIES,
    INJURIES,
    PROTECTION_CATEGORIES,
    ROLES,
    RULE_VERSION,
    Bsrs5,
    Decision,
    Destination,
    Household,
    Indicators,
    Reason,
    ScreeningInput,
    Subject,
    UnitDirectory,
)
from .reasons import REASON_TEXTS, reason
from .rules import decide
from .ruleset import RuleSet
from .ruleset_document import RuleSetDocument, RuleSetError, parse_document
from .versions import DEFAULT_VERSION, SHIPPED, SHIPPED_DOCUMENTS, V1, V1_1, shipped_version

__all__ = [
    "CATEGORIES",
    "DEFAULT_VERSION",
    "INJURIES",
    "PROTECTION_CATEGORIES",
    "REASON_TEXTS",
    "ROLES",
    "RULE_VERSION",
    "SHIPPED",
    "SHIPPED_DOCUMENTS",
    "V1",
    "V1_1",
    "Bsrs5",
    "Decision",
    "Destination",
    "Household",
    "Indicators",
    "Reason",
    "RuleSet",
    "RuleSetDocument",
    "RuleSetError",
    "ScreeningInput",
    "Subject",
    "UnitDirectory",
    "decide",
    "parse_document",
    "reason",
    "shipped_version",
]
