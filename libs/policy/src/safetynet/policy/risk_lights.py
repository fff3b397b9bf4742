"""Risk lights (風險燈號), most urgent first: the order every list and queue sorts by.

The vocabulary is the public contract's (`RiskLevel`); the order is this rule.
"""

from typing import get_args

from safetynet.contracts.report import RiskLevel

RISK_LIGHTS: tuple[str, ...] = get_args(RiskLevel)  # red, orange, yellow, green


def urgency_rank(risk_level: str | None) -> int:
    """0 for red, up to 3 for green; a report not screened yet (None) or an unknown light
    comes after every known one."""
    return RISK_LIGHTS.index(risk_level) if risk_level in RISK_LIGHTS else len(RISK_LIGHTS)
