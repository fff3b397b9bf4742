"""Replaying a generated year of one county, decided under v1, under v1.1: exactly which
reports change and why (the reason codes gained and lost), against a hand count.

The year is 365 reports, one a day from 2026-01-01, cycling through twelve templates, so
template i is used 31 times when i < 5 (365 = 12 × 30 + 5) and 30 times otherwise.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from safetynet.screening.domain import V1, V1_1, Bsrs5, Household, Indicators, ScreeningInput, Subject, decide
from safetynet.screening.domain.replay import RecordedDecision, ReplayCase, replay
from safetynet.screening.service_layer.rule_versions import ReplayRun, run_as_dict

TAIPEI = timezone(timedelta(hours=8))
COUNTY = "新竹市"


class Directory:
    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        return f"{county}/welfare_center/東區" if kind == "welfare_center" else f"{county}/{kind}"


def bsrs5(total: int, suicide: int = 0) -> Bsrs5:
    return Bsrs5(items=tuple(min(4, max(0, total - 4 * i)) for i in range(5)), suicide=suicide)


def victim(age: int | None = 30) -> Subject:
    return Subject(role="victim", age=age, subject_hash=None)


# (categories, indicators, subjects); the comment says what v1.1 changes, if anything.
TEMPLATES: list[tuple[tuple[str, ...], dict[str, Any], tuple[Subject, ...]]] = [
    (("intimate_partner_violence",), {"tipvda_score": 9}, (victim(),)),  # 0: nothing
    (("child_maltreatment",), {"injury": "severe"}, (Subject("child", 4, None),)),  # 1: +EARLY_INTERVENTION
    (("suspected_mental_illness",), {"bsrs5": bsrs5(2)}, (victim(),)),  # 2: unit held, +MH_LOW_SCREEN
    (("other",), {"bsrs5": bsrs5(16)}, (victim(),)),  # 3: green→orange, +mental health, +BSRS5_SEVERE
    (("vulnerable_family",), {}, (victim(),)),  # 4: nothing
    (("suspected_mental_illness",), {}, (victim(),)),  # 5: nothing (no score)
    (("other",), {"bsrs5": bsrs5(12)}, (victim(),)),  # 6: +mental health, +BSRS5_MODERATE
    (("sexual_assault",), {"offender_lives_with_victim": True}, (victim(15),)),  # 7: +EARLY_INTERVENTION
    (("suicide_risk",), {"bsrs5": bsrs5(4, suicide=3)}, (victim(),)),  # 8: green→orange, +BSRS5_SUICIDE
    (("elder_abuse",), {"injury": "minor"}, (victim(80),)),  # 9: nothing
    (("suspected_mental_illness",), {"bsrs5": bsrs5(8)}, (victim(),)),  # 10: nothing (mild)
    (("child_maltreatment",), {"injury": "minor"}, (victim(8),)),  # 11: nothing (not under 6)
]


def a_year() -> list[ReplayCase]:
    cases = []
    for day in range(365):
        categories, indicators, subjects = TEMPLATES[day % 12]
        report = ScreeningInput(
            report_id=f"r{day:03d}-t{day % 12}",
            county=COUNTY,
            township="東區",
            received_at=datetime(2026, 1, 1, 9, tzinfo=TAIPEI) + timedelta(days=day),
            categories=frozenset(categories),
            subjects=subjects,
            household=Household(),
            indicators=Indicators(**indicators),
        )
        recorded = decide(report, directory=Directory(), rules=V1)
        cases.append(
            ReplayCase(
                report=report,
                recorded=RecordedDecision(
                    rule_version=recorded.rule_version,
                    risk_level=recorded.risk_level,
                    direct_dispatch=recorded.direct_dispatch,
                    destinations=tuple((d.kind, d.unit) for d in recorded.destinations),
                    reason_codes=recorded.reason_codes,
                ),
            )
        )
    return cases


def used(template: int) -> int:
    return 31 if template < 5 else 30


def ids_of(*templates: int) -> set[str]:
    return {f"r{day:03d}-t{day % 12}" for day in range(365) if day % 12 in templates}


def test_replaying_a_year_under_v1_1_changes_exactly_the_reports_its_rules_apply_to() -> None:
    summary = replay(a_year(), candidate=V1_1, directory=Directory())

    assert (summary.reports, summary.recorded_versions, summary.candidate_version) == (365, {"v1.0.0": 365}, "v1.1.0")
    # Risk: the severe total (3) and the suicide item (8) turn green reports orange.
    assert summary.risk_transitions == {"green→orange": used(3) + used(8)} == {"green→orange": 61}
    # Destinations: a held unit (2), a new mental-health destination (3, 6).
    assert summary.destinations_changed == used(2) + used(3) + used(6) == 92
    assert summary.direct_dispatch_changed == 0
    assert set(summary.changed_report_ids) == ids_of(2, 3, 6, 8) and len(summary.changed_report_ids) == 122
    # Every change, reasons included: early intervention (1, 7) changes only the reasons.
    assert {c.report_id for c in summary.changes} == ids_of(1, 2, 3, 6, 7, 8) and len(summary.changes) == 183
    assert summary.reasons_added == {
        "BSRS5_MODERATE": used(6),
        "BSRS5_SEVERE": used(3),
        "BSRS5_SUICIDE": used(8),
        "EARLY_INTERVENTION": used(1) + used(7),
        "MH_LOW_SCREEN": used(2),
    }
    assert summary.reasons_removed == {
        "GREEN_NO_RISK_CONDITION": used(3) + used(8),
        "REVIEW_NO_DESTINATION": used(3) + used(6),
    }
    by_id = {c.report_id: c for c in summary.changes}
    held, severe, early = by_id["r002-t2"], by_id["r003-t3"], by_id["r001-t1"]
    assert (held.risk, held.destinations, held.added, held.removed) == (None, True, ("MH_LOW_SCREEN",), ())
    assert (severe.risk, severe.added, severe.removed) == (
        "green→orange",
        ("BSRS5_SEVERE",),
        ("GREEN_NO_RISK_CONDITION", "REVIEW_NO_DESTINATION"),
    )
    assert (early.risk, early.destinations, early.direct_dispatch, early.added) == (
        None,
        False,
        False,
        ("EARLY_INTERVENTION",),
    )


def test_replaying_v1_over_its_own_year_changes_nothing() -> None:
    summary = replay(a_year(), candidate=V1, directory=Directory())
    assert (summary.changes, summary.changed_report_ids, summary.reasons_added) == ((), (), {})


def test_the_replay_result_names_the_reasons_that_made_the_difference() -> None:
    summary = replay(a_year(), candidate=V1_1, directory=Directory())
    result = run_as_dict(
        ReplayRun(summary=summary, start=date(2026, 1, 1), end=date(2026, 12, 31), county=COUNTY, seconds=0.1)
    )
    changed = result["changed"]
    assert (changed["reports"], changed["reasons"]) == (122, 183)
    assert changed["reasons_added"]["EARLY_INTERVENTION"] == 61
    first = result["changes"][0]
    assert first == {
        "report_id": "r001-t1",
        "risk": None,
        "destinations": False,
        "direct_dispatch": False,
        "added": ["EARLY_INTERVENTION"],
        "removed": [],
    }
    assert asdict(summary.changes[0])["added"] == ("EARLY_INTERVENTION",)
