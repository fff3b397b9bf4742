"""Table-driven tests of decision model v1.1's screening rules (DOMAIN.md "Decision model
v1.1", rules 3 and 4), one case per condition and per boundary.

Rule 3 (BSRS-5, 簡式健康量表): totals 5/6, 9/10, 14/15 and the suicide item 1/2. Rule 4
(early intervention): each of its three conditions at the under-18 and under-6 edges.
Without a score, or under v1, nothing changes. Codes are written out literally: renaming
one is a contract change and must fail here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.screening.domain import V1, V1_1, Bsrs5, Decision, Household, Indicators, ScreeningInput, Subject, decide
from safetynet.screening.domain.bsrs5 import band

TAIPEI = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 12, 7, 10, 0, tzinfo=TAIPEI)
COUNTY = "新竹市"
P, M, Y = f"{COUNTY}/protection", f"{COUNTY}/mental_health", f"{COUNTY}/youth_counseling"
W = f"{COUNTY}/welfare_center/東區"
SMI = ("suspected_mental_illness",)


class Directory:
    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        if kind == "welfare_center":
            return W if township == "東區" else None
        return f"{county}/{kind}"


def score(total: int, suicide: int = 0) -> Bsrs5:
    """A BSRS-5 with the given total, spread over the five items (each 0–4)."""
    items = [min(4, max(0, total - 4 * i)) for i in range(5)]
    assert sum(items) == total
    return Bsrs5(items=tuple(items), suicide=suicide)


def subj(role: str = "victim", age: int | None = 30, h: str | None = "h1") -> Subject:
    return Subject(role=role, age=age, subject_hash=h)


def build(
    *,
    categories: tuple[str, ...] = ("other",),
    subjects: tuple[Subject, ...] = (subj(),),
    under6: int | None = None,
    township: str = "東區",
    **indicators: Any,
) -> ScreeningInput:
    return ScreeningInput(
        report_id="r-11",
        county=COUNTY,
        township=township,
        received_at=RECEIVED,
        categories=frozenset(categories),
        subjects=subjects,
        household=Household(children_under_6=under6),
        indicators=Indicators(**indicators),
    )


def run(rules: Any = V1_1, **kwargs: Any) -> Decision:
    return decide(build(**kwargs), directory=Directory(), rules=rules)


def dests(decision: Decision) -> tuple[tuple[str, str | None, tuple[str, ...]], ...]:
    return tuple((d.kind, d.unit, d.reason_codes) for d in decision.destinations)


# -- rule 3: BSRS-5 ------------------------------------------------------------------------
# (facts, risk level, reason codes in order, destinations)
BSRS5_CASES = [
    # Totals alone (category "other"): 15 severe (orange + mental health), 14..10 moderate
    # (mental health only), 9 and below nothing.
    pytest.param(
        {"bsrs5": score(20)},
        "orange",
        ("BSRS5_SEVERE",),
        (("mental_health", M, ("BSRS5_SEVERE",)),),
        id="total-20-severe",
    ),
    pytest.param(
        {"bsrs5": score(15)},
        "orange",
        ("BSRS5_SEVERE",),
        (("mental_health", M, ("BSRS5_SEVERE",)),),
        id="total-15-severe",
    ),
    pytest.param(
        {"bsrs5": score(14)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "BSRS5_MODERATE"),
        (("mental_health", M, ("BSRS5_MODERATE",)),),
        id="total-14-moderate",
    ),
    pytest.param(
        {"bsrs5": score(10)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "BSRS5_MODERATE"),
        (("mental_health", M, ("BSRS5_MODERATE",)),),
        id="total-10-moderate",
    ),
    pytest.param(
        {"bsrs5": score(9)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "REVIEW_NO_DESTINATION"),
        (),
        id="total-9-mild-nothing",
    ),
    # The suicide item: 2 counts as suicide ideation (orange + mental health), 1 does not.
    pytest.param(
        {"bsrs5": score(0, suicide=2)},
        "orange",
        ("BSRS5_SUICIDE",),
        (("mental_health", M, ("BSRS5_SUICIDE",)),),
        id="suicide-2",
    ),
    pytest.param(
        {"bsrs5": score(0, suicide=1)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "REVIEW_NO_DESTINATION"),
        (),
        id="suicide-1-nothing",
    ),
    pytest.param(
        {"bsrs5": score(16, suicide=4)},
        "orange",
        ("BSRS5_SUICIDE", "BSRS5_SEVERE"),
        (("mental_health", M, ("BSRS5_SUICIDE", "BSRS5_SEVERE")),),
        id="suicide-4-and-severe",
    ),
    # The low screen holds back a mental-health destination triggered only by suspected
    # mental illness: total 5 / suicide 1 holds it, total 6 or suicide 2 does not.
    pytest.param(
        {"categories": SMI, "bsrs5": score(5, suicide=1)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "MH_LOW_SCREEN"),
        (("mental_health", None, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),),
        id="low-screen-total-5-suicide-1",
    ),
    pytest.param(
        {"suspected_mental_illness": True, "bsrs5": score(0)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "MH_LOW_SCREEN"),
        (("mental_health", None, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),),
        id="low-screen-indicator-total-0",
    ),
    pytest.param(
        {"categories": SMI, "bsrs5": score(6, suicide=1)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"),
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),),
        id="total-6-mild-not-held",
    ),
    pytest.param(
        {"categories": SMI, "bsrs5": score(5, suicide=2)},
        "orange",
        ("BSRS5_SUICIDE", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"),
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "BSRS5_SUICIDE")),),
        id="total-5-suicide-2-not-held",
    ),
    pytest.param(
        {"categories": SMI, "bsrs5": score(12)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "BSRS5_MODERATE"),
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "BSRS5_MODERATE")),),
        id="moderate-with-smi",
    ),
    # Suspected mental illness is not the only trigger: not held.
    pytest.param(
        {"categories": ("suspected_mental_illness", "suicide_risk"), "bsrs5": score(0)},
        "green",
        ("GREEN_NO_RISK_CONDITION", "DEST_MENTAL_HEALTH_SUICIDE_RISK", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"),
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_RISK", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS")),),
        id="smi-and-suicide-risk-not-held",
    ),
    pytest.param(
        {"categories": SMI, "suicide_ideation": True, "bsrs5": score(0)},
        "orange",
        ("ORANGE_SUICIDE_IDEATION", "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "DEST_MENTAL_HEALTH_SUICIDE_IDEATION"),
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "DEST_MENTAL_HEALTH_SUICIDE_IDEATION")),),
        id="smi-and-ideation-indicator-not-held",
    ),
    # With a protection category (the co-case of strategy 3): not held.
    pytest.param(
        {"categories": ("elder_abuse",), "suspected_mental_illness": True, "bsrs5": score(0)},
        "orange",
        (
            "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION",
            "YELLOW_PROTECTION_CATEGORY",
            "DEST_PROTECTION_CATEGORY",
            "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
            "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
        ),
        (
            ("protection", P, ("DEST_PROTECTION_CATEGORY",)),
            ("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE")),
        ),
        id="protection-co-case-not-held",
    ),
    # Other destinations are unaffected by the hold.
    pytest.param(
        {"categories": ("suspected_mental_illness", "vulnerable_family"), "bsrs5": score(3)},
        "green",
        (
            "GREEN_NO_RISK_CONDITION",
            "DEST_WELFARE_VULNERABLE_FAMILY",
            "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
            "MH_LOW_SCREEN",
        ),
        (
            ("welfare_center", W, ("DEST_WELFARE_VULNERABLE_FAMILY",)),
            ("mental_health", None, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),
        ),
        id="low-screen-welfare-unaffected",
    ),
    # Beside an unmapped township, each missing unit says why.
    pytest.param(
        {"categories": ("suspected_mental_illness", "vulnerable_family"), "township": "不存在里", "bsrs5": score(0)},
        "green",
        (
            "GREEN_NO_RISK_CONDITION",
            "DEST_WELFARE_VULNERABLE_FAMILY",
            "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
            "REVIEW_UNIT_NOT_MAPPED",
            "MH_LOW_SCREEN",
        ),
        (
            ("welfare_center", None, ("DEST_WELFARE_VULNERABLE_FAMILY",)),
            ("mental_health", None, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),
        ),
        id="low-screen-and-unmapped-township",
    ),
]


@pytest.mark.parametrize(("facts", "level", "codes", "destinations"), BSRS5_CASES)
def test_bsrs5_rule(facts: dict[str, Any], level: str, codes: tuple[str, ...], destinations: tuple[Any, ...]) -> None:
    decision = run(**facts)
    assert (decision.risk_level, decision.reason_codes, dests(decision)) == (level, codes, destinations)
    assert decision.rule_version == "v1.1.0" and not decision.direct_dispatch
    assert decision.needs_review  # none of these is red or a direct dispatch


def test_a_held_mental_health_destination_leaves_a_red_reports_other_units_assigned() -> None:
    decision = run(categories=("suspected_mental_illness", "vulnerable_family"), weapon=True, bsrs5=score(1))
    assert decision.risk_level == "red" and decision.urgent and decision.needs_review
    assert dests(decision) == (
        ("welfare_center", W, ("DEST_WELFARE_VULNERABLE_FAMILY",)),
        ("mental_health", None, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),
    )
    assert "MH_LOW_SCREEN" in decision.reason_codes and "REVIEW_UNIT_NOT_MAPPED" not in decision.reason_codes


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, "normal"),
        (5, "normal"),
        (6, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (20, "severe"),
    ],
)
def test_bands_are_the_scales(total: int, expected: str) -> None:
    assert band(total) == expected


def test_the_severe_and_suicide_conditions_are_explained_once() -> None:
    decision = run(bsrs5=score(18, suicide=3))
    assert decision.reason_codes == ("BSRS5_SUICIDE", "BSRS5_SEVERE")
    assert len(set(decision.reason_codes)) == len(decision.reason_codes)
    assert [r.text for r in decision.reasons][1].startswith("BSRS-5 總分 ≥ 15")


def test_a_score_changes_nothing_when_the_switch_is_off() -> None:
    bsrs5_off = replace(V1_1, switches={**V1_1.switches, "bsrs5_screening": False})
    for facts in ({"bsrs5": score(20, suicide=4)}, {"categories": SMI, "bsrs5": score(0)}):
        without = {k: v for k, v in facts.items() if k != "bsrs5"}
        assert dests(run(bsrs5_off, **facts)) == dests(run(bsrs5_off, **without))
        assert run(bsrs5_off, **facts).reason_codes == run(bsrs5_off, **without).reason_codes
        assert run(V1, **facts) == run(V1, **without)


WITHOUT_BSRS5 = [
    {},
    {"tipvda_score": 8},
    {"categories": SMI},
    {"categories": ("suspected_mental_illness", "intimate_partner_violence"), "under6": 1},
    {"categories": ("vulnerable_family",), "economic_hardship": True, "township": "不存在里"},
    {"categories": ("youth_deviance",), "subjects": (subj("youth", 14),)},
    {"suicide_ideation": True, "suicide_attempt": True},
    {"categories": ("elder_abuse",), "injury": "minor"},
]


@pytest.mark.parametrize("facts", WITHOUT_BSRS5)
def test_without_bsrs5_and_without_a_severe_child_abuse_case_v1_1_decides_as_v1(facts: dict[str, Any]) -> None:
    v1, v11 = run(V1, **facts), run(V1_1, **facts)
    assert (v1.rule_version, v11.rule_version) == ("v1.0.0", "v1.1.0")
    assert v11 == replace(v1, rule_version="v1.1.0", routing_rules=("open_case_link", "long_term_care"))


# -- rule 4: early intervention --------------------------------------------------------------
CSE = ("child_sexual_exploitation",)
SA = ("sexual_assault",)
CM = ("child_maltreatment",)
# (facts, whether EARLY_INTERVENTION holds)
EARLY_CASES = [
    # Condition 1: child maltreatment with a severe injury, a victim or child under 18.
    pytest.param(
        {"categories": CM, "injury": "severe", "subjects": (subj("victim", 17),)}, True, id="severe-victim-17"
    ),
    pytest.param(
        {"categories": CM, "injury": "severe", "subjects": (subj("victim", 18),)}, False, id="severe-victim-18"
    ),
    pytest.param({"categories": CM, "injury": "severe", "subjects": (subj("child", 0),)}, True, id="severe-child-0"),
    pytest.param(
        {"categories": CM, "injury": "severe", "subjects": (subj("youth", 15),)}, False, id="severe-youth-role"
    ),
    pytest.param(
        {"categories": CM, "injury": "severe", "subjects": (subj("offender", 16), subj("victim", 40))},
        False,
        id="severe-only-offender-minor",
    ),
    pytest.param(
        {"categories": CM, "injury": "severe", "subjects": (subj("victim", None),)}, False, id="severe-age-unknown"
    ),
    pytest.param(
        {"categories": ("elder_abuse",), "injury": "severe", "subjects": (subj("victim", 10),)},
        False,
        id="severe-not-maltreatment",
    ),
    # Condition 2: child maltreatment, a subject under 6, any injury.
    pytest.param({"categories": CM, "injury": "minor", "subjects": (subj("child", 5),)}, True, id="minor-child-5"),
    pytest.param({"categories": CM, "injury": "minor", "subjects": (subj("child", 6),)}, False, id="minor-child-6"),
    pytest.param(
        {"categories": CM, "injury": "minor", "subjects": (subj("victim", 12), subj("adult", 5, "h2"))},
        True,
        id="minor-victim-12-other-subject-5",
    ),
    pytest.param(
        {"categories": CM, "injury": "minor", "subjects": (subj("child", 8),), "under6": 1},
        False,
        id="minor-household-count-only",
    ),
    pytest.param({"categories": CM, "injury": "none", "subjects": (subj("child", 3),)}, False, id="no-injury-child-3"),
    pytest.param({"categories": CM, "subjects": (subj("child", 3),)}, False, id="injury-unstated-child-3"),
    # Condition 3: sexual assault or exploitation, the offender living with the victim.
    pytest.param(
        {"categories": SA, "offender_lives_with_victim": True, "subjects": (subj("victim", 17),)},
        True,
        id="sa-cohabiting-17",
    ),
    pytest.param(
        {"categories": SA, "offender_lives_with_victim": True, "subjects": (subj("victim", 18),)},
        False,
        id="sa-cohabiting-18",
    ),
    pytest.param(
        {"categories": CSE, "offender_lives_with_victim": True, "subjects": (subj("child", 5),)},
        True,
        id="cse-cohabiting-5",
    ),
    pytest.param(
        {"categories": SA, "offender_lives_with_victim": False, "subjects": (subj("victim", 12),)},
        False,
        id="sa-not-cohabiting",
    ),
]


@pytest.mark.parametrize(("facts", "holds"), EARLY_CASES)
def test_early_intervention(facts: dict[str, Any], holds: bool) -> None:
    v1, v11 = run(V1, **facts), run(V1_1, **facts)
    assert ("EARLY_INTERVENTION" in v11.reason_codes) is holds
    assert "EARLY_INTERVENTION" not in v1.reason_codes
    # It only explains: the light, the destinations and the dispatch are v1's.
    assert (v11.risk_level, v11.destinations, v11.direct_dispatch, v11.needs_review) == (
        v1.risk_level,
        v1.destinations,
        v1.direct_dispatch,
        v1.needs_review,
    )
    if holds:
        assert v11.risk_level == "red"
        body = [c for c in v1.reason_codes if not c.startswith("REVIEW_")]
        review = [c for c in v1.reason_codes if c.startswith("REVIEW_")]
        assert list(v11.reason_codes) == [*body, "EARLY_INTERVENTION", *review]


def test_early_intervention_comes_after_direct_dispatch_and_before_review() -> None:
    decision = run(
        categories=("child_maltreatment", "intimate_partner_violence", "vulnerable_family"),
        injury="severe",
        subjects=(subj("child", 4), subj("victim", 30, "h2")),
        township="不存在里",
    )
    codes = decision.reason_codes
    assert codes[-3:] == ("DIRECT_IPV_CHILD_UNDER_6", "EARLY_INTERVENTION", "REVIEW_UNIT_NOT_MAPPED")
    assert decision.reasons[-2].text.startswith("嚴重兒虐案件")


def test_early_intervention_switch_off_gives_no_reason() -> None:
    off = replace(V1_1, switches={**V1_1.switches, "early_intervention": False})
    assert (
        "EARLY_INTERVENTION" not in run(off, categories=CM, injury="severe", subjects=(subj("child", 3),)).reason_codes
    )


def test_routing_rules_are_the_versions_routing_switches() -> None:
    assert run(V1_1).routing_rules == ("open_case_link", "long_term_care")
    assert run(V1).routing_rules == ()
    only_link = replace(V1_1, switches={**V1_1.switches, "long_term_care": False})
    assert run(only_link).routing_rules == ("open_case_link",)
