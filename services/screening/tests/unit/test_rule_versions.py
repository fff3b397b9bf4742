"""Rule versions as data: the shipped v1 document is decision model v1 (the policy's
thresholds, the rules' own limits), a document is checked strictly, and a candidate's
parameters move exactly the rules they name."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.policy.repeat_window import REPEAT_WINDOW
from safetynet.policy.tipvda import HIGH_DANGER
from safetynet.screening.domain import (
    DEFAULT_VERSION,
    RULE_VERSION,
    SHIPPED,
    SHIPPED_DOCUMENTS,
    V1,
    V1_1,
    Household,
    Indicators,
    RuleSetError,
    ScreeningInput,
    Subject,
    decide,
    parse_document,
    shipped_version,
)
from safetynet.screening.domain.ruleset import IMPLEMENTED_V1_1, V1_1_SWITCHES

TAIPEI = timezone(timedelta(hours=8))


class Directory:
    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        return f"{county}/{kind}"


def v1_document(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(SHIPPED_DOCUMENTS[RULE_VERSION].model_dump(mode="json"))
    document["version"] = "v1.0.0-test"
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        target = document
        for key in path:
            target = target[key]
        target[last] = value
    return document


def report(*, categories: tuple[str, ...] = ("intimate_partner_violence",), ages: tuple[int, ...] = (30,), **ind: Any):
    return ScreeningInput(
        report_id="r-1",
        county="苗栗縣",
        township="頭份市",
        received_at=datetime(2026, 11, 21, 10, 0, tzinfo=TAIPEI),
        categories=frozenset(categories),
        subjects=tuple(Subject(role="victim", age=age, subject_hash=None) for age in ages),
        household=Household(),
        indicators=Indicators(**ind),
    )


def test_v1_is_shipped_recorded_as_v1_0_0_and_v1_1_is_the_default() -> None:
    assert V1.version == RULE_VERSION == "v1.0.0" and V1.model == "v1"
    assert V1_1.version == DEFAULT_VERSION == "v1.1.0" and V1_1.model == "v1.1"
    assert set(SHIPPED) == {"v1.0.0", "v1.1.0"}
    assert shipped_version("v1") == shipped_version("v1.0.0") == "v1.0.0" and shipped_version("v2") is None
    assert shipped_version("v1.1") == shipped_version("v1.1.0") == "v1.1.0"


def test_v1_1_is_v1_with_all_four_rules_switched_on() -> None:
    assert dict(V1_1.switches) == dict.fromkeys(V1_1_SWITCHES, True) and set(IMPLEMENTED_V1_1) == set(V1_1_SWITCHES)
    assert V1_1.routing_rules() == ("open_case_link", "long_term_care") and V1.routing_rules() == ()
    same = ("tipvda_red", "tipvda_orange", "repeat_window_hours", "young_child_under", "youth_counseling_from")
    assert all(getattr(V1_1, name) == getattr(V1, name) for name in same) and V1_1.adult_from == V1.adult_from
    assert V1_1.indicators == V1.indicators and V1_1.disabled_rules == V1.disabled_rules


def test_v1_states_the_policy_thresholds_and_the_models_limits() -> None:
    assert V1.tipvda_red == HIGH_DANGER == 8 and V1.tipvda_orange == 4
    assert V1.repeat_window_hours * 3600 == REPEAT_WINDOW.total_seconds()
    assert (V1.young_child_under, V1.youth_counseling_from, V1.adult_from) == (6, 12, 18)
    assert V1.disabled_rules == frozenset() and not any(V1.switches.values())
    assert {code: set(names) for code, names in V1.indicators.items()} == {
        "RED_THREAT_TO_KILL": {"threat_to_kill"},
        "RED_WEAPON": {"weapon"},
        "RED_SUICIDE_ATTEMPT": {"suicide_attempt"},
        "ORANGE_SUICIDE_IDEATION": {"suicide_ideation"},
        "YELLOW_YOUTH_LAW_VIOLATION": {"youth_law_violation"},
        "DEST_WELFARE_ECONOMIC_HARDSHIP": {"economic_hardship"},
        "DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT": {"suicide_attempt"},
        "DEST_MENTAL_HEALTH_SUICIDE_IDEATION": {"suicide_ideation"},
    }


def test_decide_without_a_version_and_with_v1_are_the_same() -> None:
    for facts in ({"tipvda_score": 8}, {"weapon": True}, {"suicide_ideation": True, "economic_hardship": True}):
        assert decide(report(**facts), directory=Directory()) == decide(
            report(**facts), directory=Directory(), rules=V1
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"risk.tipvda_red": "9"}, "risk.tipvda_red"),
        ({"risk.tipvda_red": 16}, "risk.tipvda_red"),
        ({"risk.tipvda_orange": 9}, "tipvda_orange must not be above tipvda_red"),
        ({"risk.extra": 1}, "risk.extra"),
        ({"repeat_window_hours": 24}, "repeat_window_hours must be 8760"),
        ({"ages.adult_from": 12}, "young_child_under <= youth_counseling_from < adult_from"),
        ({"indicators.RED_WEAPON": ["wepon"]}, "indicators.RED_WEAPON: unknown indicators ['wepon']"),
        ({"indicators.RED_KNIFE": ["weapon"]}, "unknown rules ['RED_KNIFE']"),
        ({"disabled_rules": ["RED_WEPON"]}, "disabled_rules: unknown or not switchable rule codes ['RED_WEPON']"),
        ({"disabled_rules": ["REVIEW_NO_DESTINATION"]}, "not switchable"),
        ({"v1_1.link_everything": True}, "v1_1: exactly the switches"),
        ({"v1_1.bsrs5_screening": "yes"}, "v1_1.bsrs5_screening"),
        ({"version": "1.0"}, "version"),
    ],
)
def test_a_bad_document_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleSetError) as refused:
        parse_document(v1_document(**changes))
    assert field in str(refused.value)


def test_a_document_missing_a_rule_is_refused() -> None:
    document = v1_document()
    del document["indicators"]["RED_WEAPON"]
    with pytest.raises(RuleSetError, match=r"missing rules \['RED_WEAPON'\]"):
        parse_document(document)


def test_a_higher_red_threshold_moves_only_the_scores_below_it() -> None:
    strict = parse_document(v1_document(**{"risk.tipvda_red": 10})).to_ruleset()
    levels = {s: decide(report(tipvda_score=s), directory=Directory(), rules=strict).risk_level for s in range(16)}
    assert levels == {s: "red" if s >= 10 else "orange" if s >= 4 else "yellow" for s in range(16)}
    at_nine = decide(report(tipvda_score=9), directory=Directory(), rules=strict)
    assert (at_nine.rule_version, at_nine.reasons[0].code) == ("v1.0.0-test", "ORANGE_TIPVDA_MEDIUM")
    assert at_nine.reasons[0].text == "TIPVDA 分數 4–9 / TIPVDA score 4-9"
    at_ten = decide(report(tipvda_score=10), directory=Directory(), rules=strict)
    assert at_ten.reasons[0].text == "TIPVDA 分數 ≥ 10（高度危險）/ TIPVDA score >= 10"
    # Under v1 the catalogue's texts stand.
    assert decide(report(tipvda_score=9), directory=Directory()).reasons[0].text.startswith("TIPVDA 分數 ≥ 8")


def test_a_disabled_rule_neither_explains_nor_routes() -> None:
    rules = parse_document(
        v1_document(disabled_rules=["DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION"])
    ).to_ruleset()
    smi = report(suspected_mental_illness=True)
    before, after = decide(smi, directory=Directory()), decide(smi, directory=Directory(), rules=rules)
    assert [d.kind for d in before.destinations] == ["protection", "mental_health"]
    assert [d.kind for d in after.destinations] == ["protection", "mental_health"]  # the co-case rule still holds
    assert (before.risk_level, after.risk_level) == ("orange", "yellow")
    assert "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS" not in after.reason_codes
    assert "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE" in after.reason_codes


def test_which_indicators_count_for_a_rule_is_the_versions() -> None:
    rules = parse_document(
        v1_document(**{"indicators.RED_WEAPON": ["weapon", "threat_to_kill"], "indicators.RED_THREAT_TO_KILL": []})
    ).to_ruleset()
    decision = decide(report(categories=("other",), threat_to_kill=True), directory=Directory(), rules=rules)
    assert (decision.risk_level, decision.reason_codes[0]) == ("red", "RED_WEAPON")


def test_the_age_limits_are_the_versions() -> None:
    rules = parse_document(v1_document(**{"ages.youth_counseling_from": 10})).to_ruleset()
    youth = report(categories=("youth_deviance",), ages=(11,))
    assert [d.kind for d in decide(youth, directory=Directory()).destinations] == ["welfare_center"]
    assert [d.kind for d in decide(youth, directory=Directory(), rules=rules).destinations] == ["youth_counseling"]
