"""Representative reports with hand-derived expectations from decision model v1.

The expectations are written out by hand from DOMAIN.md, not computed by the code under
test, so an end-to-end run can disagree with them.
"""

import random
from dataclasses import dataclass, field
from typing import Any

from safetynet.contracts.national_id import LETTER_CODES, check_digit


def random_national_id(rng: random.Random) -> str:
    """A valid national ID: a letter, 1 or 2, seven digits, and the check digit."""
    letter = rng.choice(sorted(LETTER_CODES))
    digits = "".join(map(str, [rng.choice([1, 2])] + [rng.randrange(10) for _ in range(7)]))
    return letter + digits + check_digit(letter, digits)


@dataclass(frozen=True)
class Scenario:
    name: str
    body: dict[str, Any]
    risk_level: str
    direct_dispatch: bool
    destinations: tuple[tuple[str, str | None], ...]
    status: str  # the status once routing has acted, before any dispatcher does
    weight: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _report(
    county: str, township: str, categories: list[str], subjects: list[dict[str, Any]], **rest: Any
) -> dict[str, Any]:
    return {
        "county": county,
        "township": township,
        "categories": categories,
        "subjects": subjects,
        "narrative": "測試通報 test report",
        **rest,
    }


SCENARIOS = [
    Scenario(
        "ipv_high_tipvda",
        _report(
            "苗栗縣",
            "頭份市",
            ["intimate_partner_violence"],
            [{"role": "victim", "age": 34}, {"role": "offender", "age": 36}],
            indicators={"tipvda_score": 9},
        ),
        "red",
        False,
        (("protection", "苗栗縣/protection"),),
        "assigned",
        weight=5,
    ),
    Scenario(
        "ipv_young_children",
        _report(
            "南投縣",
            "埔里鎮",
            ["intimate_partner_violence"],
            [{"role": "victim", "age": 29}],
            household={"children_under_6": 1},
            indicators={"tipvda_score": 2},
        ),
        "orange",
        True,
        (("protection", "南投縣/protection"),),
        "assigned",
        weight=3,
    ),
    Scenario(
        "child_maltreatment_minor_injury_under_6",
        _report(
            "苗栗縣", "苗栗市", ["child_maltreatment"], [{"role": "child", "age": 4}], indicators={"injury": "minor"}
        ),
        "red",
        False,
        (("protection", "苗栗縣/protection"),),
        "assigned",
        weight=3,
    ),
    Scenario(
        "elder_abuse_no_injury",
        _report("南投縣", "草屯鎮", ["elder_abuse"], [{"role": "victim", "age": 81}]),
        "yellow",
        False,
        (("protection", "南投縣/protection"),),
        "awaiting_review",
        weight=2,
    ),
    Scenario(
        "vulnerable_family_mapped",
        _report(
            "苗栗縣",
            "竹南鎮",
            ["vulnerable_family"],
            [{"role": "adult", "age": 40}],
            indicators={"economic_hardship": True},
        ),
        "green",
        False,
        (("welfare_center", "苗栗縣/welfare_center/竹南區"),),
        "awaiting_review",
        weight=3,
    ),
    Scenario(
        "vulnerable_family_unmapped_county",
        _report("新竹縣", "竹北市", ["vulnerable_family"], [{"role": "child", "age": 3}]),
        "yellow",
        False,
        (("welfare_center", None),),
        "awaiting_review",
        weight=2,
    ),
    Scenario(
        "suicide_attempt_co_case",
        _report(
            "南投縣", "南投市", ["suicide_risk"], [{"role": "adult", "age": 22}], indicators={"suicide_attempt": True}
        ),
        "red",
        False,
        (("mental_health", "南投縣/mental_health"),),
        "assigned",
        weight=2,
    ),
    Scenario(
        "ipv_with_mental_illness",
        _report(
            "苗栗縣",
            "通霄鎮",
            ["intimate_partner_violence"],
            [{"role": "victim", "age": 50}, {"role": "offender", "age": 52}],
            indicators={"suspected_mental_illness": True, "tipvda_score": 5},
        ),
        "orange",
        False,
        (("protection", "苗栗縣/protection"), ("mental_health", "苗栗縣/mental_health")),
        "awaiting_review",
        weight=2,
    ),
    Scenario(
        "youth_law_violation_15",
        _report(
            "南投縣",
            "竹山鎮",
            ["youth_deviance"],
            [{"role": "youth", "age": 15}],
            indicators={"youth_law_violation": True},
        ),
        "yellow",
        False,
        (("youth_counseling", "南投縣/youth_counseling"),),
        "awaiting_review",
        weight=2,
    ),
    Scenario(
        "red_with_unmapped_welfare",
        _report(
            "屏東縣",
            "屏東市",
            ["child_maltreatment", "vulnerable_family"],
            [{"role": "child", "age": 5}],
            indicators={"injury": "severe"},
        ),
        "red",
        False,
        (("protection", "屏東縣/protection"), ("welfare_center", None)),
        "awaiting_review",
        weight=1,
    ),
    Scenario(
        "other_only",
        _report("苗栗縣", "大湖鄉", ["other"], [{"role": "adult", "age": 30}]),
        "green",
        False,
        (),
        "awaiting_review",
        weight=1,
    ),
]


def with_fresh_ids(body: dict[str, Any], rng: random.Random | None = None, tag: str = "") -> dict[str, Any]:
    """`body` with a new national ID and name for every subject: no accidental repeats."""
    rng = rng or random.Random()
    return {
        **body,
        "subjects": [
            {**subject, "national_id": random_national_id(rng), "name": f"測試{tag}-{n}"}
            for n, subject in enumerate(body["subjects"])
        ],
    }


def generate(count: int, *, seed: int = 7) -> list[tuple[Scenario, dict[str, Any]]]:
    """`count` reports cycling through the scenarios by weight, every subject with its
    own fresh national ID so that no report is a repeat of another."""
    rng = random.Random(seed)
    pool = [s for s in SCENARIOS for _ in range(s.weight)]
    out = []
    for i in range(count):
        scenario = pool[i % len(pool)]
        out.append((scenario, with_fresh_ids(scenario.body, rng, tag=str(i))))
    return out
