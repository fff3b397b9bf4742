"""Rule 1 of decision model v1.1, linked to an open case (併案), table-driven, without a
database. Routing applies it to screening's decision when it opens a case, before the
re-report rule (domain/open_case.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.routing.domain import (
    Case,
    Destination,
    OpenReferral,
    Reason,
    ScreenedReport,
    apply_open_case_rule,
)

TAIPEI = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 12, 7, 10, 30, tzinfo=TAIPEI)
HOUR = timedelta(hours=1)
P = "苗栗縣/protection"
P_OLD = "苗栗縣/protection-south"  # a unit id is opaque to the rule: it need not be in the county data
W = "苗栗縣/welfare_center/頭份區"
W_HELD = "苗栗縣/welfare_center/竹南區"
OTHER_W = "南投縣/welfare_center/埔里區"
CODES = ("YELLOW_PROTECTION_CATEGORY", "DEST_WELFARE_VULNERABLE_FAMILY")
ON = ("open_case_link", "long_term_care")


def report(
    *destinations: tuple[str, str | None], rules: tuple[str, ...] = ON, hashes: tuple[str, ...] = ("h-victim",)
) -> ScreenedReport:
    return ScreenedReport(
        report_id="r-new",
        county="苗栗縣",
        risk_level="yellow",
        urgent=False,
        direct_dispatch=False,
        recommended=tuple(Destination(k, u) for k, u in destinations or (("welfare_center", W),)),
        subject_hashes=hashes,
        received_at=RECEIVED,
        reasons=tuple(Reason(c, c.lower()) for c in CODES),
        routing_rules=rules,
    )


def held(
    referral_id: str,
    unit: str,
    status: str,
    *,
    kind: str = "welfare_center",
    ago: timedelta = 24 * HOUR,
    h: str = "h-victim",
    report_id: str = "r-old",
) -> OpenReferral:
    return OpenReferral(
        referral_id=referral_id,
        report_id=report_id,
        subject_hash=h,
        kind=kind,
        unit=unit,
        county=unit.split("/")[0],
        status=status,
        assigned_at=RECEIVED - ago,
    )


def outcome(
    amended: ScreenedReport,
) -> tuple[bool, tuple[tuple[str, str | None], ...], dict[str, str], tuple[str, ...]]:
    added = tuple(r.code for r in amended.reasons if r.code not in CODES)
    return amended.direct_dispatch, tuple((d.kind, d.unit) for d in amended.recommended), amended.links, added


UNCHANGED = (False, (("welfare_center", W),), {}, ())
LINKED = (True, (("welfare_center", W_HELD),), {"welfare_center": "ref-1"}, ("DIRECT_OPEN_CASE",))

CASES: list[Any] = [
    pytest.param(report(), [], UNCHANGED, id="no-referral-at-all"),
    pytest.param(report(), [held("ref-1", W_HELD, "assigned")], LINKED, id="assigned-is-live"),
    pytest.param(report(), [held("ref-1", W_HELD, "acknowledged")], LINKED, id="acknowledged-is-live"),
    pytest.param(
        report(),
        [held("ref-1", W_HELD, "long_term_care")],
        (True, (("welfare_center", W_HELD),), {"welfare_center": "ref-1"}, ("DIRECT_LONG_TERM_CARE",)),
        id="long-term-care-is-live",
    ),
    pytest.param(report(), [held("ref-1", W_HELD, "closed")], UNCHANGED, id="closed-is-not-live"),
    pytest.param(report(), [held("ref-1", W_HELD, "rejected")], UNCHANGED, id="rejected-is-not-live"),
    pytest.param(report(), [held("ref-1", W_HELD, "reassigned")], UNCHANGED, id="reassigned-is-not-live"),
    pytest.param(report(), [held("ref-1", OTHER_W, "acknowledged")], UNCHANGED, id="other-county"),
    pytest.param(report(), [held("ref-1", W_HELD, "assigned", h="h-someone-else")], UNCHANGED, id="other-subject"),
    pytest.param(
        report(), [held("ref-1", P_OLD, "acknowledged", kind="protection")], UNCHANGED, id="other-kind-not-wanted"
    ),
    pytest.param(
        report(),
        [held("ref-1", W_HELD, "acknowledged", report_id="r-new")],
        UNCHANGED,
        id="the-report-itself-never-counts",
    ),
    pytest.param(
        report(),
        [
            held("ref-old", W, "acknowledged", ago=48 * HOUR),
            held("ref-1", W_HELD, "assigned", ago=2 * HOUR),
            held("ref-closed", W, "closed", ago=HOUR),
        ],
        LINKED,
        id="two-live-the-most-recently-assigned-wins",
    ),
    pytest.param(
        report(hashes=("h-victim", "h-child")),
        [held("ref-0", W, "acknowledged", ago=48 * HOUR), held("ref-1", W_HELD, "long_term_care", h="h-child")],
        (True, (("welfare_center", W_HELD),), {"welfare_center": "ref-1"}, ("DIRECT_LONG_TERM_CARE",)),
        id="two-subjects-the-most-recently-assigned-wins",
    ),
    pytest.param(
        report(("protection", P), ("welfare_center", W)),
        [held("ref-p", P_OLD, "acknowledged", kind="protection"), held("ref-1", W_HELD, "long_term_care")],
        (
            True,
            (("protection", P_OLD), ("welfare_center", W_HELD)),
            {"protection": "ref-p", "welfare_center": "ref-1"},
            ("DIRECT_OPEN_CASE", "DIRECT_LONG_TERM_CARE"),
        ),
        id="each-kind-its-own-open-case",
    ),
    pytest.param(
        report(("protection", P), ("welfare_center", W)),
        [held("ref-1", W_HELD, "assigned")],
        (True, (("protection", P), ("welfare_center", W_HELD)), {"welfare_center": "ref-1"}, ("DIRECT_OPEN_CASE",)),
        id="other-kinds-stay-as-screening-chose",
    ),
    pytest.param(report(rules=()), [held("ref-1", W_HELD, "acknowledged")], UNCHANGED, id="switched-off-v1"),
    pytest.param(
        report(rules=("long_term_care",)), [held("ref-1", W_HELD, "acknowledged")], UNCHANGED, id="only-ltc-switch"
    ),
]


@pytest.mark.parametrize(("screened", "candidates", "expected"), CASES)
def test_open_case_rule(screened: ScreenedReport, candidates: list[OpenReferral], expected: Any) -> None:
    assert outcome(apply_open_case_rule(screened, candidates)) == expected


def test_switched_off_the_decision_is_the_very_same_object() -> None:
    screened = report(rules=())
    assert apply_open_case_rule(screened, [held("ref-1", W_HELD, "acknowledged")]) is screened


def test_the_open_case_fills_an_unmapped_township() -> None:
    screened = report(("welfare_center", None))
    screened = ScreenedReport(
        **{**screened.__dict__, "reasons": (*screened.reasons, Reason("REVIEW_UNIT_NOT_MAPPED", "r"))}
    )
    amended = apply_open_case_rule(screened, [held("ref-1", W_HELD, "acknowledged")])
    assert [(d.kind, d.unit) for d in amended.recommended] == [("welfare_center", W_HELD)]
    assert [r.code for r in amended.reasons] == [*CODES, "DIRECT_OPEN_CASE"]


def test_the_reason_names_the_open_referral_its_report_and_unit() -> None:
    amended = apply_open_case_rule(report(), [held("ref-1", W_HELD, "acknowledged")])
    [reason] = [r for r in amended.reasons if r.code == "DIRECT_OPEN_CASE"]
    assert "ref-1" in reason.text and "r-old" in reason.text and W_HELD in reason.text


def test_the_case_refers_the_linked_destination_at_once_with_its_link() -> None:
    amended = apply_open_case_rule(
        report(("protection", P), ("welfare_center", W)), [held("ref-1", W_HELD, "assigned")]
    )
    case, _ = Case.open(amended, at=RECEIVED + HOUR, new_id=iter(["n-1", "n-2"]).__next__)
    assert case.status == "assigned" and case.direct_dispatch
    assert {(r.kind, r.unit, r.linked_to) for r in case.referrals} == {
        ("protection", P, None),
        ("welfare_center", W_HELD, "ref-1"),
    }
