"""The BSRS-5 (簡式健康量表, the "心情溫度計") as the programme reads it: its bands and
the suicidal-thoughts item's threshold (decision model v1.1, rule 3).

Shared because two services read a score: screening decides with it, intake shows it to
dispatchers and groups the mental-health acceptance KPI by its band. The bands are the
scale's own, not a rule version's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict

# The total of the five items (0–20): 0–5 normal, 6–9 mild, 10–14 moderate, 15+ severe.
MILD_FROM: Final = 6
MODERATE_FROM: Final = 10
SEVERE_FROM: Final = 15
BANDS: Final = ("normal", "mild", "moderate", "severe")
NOT_SCREENED: Final = "not_screened"  # the KPI group of reports without a score
# The extra item (suicidal thoughts, 0–4): 2 or more counts as suicide ideation.
SUICIDE_ITEM_FROM: Final = 2

BAND_LABELS: Final = {
    "normal": "正常 / normal (0-5)",
    "mild": "輕度 / mild (6-9)",
    "moderate": "中度 / moderate (10-14)",
    "severe": "重度 / severe (15+)",
    NOT_SCREENED: "未施測 / not screened",
}


def band(total: int) -> str:
    """normal | mild | moderate | severe."""
    if total >= SEVERE_FROM:
        return "severe"
    if total >= MODERATE_FROM:
        return "moderate"
    return "mild" if total >= MILD_FROM else "normal"


class Bsrs5Summary(TypedDict):
    items: list[int]
    total: int
    band: str
    suicide: int
    suicide_ideation: bool  # the suicide item counts as suicide ideation


def summary(score: Mapping[str, Any] | None) -> Bsrs5Summary | None:
    """A stored score (the contract's {"items": [...], "suicide": n}) as dispatchers see it."""
    if not score:
        return None
    items: Sequence[int] = score["items"]
    total = sum(items)
    suicide = int(score["suicide"])
    return Bsrs5Summary(
        items=list(items), total=total, band=band(total), suicide=suicide, suicide_ideation=suicide >= SUICIDE_ITEM_FROM
    )


def of_indicators(indicators: Mapping[str, object] | None) -> Bsrs5Summary | None:
    """The score among a report's stored indicators, read; None without one."""
    score = (indicators or {}).get("bsrs5")
    return summary(score) if isinstance(score, Mapping) else None


def band_of_indicators(indicators: Mapping[str, object] | None) -> str | None:
    """The band of a report's stored indicators, or None without a score."""
    scored = of_indicators(indicators)
    return scored["band"] if scored else None
