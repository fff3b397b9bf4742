"""The re-report-after-closure rule (decision model v1), table-driven, without a database.

Routing applies it to screening's decision when it opens a case (see domain/rereport.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from safetynet.routing.domain import ClosedReferral, Destination, Reason, ScreenedReport, apply_rereport_rule

TAIPEI = timezone(timedelta(hours=8))
RECEIVED = datetime(2026, 11, 21, 10, 30, tzinfo=TAIPEI)
DAY = timedelta(days=1)
WINDOW = timedelta(hours=365 * 24)
P = "苗栗縣/protection"
W = "苗栗縣/welfare_center/頭份區"
W_SOUTH = "苗栗縣/welfare_center/竹南區"
M = "苗栗縣/mental_health"
OTHER_P = "南投縣/protection"
OTHER_W = "南投縣/welfare_center/埔里區"
SCREENING_CODES = ("YELLOW_PROTECTION_CATEGORY", "DEST_PROTECTION_CATEGORY")


def report(
    *destinations: tuple[str, str | None],
    hashes: tuple[str, ...] = ("h-victim",),
    codes: tuple[str, ...] = SCREENING_CODES,
) -> ScreenedReport:
    return ScreenedReport(
        report_id="r-2",
        county="苗栗縣",
        risk_level="yellow",
        urgent=False,
        direct_dispatch=False,
        recommended=tuple(Destination(k, u) for k, u in destinations or (("protection", P),)),
        subject_hashes=hashes,
        received_at=RECEIVED,
        reasons=tuple(Reason(c, c.lower()) for c in codes),
    )


def closed(unit: str, ago: timedelta, *, kind: str = "protection", h: str = "h-victim") -> ClosedReferral:
    return ClosedReferral(subject_hash=h, kind=kind, unit=unit, county=unit.split("/")[0], closed_at=RECEIVED - ago)


def outcome(amended: ScreenedReport) -> tuple[bool, tuple[tuple[str, str | None], ...], tuple[str, ...]]:
    added = tuple(r.code for r in amended.reasons if r.code not in SCREENING_CODES)
    return amended.direct_dispatch, tuple((d.kind, d.unit) for d in amended.recommended), added


DIRECT = "DIRECT_RECENT_CLOSED_REFERRAL"
REUSED = "REREPORT_PREVIOUS_UNIT"
ELSEWHERE = "REREPORT_PREVIOUS_UNIT_OTHER_COUNTY"
UNCHANGED = (False, (("protection", P),), ())

CASES: list[Any] = [
    # The 365×24 h window, by intake's clock: strictly earlier, less than 365 days before.
    pytest.param(
        report(),
        [closed("苗栗縣/protection-old", 364 * DAY)],
        (True, (("protection", "苗栗縣/protection-old"),), (DIRECT, REUSED)),
        id="closed-364-days",
    ),
    pytest.param(
        report(),
        [closed(P, WINDOW - timedelta(seconds=1))],
        (True, (("protection", P),), (DIRECT, REUSED)),
        id="closed-365d-minus-1s",
    ),
    pytest.param(
        report(),
        [closed(P, timedelta(seconds=1))],
        (True, (("protection", P),), (DIRECT, REUSED)),
        id="closed-1s-before-received",
    ),
    pytest.param(report(), [closed(P, WINDOW)], UNCHANGED, id="closed-exactly-365-days"),
    pytest.param(report(), [closed(P, 366 * DAY)], UNCHANGED, id="closed-366-days"),
    pytest.param(report(), [closed(P, timedelta(0))], UNCHANGED, id="closed-at-received-not-earlier"),
    pytest.param(report(), [closed(P, -DAY)], UNCHANGED, id="closed-after-received"),
    pytest.param(report(), [closed(P, 10 * DAY, h="h-stranger")], UNCHANGED, id="another-subject"),
    pytest.param(report(hashes=()), [closed(P, 10 * DAY)], UNCHANGED, id="subject-without-id-never-matches"),
    # Which unit: same kind only, never an added destination, the most recent across subjects.
    pytest.param(
        report(),
        [closed(M, 10 * DAY, kind="mental_health")],
        (True, (("protection", P),), (DIRECT,)),
        id="other-kind-adds-nothing-but-is-direct",
    ),
    pytest.param(
        report(hashes=("h-victim", "h-off")),
        [
            closed("苗栗縣/unit-A", 200 * DAY),
            closed("苗栗縣/unit-B", 30 * DAY, h="h-off"),
            closed("苗栗縣/unit-C", 60 * DAY),
        ],
        (True, (("protection", "苗栗縣/unit-B"),), (DIRECT, REUSED)),
        id="most-recent-across-subjects",
    ),
    pytest.param(
        report(),
        [closed("苗栗縣/unit-recent", 100 * DAY), closed("苗栗縣/unit-old", 400 * DAY)],
        (True, (("protection", "苗栗縣/unit-recent"),), (DIRECT, REUSED)),
        id="older-than-window-ignored",
    ),
    pytest.param(
        report(("protection", P), ("welfare_center", W)),
        [closed(W_SOUTH, 20 * DAY, kind="welfare_center"), closed("苗栗縣/protection-old", 10 * DAY)],
        (True, (("protection", "苗栗縣/protection-old"), ("welfare_center", W_SOUTH)), (DIRECT, REUSED)),
        id="each-kind-independently",
    ),
    pytest.param(
        report(("welfare_center", None), codes=("GREEN_NO_RISK_CONDITION", "REVIEW_UNIT_NOT_MAPPED")),
        [closed(W, 20 * DAY, kind="welfare_center")],
        (True, (("welfare_center", W),), ("GREEN_NO_RISK_CONDITION", DIRECT, REUSED)),
        id="previous-unit-fills-unmapped-township",
    ),
    # Item 9: the previous unit is reused only inside the report's county.
    pytest.param(
        report(),
        [closed(OTHER_P, 10 * DAY)],
        (True, (("protection", P),), (DIRECT, ELSEWHERE)),
        id="other-county-protection-routed-as-usual",
    ),
    pytest.param(
        report(("protection", P), ("welfare_center", W)),
        [closed(OTHER_W, 5 * DAY, kind="welfare_center"), closed("苗栗縣/protection-old", 10 * DAY)],
        (True, (("protection", "苗栗縣/protection-old"), ("welfare_center", W)), (DIRECT, REUSED, ELSEWHERE)),
        id="one-kind-reused-one-kind-elsewhere",
    ),
    pytest.param(
        report(),
        [closed(OTHER_P, 5 * DAY), closed("苗栗縣/protection-old", 10 * DAY)],
        (True, (("protection", P),), (DIRECT, ELSEWHERE)),
        id="most-recent-is-elsewhere-no-fallback-to-older",
    ),
    pytest.param(
        report(("welfare_center", None), codes=("GREEN_NO_RISK_CONDITION", "REVIEW_UNIT_NOT_MAPPED")),
        [closed(OTHER_W, 20 * DAY, kind="welfare_center")],
        (True, (("welfare_center", None),), ("GREEN_NO_RISK_CONDITION", DIRECT, ELSEWHERE, "REVIEW_UNIT_NOT_MAPPED")),
        id="other-county-does-not-fill-unmapped-township",
    ),
]


@pytest.mark.parametrize(("screened", "history", "expected"), CASES)
def test_rereport_after_closure(screened: ScreenedReport, history: list[ClosedReferral], expected: Any) -> None:
    if expected[2] and expected[2][0] == "GREEN_NO_RISK_CONDITION":
        # Screening's codes other than protection's: compare the whole list.
        amended = apply_rereport_rule(screened, history)
        assert (
            amended.direct_dispatch,
            tuple((d.kind, d.unit) for d in amended.recommended),
            tuple(r.code for r in amended.reasons),
        ) == expected
        return
    assert outcome(apply_rereport_rule(screened, history)) == expected


def test_the_reasons_name_the_earlier_units() -> None:
    amended = apply_rereport_rule(
        report(("protection", P), ("welfare_center", W)),
        [closed(OTHER_W, 5 * DAY, kind="welfare_center"), closed(P, 10 * DAY)],
    )
    texts = {r.code: r.text for r in amended.reasons}
    assert texts[REUSED].endswith(P) and texts[ELSEWHERE].endswith(OTHER_W)
    assert texts[DIRECT].startswith("逕派")


def test_an_existing_direct_dispatch_code_is_not_repeated() -> None:
    screened = report(codes=(*SCREENING_CODES, "DIRECT_EARLIER_REPORT"))
    amended = apply_rereport_rule(screened, [closed(P, DAY)])
    codes = [r.code for r in amended.reasons]
    assert codes == [*SCREENING_CODES, "DIRECT_EARLIER_REPORT", DIRECT, REUSED]


def test_ties_do_not_depend_on_history_order() -> None:
    history = [closed("苗栗縣/unit-B", 10 * DAY), closed("苗栗縣/unit-A", 10 * DAY)]
    units = {apply_rereport_rule(report(), order).recommended[0].unit for order in (history, history[::-1])}
    assert units == {"苗栗縣/unit-B"}


def test_nothing_changes_without_a_recent_closure() -> None:
    screened = report()
    assert apply_rereport_rule(screened, []) is screened
