"""Table-driven tests of decision model v1 (DOMAIN.md "Decision model v1" and
"Settled details").

Every case asserts concrete values (exact level, exact codes, exact
destinations), so breaking, widening or narrowing any rule fails a case.
Reason codes are written out literally rather than imported: renaming a code
is a contract change and must fail here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.screening.domain import (
    REASON_TEXTS,
    RULE_VERSION,
    Decision,
    Destination,
    Household,
    Indicators,
    ScreeningInput,
    Subject,
    decide,
)

TAIPEI = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 11, 21, 10, 30, tzinfo=TAIPEI)
COUNTY = "苗栗縣"
P = "苗栗縣/protection"
W = "苗栗縣/welfare_center/頭份區"
M = "苗栗縣/mental_health"
Y = "苗栗縣/youth_counseling"
UNMAPPED = "不存在鄉"  # a township the fake directory does not map

PROTECTION = (
    "intimate_partner_violence",
    "other_family_violence",
    "child_maltreatment",
    "sexual_assault",
    "child_sexual_exploitation",
    "elder_abuse",
    "disability_abuse",
)
RISK_PREFIXES = ("RED_", "ORANGE_", "YELLOW_", "GREEN_")


@dataclass
class FakeDirectory:
    """County data as the adapter will serve it: one unit per county for
    protection / mental_health / youth_counseling, a district center per
    mapped township for welfare_center."""

    welfare_centers: dict[str, str] = field(
        default_factory=lambda: {
            "頭份市": "頭份區",
            "三灣鄉": "頭份區",
            "竹南鎮": "竹南區",
        }
    )
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        self.calls.append((county, kind, township))
        if kind == "welfare_center":
            center = self.welfare_centers.get(township)
            return f"{county}/welfare_center/{center}" if center else None
        return f"{county}/{kind}"


def subj(
    role: str = "victim",
    age: int | None = 30,
    h: str | None = "h-victim",
    earlier: bool = False,
) -> Subject:
    return Subject(role=role, age=age, subject_hash=h, named_in_earlier_report=earlier)


def build(
    *,
    categories: tuple[str, ...] = ("other",),
    subjects: tuple[Subject, ...] | None = None,
    under6: int | None = None,
    township: str = "頭份市",
    **indicators: Any,
) -> ScreeningInput:
    return ScreeningInput(
        report_id="r-1",
        county=COUNTY,
        township=township,
        received_at=RECEIVED,
        categories=frozenset(categories),
        subjects=subjects if subjects is not None else (subj(),),
        household=Household(children_under_6=under6),
        indicators=Indicators(**indicators),
    )


def run(directory: FakeDirectory | None = None, **kwargs: Any) -> Decision:
    return decide(build(**kwargs), directory=directory or FakeDirectory())


def risk_codes(decision: Decision) -> tuple[str, ...]:
    return tuple(c for c in decision.reason_codes if c.startswith(RISK_PREFIXES))


def dests(decision: Decision) -> tuple[tuple[str, str | None, tuple[str, ...]], ...]:
    return tuple((d.kind, d.unit, d.reason_codes) for d in decision.destinations)


# --------------------------------------------------------------------------
# Risk light: one case per condition, plus the case just below each threshold.
# (kwargs for build, expected level, expected risk reason codes in order)
# --------------------------------------------------------------------------
IPV = ("intimate_partner_violence",)
CM = ("child_maltreatment",)
RISK_CASES = [
    pytest.param({}, "green", ("GREEN_NO_RISK_CONDITION",), id="green-other-only"),
    # TIPVDA thresholds: 8+ red, 4-7 orange, 3 nothing.
    pytest.param({"tipvda_score": 15}, "red", ("RED_TIPVDA_HIGH",), id="red-tipvda-15"),
    pytest.param({"tipvda_score": 8}, "red", ("RED_TIPVDA_HIGH",), id="red-tipvda-8"),
    pytest.param({"tipvda_score": 7}, "orange", ("ORANGE_TIPVDA_MEDIUM",), id="orange-tipvda-7"),
    pytest.param({"tipvda_score": 4}, "orange", ("ORANGE_TIPVDA_MEDIUM",), id="orange-tipvda-4"),
    pytest.param({"tipvda_score": 3}, "green", ("GREEN_NO_RISK_CONDITION",), id="green-tipvda-3"),
    pytest.param({"tipvda_score": 0}, "green", ("GREEN_NO_RISK_CONDITION",), id="green-tipvda-0"),
    # Injury.
    pytest.param({"injury": "severe"}, "red", ("RED_INJURY_SEVERE",), id="red-injury-severe"),
    pytest.param(
        {"injury": "minor"},
        "orange",
        ("ORANGE_INJURY_MINOR",),
        id="orange-injury-minor",
    ),
    pytest.param(
        {"injury": "none"},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-injury-none",
    ),
    # Single red indicators.
    pytest.param({"threat_to_kill": True}, "red", ("RED_THREAT_TO_KILL",), id="red-threat"),
    pytest.param({"weapon": True}, "red", ("RED_WEAPON",), id="red-weapon"),
    pytest.param({"suicide_attempt": True}, "red", ("RED_SUICIDE_ATTEMPT",), id="red-attempt"),
    pytest.param(
        {"suicide_ideation": True},
        "orange",
        ("ORANGE_SUICIDE_IDEATION",),
        id="orange-ideation",
    ),
    # Sexual offences with a cohabiting offender.
    pytest.param(
        {"categories": ("sexual_assault",), "offender_lives_with_victim": True},
        "red",
        ("RED_SEXUAL_OFFENDER_COHABITING", "YELLOW_PROTECTION_CATEGORY"),
        id="red-sexual-assault-cohabiting",
    ),
    pytest.param(
        {
            "categories": ("child_sexual_exploitation",),
            "offender_lives_with_victim": True,
        },
        "red",
        ("RED_SEXUAL_OFFENDER_COHABITING", "YELLOW_PROTECTION_CATEGORY"),
        id="red-csexp-cohabiting",
    ),
    pytest.param(
        {"categories": ("sexual_assault",)},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-sexual-assault-not-cohabiting",
    ),
    pytest.param(
        {"categories": ("other_family_violence",), "offender_lives_with_victim": True},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-cohabiting-not-sexual",
    ),
    # Child maltreatment: needs a SUBJECT under 6 and injury minor or severe.
    pytest.param(
        {"categories": CM, "subjects": (subj("child", 5),), "injury": "minor"},
        "red",
        (
            "RED_CHILD_UNDER_6_MALTREATMENT_INJURY",
            "ORANGE_INJURY_MINOR",
            "YELLOW_PROTECTION_CATEGORY",
        ),
        id="red-child-5-minor-injury",
    ),
    pytest.param(
        {"categories": CM, "subjects": (subj("child", 0),), "injury": "severe"},
        "red",
        (
            "RED_INJURY_SEVERE",
            "RED_CHILD_UNDER_6_MALTREATMENT_INJURY",
            "YELLOW_PROTECTION_CATEGORY",
        ),
        id="red-child-0-severe-injury",
    ),
    pytest.param(
        {"categories": CM, "subjects": (subj("child", 6),), "injury": "minor"},
        "orange",
        ("ORANGE_INJURY_MINOR", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-child-6-minor-injury",
    ),
    pytest.param(
        {"categories": CM, "subjects": (subj("child", None),), "injury": "minor"},
        "orange",
        ("ORANGE_INJURY_MINOR", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-child-unknown-age-minor-injury",
    ),
    pytest.param(
        {
            "categories": CM,
            "subjects": (subj("child", 8),),
            "under6": 2,
            "injury": "minor",
        },
        "orange",
        ("ORANGE_INJURY_MINOR", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-household-under6-is-not-an-injured-subject",
    ),
    pytest.param(
        {"categories": CM, "subjects": (subj("child", 5),), "injury": "none"},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-child-5-no-injury",
    ),
    pytest.param(
        {
            "categories": ("elder_abuse",),
            "subjects": (subj("child", 5),),
            "injury": "minor",
        },
        "orange",
        ("ORANGE_INJURY_MINOR", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-child-5-injured-not-maltreatment",
    ),
    # Suspected mental illness (category OR indicator) with protection.
    pytest.param(
        {"categories": ("elder_abuse", "suspected_mental_illness")},
        "orange",
        ("ORANGE_MENTAL_ILLNESS_WITH_PROTECTION", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-smi-category-with-protection",
    ),
    pytest.param(
        {"categories": ("disability_abuse",), "suspected_mental_illness": True},
        "orange",
        ("ORANGE_MENTAL_ILLNESS_WITH_PROTECTION", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-smi-indicator-with-protection",
    ),
    pytest.param(
        {"categories": ("suspected_mental_illness",)},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-smi-category-alone",
    ),
    pytest.param(
        {"suspected_mental_illness": True},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-smi-indicator-alone",
    ),
    # Earlier report (matched by hash only).
    pytest.param(
        {"subjects": (subj(earlier=True),)},
        "orange",
        ("ORANGE_EARLIER_REPORT",),
        id="orange-earlier",
    ),
    pytest.param(
        {"subjects": (subj("adult", 40, None), subj("victim", 20, "h2", earlier=True))},
        "orange",
        ("ORANGE_EARLIER_REPORT",),
        id="orange-earlier-second-subject",
    ),
    pytest.param(
        {"subjects": (subj(h=None, earlier=True),)},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-earlier-flag-without-id-ignored",
    ),
    # Intimate-partner violence with a child under 6 (subject or household).
    pytest.param(
        {"categories": IPV, "under6": 1},
        "orange",
        ("ORANGE_IPV_CHILD_UNDER_6", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-ipv-household-under6-1",
    ),
    pytest.param(
        {"categories": IPV, "subjects": (subj(), subj("child", 5, None))},
        "orange",
        ("ORANGE_IPV_CHILD_UNDER_6", "YELLOW_PROTECTION_CATEGORY"),
        id="orange-ipv-subject-5",
    ),
    pytest.param(
        {"categories": IPV, "subjects": (subj(), subj("child", 6, None)), "under6": 0},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-ipv-subject-6-household-0",
    ),
    pytest.param(
        {"categories": IPV},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-ipv-household-unknown",
    ),
    pytest.param(
        {"categories": ("other_family_violence",), "under6": 1},
        "yellow",
        ("YELLOW_PROTECTION_CATEGORY",),
        id="yellow-other-family-violence-under6-not-ipv",
    ),
    # Yellow: each protection category alone, youth law violation,
    # vulnerable family with a child under 6.
    *[
        pytest.param(
            {"categories": (cat,)},
            "yellow",
            ("YELLOW_PROTECTION_CATEGORY",),
            id=f"yellow-{cat}",
        )
        for cat in PROTECTION
    ],
    pytest.param(
        {"subjects": (subj("youth", 15),), "youth_law_violation": True},
        "yellow",
        ("YELLOW_YOUTH_LAW_VIOLATION",),
        id="yellow-youth-law-violation",
    ),
    pytest.param(
        {"categories": ("youth_deviance",), "subjects": (subj("youth", 15),)},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-youth-deviance-category-is-not-law-violation",
    ),
    pytest.param(
        {"categories": ("vulnerable_family",), "under6": 1},
        "yellow",
        ("YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6",),
        id="yellow-vulnerable-household-under6",
    ),
    pytest.param(
        {"categories": ("vulnerable_family",), "subjects": (subj("child", 5),)},
        "yellow",
        ("YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6",),
        id="yellow-vulnerable-subject-5",
    ),
    pytest.param(
        {
            "categories": ("vulnerable_family",),
            "subjects": (subj("child", 6),),
            "under6": 0,
        },
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-vulnerable-subject-6",
    ),
    pytest.param(
        {"categories": ("vulnerable_family",), "subjects": (subj("child", None),)},
        "green",
        ("GREEN_NO_RISK_CONDITION",),
        id="green-vulnerable-subject-unknown-age",
    ),
    # Every condition at every level is reported, not only the winning level's.
    pytest.param(
        {
            "categories": IPV,
            "under6": 1,
            "tipvda_score": 9,
            "weapon": True,
            "suicide_ideation": True,
            "suspected_mental_illness": True,
            "youth_law_violation": True,
            "subjects": (subj(earlier=True), subj("youth", 15, None)),
        },
        "red",
        (
            "RED_TIPVDA_HIGH",
            "RED_WEAPON",
            "ORANGE_SUICIDE_IDEATION",
            "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION",
            "ORANGE_EARLIER_REPORT",
            "ORANGE_IPV_CHILD_UNDER_6",
            "YELLOW_PROTECTION_CATEGORY",
            "YELLOW_YOUTH_LAW_VIOLATION",
        ),
        id="red-with-every-level-listed",
    ),
    pytest.param(
        {
            "categories": ("vulnerable_family", "elder_abuse"),
            "under6": 1,
            "tipvda_score": 5,
        },
        "orange",
        (
            "ORANGE_TIPVDA_MEDIUM",
            "YELLOW_PROTECTION_CATEGORY",
            "YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6",
        ),
        id="orange-with-yellow-listed",
    ),
]


@pytest.mark.parametrize(("kwargs", "level", "codes"), RISK_CASES)
def test_risk_light(kwargs: dict[str, Any], level: str, codes: tuple[str, ...]) -> None:
    decision = run(**kwargs)
    assert decision.risk_level == level
    assert risk_codes(decision) == codes
    assert decision.urgent is (level == "red")
    assert decision.rule_version == "v1.0.0"


# --------------------------------------------------------------------------
# Destinations: one case per rule, co-cases, de-duplication, youth ages.
# (kwargs for build, expected (kind, unit, reason_codes) in stable order)
# --------------------------------------------------------------------------
PROT = ("protection", P, ("DEST_PROTECTION_CATEGORY",))
DEST_CASES = [
    *[pytest.param({"categories": (cat,)}, (PROT,), id=f"protection-{cat}") for cat in PROTECTION],
    pytest.param(
        {"categories": ("vulnerable_family",)},
        (("welfare_center", W, ("DEST_WELFARE_VULNERABLE_FAMILY",)),),
        id="welfare-vulnerable-family",
    ),
    pytest.param(
        {"categories": ("social_assistance",)},
        (("welfare_center", W, ("DEST_WELFARE_SOCIAL_ASSISTANCE",)),),
        id="welfare-social-assistance",
    ),
    pytest.param(
        {"economic_hardship": True},
        (("welfare_center", W, ("DEST_WELFARE_ECONOMIC_HARDSHIP",)),),
        id="welfare-economic-hardship-indicator",
    ),
    pytest.param(
        {"categories": ("vulnerable_family",), "township": "竹南鎮"},
        (
            (
                "welfare_center",
                "苗栗縣/welfare_center/竹南區",
                ("DEST_WELFARE_VULNERABLE_FAMILY",),
            ),
        ),
        id="welfare-follows-township",
    ),
    pytest.param(
        {"categories": ("suicide_risk",)},
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_RISK",)),),
        id="mental-health-suicide-risk",
    ),
    pytest.param(
        {"categories": ("suspected_mental_illness",)},
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),),
        id="mental-health-smi-category",
    ),
    pytest.param(
        {"suspected_mental_illness": True},
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",)),),
        id="mental-health-smi-indicator",
    ),
    pytest.param(
        {"suicide_attempt": True},
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT",)),),
        id="mental-health-attempt",
    ),
    pytest.param(
        {"suicide_ideation": True},
        (("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_IDEATION",)),),
        id="mental-health-ideation",
    ),
    # Co-case: family violence + offender with (suspected) mental illness.
    pytest.param(
        {"categories": IPV, "suspected_mental_illness": True},
        (
            PROT,
            (
                "mental_health",
                M,
                (
                    "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
                    "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
                ),
            ),
        ),
        id="co-case-ipv-smi-indicator",
    ),
    pytest.param(
        {"categories": ("other_family_violence", "suspected_mental_illness")},
        (
            PROT,
            (
                "mental_health",
                M,
                (
                    "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
                    "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
                ),
            ),
        ),
        id="co-case-family-violence-smi-category",
    ),
    # Youth rule: 12-17 youth counseling, under 12 welfare, 18+/unknown nothing.
    *[
        pytest.param(
            {"categories": ("youth_deviance",), "subjects": (subj("youth", age),)},
            (("youth_counseling", Y, ("DEST_YOUTH_COUNSELING",)),),
            id=f"youth-deviance-age-{age}",
        )
        for age in (12, 15, 17)
    ],
    pytest.param(
        {"categories": ("youth_deviance",), "subjects": (subj("child", 11),)},
        (("welfare_center", W, ("DEST_WELFARE_CHILD_UNDER_12",)),),
        id="youth-deviance-age-11",
    ),
    pytest.param(
        {"categories": ("youth_deviance",), "subjects": (subj("youth", 18),)},
        (),
        id="youth-deviance-age-18",
    ),
    pytest.param(
        {"categories": ("youth_deviance",), "subjects": (subj("youth", None),)},
        (),
        id="youth-deviance-age-unknown",
    ),
    pytest.param(
        {"youth_law_violation": True, "subjects": (subj("youth", 14),)},
        (("youth_counseling", Y, ("DEST_YOUTH_COUNSELING",)),),
        id="youth-law-violation-age-14",
    ),
    pytest.param(
        {"youth_law_violation": True, "subjects": (subj("child", 9),)},
        (("welfare_center", W, ("DEST_WELFARE_CHILD_UNDER_12",)),),
        id="youth-law-violation-age-9",
    ),
    # "The youth": youngest with role youth/child, else youngest subject.
    pytest.param(
        {
            "categories": ("youth_deviance",),
            "subjects": (
                subj("adult", 40),
                subj("youth", 16, "h2"),
                subj("child", 10, "h3"),
            ),
        },
        (("welfare_center", W, ("DEST_WELFARE_CHILD_UNDER_12",)),),
        id="youth-youngest-of-youth-and-child-roles",
    ),
    pytest.param(
        {
            "categories": ("youth_deviance",),
            "subjects": (subj("victim", 8), subj("youth", 15, "h2")),
        },
        (("youth_counseling", Y, ("DEST_YOUTH_COUNSELING",)),),
        id="youth-role-wins-over-younger-victim",
    ),
    pytest.param(
        {
            "categories": ("youth_deviance",),
            "subjects": (subj("offender", 45), subj("victim", 13, "h2")),
        },
        (("youth_counseling", Y, ("DEST_YOUTH_COUNSELING",)),),
        id="youth-youngest-subject-when-no-youth-role",
    ),
    pytest.param(
        {
            "categories": ("youth_deviance",),
            "subjects": (subj("youth", None), subj("child", 10, "h2")),
        },
        (("welfare_center", W, ("DEST_WELFARE_CHILD_UNDER_12",)),),
        id="youth-unknown-age-candidate-skipped",
    ),
    pytest.param(
        {
            "categories": ("youth_deviance",),
            "subjects": (subj("youth", None), subj("victim", 14, "h2")),
        },
        (),
        id="youth-role-of-unknown-age-no-fallback",
    ),
    # De-duplication by (kind, unit): one destination carrying every rule's code.
    pytest.param(
        {
            "categories": ("vulnerable_family", "social_assistance", "youth_deviance"),
            "economic_hardship": True,
            "subjects": (subj("child", 9),),
        },
        (
            (
                "welfare_center",
                W,
                (
                    "DEST_WELFARE_VULNERABLE_FAMILY",
                    "DEST_WELFARE_SOCIAL_ASSISTANCE",
                    "DEST_WELFARE_ECONOMIC_HARDSHIP",
                    "DEST_WELFARE_CHILD_UNDER_12",
                ),
            ),
        ),
        id="dedup-welfare",
    ),
    pytest.param(
        {
            "categories": (
                "child_maltreatment",
                "elder_abuse",
                "suicide_risk",
                "suspected_mental_illness",
            ),
            "suicide_attempt": True,
            "suicide_ideation": True,
            "suspected_mental_illness": True,
        },
        (
            PROT,
            (
                "mental_health",
                M,
                (
                    "DEST_MENTAL_HEALTH_SUICIDE_RISK",
                    "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
                    "DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT",
                    "DEST_MENTAL_HEALTH_SUICIDE_IDEATION",
                    "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
                ),
            ),
        ),
        id="dedup-protection-and-mental-health",
    ),
    # All four kinds, in the stable order whatever the input order.
    pytest.param(
        {
            "categories": (
                "youth_deviance",
                "suicide_risk",
                "social_assistance",
                "elder_abuse",
            ),
            "subjects": (subj("adult", 70), subj("youth", 16, "h2")),
        },
        (
            PROT,
            ("welfare_center", W, ("DEST_WELFARE_SOCIAL_ASSISTANCE",)),
            ("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_RISK",)),
            ("youth_counseling", Y, ("DEST_YOUTH_COUNSELING",)),
        ),
        id="co-case-all-four-kinds-ordered",
    ),
    pytest.param({}, (), id="nothing-matched-other"),
    # Unmapped township: only welfare_center loses its unit.
    pytest.param(
        {
            "categories": ("elder_abuse", "vulnerable_family", "suicide_risk"),
            "township": UNMAPPED,
        },
        (
            PROT,
            ("welfare_center", None, ("DEST_WELFARE_VULNERABLE_FAMILY",)),
            ("mental_health", M, ("DEST_MENTAL_HEALTH_SUICIDE_RISK",)),
        ),
        id="unmapped-township-welfare-only",
    ),
    pytest.param(
        {"categories": ("elder_abuse",), "township": UNMAPPED},
        (PROT,),
        id="unmapped-township-no-welfare",
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), DEST_CASES)
def test_destinations(kwargs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    decision = run(**kwargs)
    assert dests(decision) == expected
    # Every destination rule that fired is also a reason of the decision.
    for _, _, codes in expected:
        assert set(codes) <= set(decision.reason_codes)


@pytest.mark.parametrize(
    ("kwargs", "codes"),
    [
        pytest.param(
            {"categories": ("youth_deviance",), "subjects": (subj("youth", 18),)},
            ("YOUTH_AGE_OUT_OF_SCOPE", "REVIEW_NO_DESTINATION"),
            id="age-18",
        ),
        pytest.param(
            {"youth_law_violation": True, "subjects": (subj("youth", None),)},
            ("YOUTH_AGE_OUT_OF_SCOPE", "REVIEW_NO_DESTINATION"),
            id="age-unknown",
        ),
        pytest.param({}, ("REVIEW_NO_DESTINATION",), id="other-only"),
    ],
)
def test_no_destination_goes_to_review(kwargs: dict[str, Any], codes: tuple[str, ...]) -> None:
    decision = run(**kwargs)
    assert decision.destinations == ()
    assert decision.needs_review is True
    non_risk = tuple(c for c in decision.reason_codes if not c.startswith(RISK_PREFIXES))
    assert non_risk == codes


def test_red_with_unmapped_township_assigns_but_still_needs_review() -> None:
    directory = FakeDirectory()
    decision = run(
        directory=directory,
        categories=("elder_abuse", "vulnerable_family"),
        township=UNMAPPED,
        weapon=True,
    )
    # Red assigns what it can at once, but the unit-less welfare referral
    # keeps the report in review.
    assert decision.urgent is True
    assert decision.needs_review is True
    assert dests(decision)[1] == (
        "welfare_center",
        None,
        ("DEST_WELFARE_VULNERABLE_FAMILY",),
    )
    assert "REVIEW_UNIT_NOT_MAPPED" in decision.reason_codes
    assert ("苗栗縣", "welfare_center", UNMAPPED) in directory.calls


# --------------------------------------------------------------------------
# Direct dispatch (逕派): each condition screening decides. The third, a
# referral closed within 365 days, is routing's (test_rereport.py there).
# (kwargs for build, expected DIRECT_* codes)
# --------------------------------------------------------------------------

DIRECT_CASES = [
    pytest.param(
        {"categories": IPV, "under6": 1},
        ("DIRECT_IPV_CHILD_UNDER_6",),
        id="ipv-household-under6",
    ),
    pytest.param(
        {"categories": IPV, "subjects": (subj(), subj("child", 5, None))},
        ("DIRECT_IPV_CHILD_UNDER_6",),
        id="ipv-subject-5",
    ),
    pytest.param(
        {"categories": IPV, "subjects": (subj(), subj("child", 6, None)), "under6": 0},
        (),
        id="ipv-subject-6-household-0",
    ),
    pytest.param({"categories": IPV}, (), id="ipv-household-unknown"),
    pytest.param(
        {"categories": ("other_family_violence",), "under6": 1},
        (),
        id="not-ipv-under6",
    ),
    pytest.param(
        {"subjects": (subj(earlier=True),)},
        ("DIRECT_EARLIER_REPORT",),
        id="earlier-report",
    ),
    pytest.param(
        {"subjects": (subj(h=None, earlier=True),)},
        (),
        id="earlier-flag-without-id",
    ),
    pytest.param({"weapon": True, "categories": ("elder_abuse",)}, (), id="red-is-not-direct"),
]


@pytest.mark.parametrize(("kwargs", "codes"), DIRECT_CASES)
def test_direct_dispatch(
    kwargs: dict[str, Any],
    codes: tuple[str, ...],
) -> None:
    decision = run(**kwargs)
    assert tuple(c for c in decision.reason_codes if c.startswith("DIRECT_")) == codes
    assert decision.direct_dispatch is bool(codes)


# --------------------------------------------------------------------------
# needs_review: a dispatcher must act unless red or direct, and fully routed.
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "urgent", "direct", "needs_review"),
    [
        pytest.param({"categories": ("elder_abuse",)}, False, False, True, id="yellow-queue"),
        pytest.param(
            {"categories": ("elder_abuse",), "tipvda_score": 5},
            False,
            False,
            True,
            id="orange-queue",
        ),
        pytest.param(
            {"categories": ("vulnerable_family",)},
            False,
            False,
            True,
            id="green-queue",
        ),
        pytest.param(
            {"categories": ("elder_abuse",), "weapon": True},
            True,
            False,
            False,
            id="red-auto",
        ),
        pytest.param({"categories": IPV, "under6": 1}, False, True, False, id="direct-auto"),
        pytest.param({"weapon": True}, True, False, True, id="red-without-destination"),
        pytest.param(
            {"subjects": (subj(earlier=True),)},
            False,
            True,
            True,
            id="direct-without-destination",
        ),
        pytest.param(
            {
                "categories": ("elder_abuse", "vulnerable_family"),
                "township": UNMAPPED,
                "under6": 1,
                "subjects": (subj(earlier=True),),
            },
            False,
            True,
            True,
            id="direct-with-unmapped-welfare",
        ),
    ],
)
def test_needs_review(
    kwargs: dict[str, Any],
    urgent: bool,
    direct: bool,
    needs_review: bool,
) -> None:
    decision = run(**kwargs)
    assert (decision.urgent, decision.direct_dispatch, decision.needs_review) == (
        urgent,
        direct,
        needs_review,
    )


# Re-report after closure is routing's rule (routing/tests/unit/test_rereport.py):
# screening never sees closures, so it never uses a previous unit.


# --------------------------------------------------------------------------
# The whole decision: exact reasons across levels and rules, texts, version.
# --------------------------------------------------------------------------
def test_full_decision_lists_every_condition_that_held() -> None:
    decision = run(
        categories=("intimate_partner_violence", "vulnerable_family"),
        subjects=(
            subj(earlier=True),
            subj("offender", 35, "h-off"),
            subj("child", 4, None),
        ),
        tipvda_score=6,
        injury="minor",
        suspected_mental_illness=True,
    )
    assert decision == Decision(
        rule_version=RULE_VERSION,
        risk_level="orange",
        urgent=False,
        direct_dispatch=True,
        reasons=decision.reasons,  # compared by code and text below
        destinations=(
            Destination("protection", P, ("DEST_PROTECTION_CATEGORY",)),
            Destination("welfare_center", W, ("DEST_WELFARE_VULNERABLE_FAMILY",)),
            Destination(
                "mental_health",
                M,
                (
                    "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
                    "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
                ),
            ),
        ),
        needs_review=False,
    )
    assert decision.reason_codes == (
        "ORANGE_TIPVDA_MEDIUM",
        "ORANGE_INJURY_MINOR",
        "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION",
        "ORANGE_EARLIER_REPORT",
        "ORANGE_IPV_CHILD_UNDER_6",
        "YELLOW_PROTECTION_CATEGORY",
        "YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6",
        "DEST_PROTECTION_CATEGORY",
        "DEST_WELFARE_VULNERABLE_FAMILY",
        "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
        "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
        "DIRECT_IPV_CHILD_UNDER_6",
        "DIRECT_EARLIER_REPORT",
    )
    assert [r.text for r in decision.reasons] == [REASON_TEXTS[c] for c in decision.reason_codes]


def test_reason_codes_are_unique_in_a_decision() -> None:
    decision = run(
        categories=(
            "vulnerable_family",
            "social_assistance",
            "suicide_risk",
            "suspected_mental_illness",
        ),
        economic_hardship=True,
        suspected_mental_illness=True,
    )
    assert len(decision.reason_codes) == len(set(decision.reason_codes))


def test_rule_version() -> None:
    assert RULE_VERSION == "v1.0.0"
    assert run().rule_version == "v1.0.0"
    assert run(weapon=True, categories=IPV).rule_version == "v1.0.0"


def test_reason_catalogue_is_complete_and_bilingual() -> None:
    expected = {
        "RED_TIPVDA_HIGH",
        "RED_INJURY_SEVERE",
        "RED_THREAT_TO_KILL",
        "RED_WEAPON",
        "RED_SUICIDE_ATTEMPT",
        "RED_SEXUAL_OFFENDER_COHABITING",
        "RED_CHILD_UNDER_6_MALTREATMENT_INJURY",
        "ORANGE_TIPVDA_MEDIUM",
        "ORANGE_INJURY_MINOR",
        "ORANGE_SUICIDE_IDEATION",
        "ORANGE_MENTAL_ILLNESS_WITH_PROTECTION",
        "ORANGE_EARLIER_REPORT",
        "ORANGE_IPV_CHILD_UNDER_6",
        "YELLOW_PROTECTION_CATEGORY",
        "YELLOW_YOUTH_LAW_VIOLATION",
        "YELLOW_VULNERABLE_FAMILY_CHILD_UNDER_6",
        "GREEN_NO_RISK_CONDITION",
        "DEST_PROTECTION_CATEGORY",
        "DEST_WELFARE_VULNERABLE_FAMILY",
        "DEST_WELFARE_SOCIAL_ASSISTANCE",
        "DEST_WELFARE_ECONOMIC_HARDSHIP",
        "DEST_WELFARE_CHILD_UNDER_12",
        "DEST_MENTAL_HEALTH_SUICIDE_RISK",
        "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
        "DEST_MENTAL_HEALTH_SUICIDE_ATTEMPT",
        "DEST_MENTAL_HEALTH_SUICIDE_IDEATION",
        "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE",
        "DEST_YOUTH_COUNSELING",
        "YOUTH_AGE_OUT_OF_SCOPE",
        "DIRECT_IPV_CHILD_UNDER_6",
        "DIRECT_EARLIER_REPORT",
        "REVIEW_NO_DESTINATION",
        "REVIEW_UNIT_NOT_MAPPED",
        # decision model v1.1 (only under a version that switches its rule on)
        "BSRS5_SUICIDE",
        "BSRS5_SEVERE",
        "BSRS5_MODERATE",
        "MH_LOW_SCREEN",
        "EARLY_INTERVENTION",
    }
    assert set(REASON_TEXTS) == expected
    for code, text in REASON_TEXTS.items():
        assert re.fullmatch(r"[A-Z0-9]+(_[A-Z0-9]+)*", code)
        chinese, english = re.split(r"\s?/ ", text, maxsplit=1)
        assert re.search(r"[\u4e00-\u9fff]", chinese), code
        assert re.search(r"[A-Za-z]", english), code


def test_decide_is_deterministic() -> None:
    kwargs: dict[str, Any] = {
        "categories": ("elder_abuse", "suicide_risk", "vulnerable_family"),
        "subjects": (subj(earlier=True), subj("child", 3, "h2")),
    }
    assert run(**kwargs) == run(**kwargs)
