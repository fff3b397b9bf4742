"""The written form of a rule version (one JSON document per version) and its checks.

Strict like the intake contract: an unknown field, a wrong type or a misspelt rule code
is refused, naming the field, because a typo in a candidate must not silently switch a
rule off. A document is complete: it states every parameter (copy a shipped one with
`safetynet rules show v1 --json` and edit it).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, model_validator

from safetynet.policy.repeat_window import REPEAT_WINDOW

from .ruleset import BOOLEAN_INDICATORS, IMPLEMENTED_V1_1, INDICATOR_RULES, SWITCHABLE_RULES, V1_1_SWITCHES, RuleSet

VERSION_PATTERN = r"^v\d+\.\d+\.\d+(-[a-z0-9][a-z0-9.-]{0,20})?$"
Score = Annotated[StrictInt, Field(ge=0, le=15)]  # the 15-item TIPVDA
Age = Annotated[StrictInt, Field(ge=0, le=30)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskParameters(_Strict):
    tipvda_red: Score
    tipvda_orange: Score

    @model_validator(mode="after")
    def _orange_below_red(self) -> RiskParameters:
        if self.tipvda_orange > self.tipvda_red:
            raise ValueError("tipvda_orange must not be above tipvda_red")
        return self


class AgeLimits(_Strict):
    young_child_under: Age
    youth_counseling_from: Age
    adult_from: Age

    @model_validator(mode="after")
    def _in_order(self) -> AgeLimits:
        if not self.young_child_under <= self.youth_counseling_from < self.adult_from:
            raise ValueError("ages must satisfy young_child_under <= youth_counseling_from < adult_from")
        return self


class RuleSetDocument(_Strict):
    version: Annotated[str, Field(pattern=VERSION_PATTERN, max_length=40)]
    model: Annotated[str, Field(pattern=r"^v\d+(\.\d+)?$")]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    risk: RiskParameters
    repeat_window_hours: StrictInt
    ages: AgeLimits
    indicators: dict[str, list[str]]
    disabled_rules: list[str]
    v1_1: dict[str, StrictBool]

    @model_validator(mode="after")
    def _known_names(self) -> RuleSetDocument:
        window = int(REPEAT_WINDOW.total_seconds() // 3600)
        if self.repeat_window_hours != window:
            raise ValueError(
                f"repeat_window_hours must be {window}: intake applies the window at acceptance "
                "(safetynet.policy.repeat_window), so a version cannot change it yet"
            )
        if set(self.indicators) != set(INDICATOR_RULES):
            missing = sorted(set(INDICATOR_RULES) - set(self.indicators))
            unknown = sorted(set(self.indicators) - set(INDICATOR_RULES))
            raise ValueError(f"indicators: missing rules {missing}, unknown rules {unknown}")
        for code, names in self.indicators.items():
            wrong = sorted(set(names) - set(BOOLEAN_INDICATORS))
            if wrong:
                raise ValueError(f"indicators.{code}: unknown indicators {wrong} (known: {list(BOOLEAN_INDICATORS)})")
        unknown_rules = sorted(set(self.disabled_rules) - SWITCHABLE_RULES)
        if unknown_rules:
            raise ValueError(f"disabled_rules: unknown or not switchable rule codes {unknown_rules}")
        if set(self.v1_1) != set(V1_1_SWITCHES):
            raise ValueError(f"v1_1: exactly the switches {list(V1_1_SWITCHES)}")
        not_built = sorted(name for name, on in self.v1_1.items() if on and name not in IMPLEMENTED_V1_1)
        if not_built:
            raise ValueError(f"v1_1: {not_built} cannot be switched on: not built in this release")
        return self

    def to_ruleset(self) -> RuleSet:
        return RuleSet(
            version=self.version,
            model=self.model,
            title=self.title,
            tipvda_red=self.risk.tipvda_red,
            tipvda_orange=self.risk.tipvda_orange,
            repeat_window_hours=self.repeat_window_hours,
            young_child_under=self.ages.young_child_under,
            youth_counseling_from=self.ages.youth_counseling_from,
            adult_from=self.ages.adult_from,
            indicators={code: frozenset(names) for code, names in self.indicators.items()},
            disabled_rules=frozenset(self.disabled_rules),
            switches=dict(self.v1_1),
        )


class RuleSetError(ValueError):
    """A rule-version document that cannot be used; the message names each bad field."""


def parse_document(raw: Any) -> RuleSetDocument:
    """The validated document, or RuleSetError naming every bad field."""
    try:
        return RuleSetDocument.model_validate(raw)
    except ValidationError as error:
        problems = [f"{'.'.join(str(part) for part in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()]
        raise RuleSetError("invalid rule version document: " + "; ".join(problems)) from None
