"""Pure domain of the screening service: decision model v1 (no I/O)."""

from .model import (
    CATEGORIES,
    INJURIES,
    PROTECTION_CATEGORIES,
    ROLES,
    RULE_VERSION,
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

__all__ = [
    "CATEGORIES",
    "INJURIES",
    "PROTECTION_CATEGORIES",
    "REASON_TEXTS",
    "ROLES",
    "RULE_VERSION",
    "Decision",
    "Destination",
    "Household",
    "Indicators",
    "Reason",
    "ScreeningInput",
    "Subject",
    "UnitDirectory",
    "decide",
    "reason",
]
