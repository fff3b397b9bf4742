"""The KPI rules on small hand-built cases, boundaries included (domain/kpis.py).

DOMAIN.md, "Indicators the programme tracks" and "Settled details" -> KPIs and Dates.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from safetynet.contracts.report import PROTECTION_CATEGORIES, TAIPEI
from safetynet.intake.domain import high_danger, kpis
from safetynet.intake.domain.kpis import ClosedReferral, KpiReport, NamingReport

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=TAIPEI)
H24, D365, D90 = timedelta(hours=24), timedelta(hours=365 * 24), timedelta(hours=90 * 24)
TICK = timedelta(microseconds=1)


def report(
    report_id: str = "r1",
    *,
    at: datetime = T0,
    categories: tuple[str, ...] = ("intimate_partner_violence",),
    subjects: tuple[str, ...] = ("alice",),
    due: timedelta = H24,
    state: str = "open",
    done: timedelta | None = None,
    agency: str = "police",
    risk: str | None = "red",
) -> KpiReport:
    return KpiReport(
        report_id=report_id,
        received_at=at,
        categories=categories,
        agency_type=agency,
        risk_level=risk,
        subject_hashes=frozenset(subjects),
        sla_due_at=at + due,
        sla_state=state,
        sla_closed_at=at + done if done is not None else None,
    )


def closed(
    at: datetime, *, kind: str = "protection", subjects: tuple[str, ...] = ("alice",), report_id: str = "old"
) -> ClosedReferral:
    return ClosedReferral(report_id=report_id, kind=kind, closed_at=at, subject_hashes=frozenset(subjects))


def naming(
    at: datetime,
    *,
    categories: tuple[str, ...] = ("child_maltreatment",),
    subjects: tuple[str, ...] = ("alice",),
    report_id: str = "later",
) -> NamingReport:
    return NamingReport(report_id=report_id, received_at=at, categories=categories, subject_hashes=frozenset(subjects))


def rate(r: kpis.Rate) -> tuple[int, int]:
    return r.numerator, r.denominator


# -- 24-hour dispatch rate --------------------------------------------------------------------

LATER = T0 + timedelta(days=30)  # every deadline has passed


@pytest.mark.parametrize(
    "done, on_time",
    [
        (timedelta(hours=1), True),
        (H24, True),  # exactly 24 h is within 24 h
        (H24 + TICK, False),
        (timedelta(hours=30), False),
    ],
)
def test_dispatch_is_on_time_up_to_exactly_24_hours(done: timedelta, on_time: bool) -> None:
    state = "met" if done <= H24 else "breached"
    assert rate(kpis.dispatch_rate([report(done=done, state=state)], now=LATER)) == (int(on_time), 1)


def test_a_late_report_of_a_short_deadline_is_still_on_time_within_24_hours() -> None:
    # A red report due in 4 h, dispatched at 6 h: the SLA says breached, the KPI counts 24 h.
    red = report(due=timedelta(hours=4), state="breached", done=timedelta(hours=6))
    assert rate(kpis.dispatch_rate([red], now=LATER)) == (1, 1)


def test_undispatched_reports_count_once_their_deadline_has_passed() -> None:
    waiting = report(due=H24)
    assert kpis.dispatch_rate([waiting], now=T0 + H24 - TICK).as_dict() == {
        "numerator": 0,
        "denominator": 0,
        "rate": None,
        "pending": 1,
    }
    assert kpis.dispatch_rate([waiting], now=T0 + H24).as_dict() == {
        "numerator": 0,
        "denominator": 1,
        "rate": 0.0,
        "pending": 0,
    }


def test_a_dispatched_report_counts_before_its_deadline() -> None:
    early = report(state="met", done=timedelta(hours=2))
    assert rate(kpis.dispatch_rate([early], now=T0 + timedelta(hours=3))) == (1, 1)


def test_a_met_sla_without_a_closing_time_was_met_by_its_deadline() -> None:
    assert rate(kpis.dispatch_rate([report(state="met", due=timedelta(hours=4))], now=T0)) == (1, 1)


def test_dispatch_rate_mixes() -> None:
    reports = [
        report("a", state="met", done=timedelta(hours=3)),
        report("b", state="breached"),
        report("c", at=LATER - timedelta(hours=1)),
        report("d", state="breached", done=timedelta(hours=25)),
    ]
    result = kpis.dispatch_rate(reports, now=LATER).as_dict()
    assert result == {"numerator": 1, "denominator": 3, "rate": 1 / 3, "pending": 1}


# -- protection re-report rate ----------------------------------------------------------------


@pytest.mark.parametrize(
    "before, counted",
    [
        (TICK, True),
        (timedelta(0), False),  # closed at the very moment: not strictly earlier
        (-timedelta(seconds=1), False),  # closed after the report
        (D365 - TICK, True),
        (D365, False),  # exactly 365×24 h before: outside the window
        (timedelta(days=365, hours=1), False),
    ],
)
def test_rereport_window_is_strictly_earlier_and_less_than_365_days(before: timedelta, counted: bool) -> None:
    assert rate(kpis.protection_rereport_rate([report()], [closed(T0 - before)])) == (int(counted), 1)


@pytest.mark.parametrize("category", PROTECTION_CATEGORIES)
def test_every_protection_category_is_a_protection_report(category: str) -> None:
    assert rate(kpis.protection_rereport_rate([report(categories=(category, "other"))], [closed(T0 - H24)])) == (1, 1)


def test_non_protection_reports_are_not_counted() -> None:
    reports = [report(categories=("vulnerable_family",)), report(categories=("suicide_risk", "other"))]
    assert kpis.protection_rereport_rate(reports, [closed(T0 - H24)]).as_dict() == {
        "numerator": 0,
        "denominator": 0,
        "rate": None,
    }


def test_only_a_closed_protection_referral_of_the_same_subject_counts() -> None:
    one_day = T0 - H24
    assert rate(kpis.protection_rereport_rate([report()], [closed(one_day, kind="welfare_center")])) == (0, 1)
    assert rate(kpis.protection_rereport_rate([report()], [closed(one_day, subjects=("bob",))])) == (0, 1)
    assert rate(kpis.protection_rereport_rate([report(subjects=())], [closed(one_day)])) == (0, 1)
    assert rate(kpis.protection_rereport_rate([report(subjects=("bob", "alice"))], [closed(one_day)])) == (1, 1)


def test_a_report_is_not_its_own_rereport() -> None:
    assert rate(kpis.protection_rereport_rate([report("r1")], [closed(T0 - H24, report_id="r1")])) == (0, 1)


def test_rereport_rate_counts_reports_not_matches() -> None:
    reports = [report("a", subjects=("alice", "bob")), report("b", subjects=("carol",)), report("c", subjects=("dan",))]
    history = [closed(T0 - H24), closed(T0 - 2 * H24, subjects=("bob",)), closed(T0 - H24, subjects=("carol",))]
    assert kpis.protection_rereport_rate(reports, history).as_dict() == {
        "numerator": 2,
        "denominator": 3,
        "rate": 2 / 3,
    }


# -- vulnerable family -> protection within 90 days ---------------------------------------------

VF = ("vulnerable_family",)


@pytest.mark.parametrize(
    "after, counted",
    [
        (TICK, True),
        (timedelta(0), False),  # the same moment is not "the next 90 days"
        (-timedelta(days=1), False),  # an earlier protection report does not count
        (D90 - TICK, True),
        (D90, False),  # exactly 90×24 h later: outside the window
    ],
)
def test_vulnerable_window_is_strictly_later_and_less_than_90_days(after: timedelta, counted: bool) -> None:
    result = kpis.vulnerable_to_protection_rate([report(categories=VF)], [naming(T0 + after)], now=T0 + D90 * 2)
    assert rate(result) == (int(counted), 1)


def test_only_a_later_protection_report_on_the_same_subject_counts() -> None:
    vf = [report(categories=VF)]
    now = T0 + D90
    assert rate(kpis.vulnerable_to_protection_rate(vf, [naming(T0 + H24, categories=VF)], now=now)) == (0, 1)
    assert rate(kpis.vulnerable_to_protection_rate(vf, [naming(T0 + H24, subjects=("bob",))], now=now)) == (0, 1)
    assert rate(
        kpis.vulnerable_to_protection_rate(vf, [naming(T0 + H24, categories=("other", "elder_abuse"))], now=now)
    ) == (1, 1)


def test_a_report_both_vulnerable_and_protection_does_not_follow_itself() -> None:
    both = report("r1", categories=("vulnerable_family", "child_maltreatment"))
    assert rate(kpis.vulnerable_to_protection_rate([both], [naming(T0, report_id="r1")], now=T0)) == (0, 1)


def test_open_windows_are_counted_and_reported() -> None:
    vf = [report("a", categories=VF), report("b", at=T0 + H24, categories=VF), report("c")]
    result = kpis.vulnerable_to_protection_rate(vf, [], now=T0 + D90)
    assert result.as_dict() == {"numerator": 0, "denominator": 2, "rate": 0.0, "window_open": 1}


# -- counts --------------------------------------------------------------------------------------


def test_counts_by_category_source_and_risk() -> None:
    reports = [
        report("a", categories=("intimate_partner_violence", "vulnerable_family"), agency="school"),
        report("b", categories=("vulnerable_family",), risk=None),
        report("c", categories=("other",), agency="school", risk="green"),
    ]
    c = kpis.counts(reports)
    assert c["by_category"]["vulnerable_family"] == 2
    assert c["by_category"]["intimate_partner_violence"] == 1 and c["by_category"]["other"] == 1
    assert c["by_category"]["elder_abuse"] == 0 and len(c["by_category"]) == 13
    assert c["by_source"] == {**dict.fromkeys(c["by_source"], 0), "school": 2, "police": 1}
    assert c["by_risk_level"] == {"red": 1, "orange": 0, "yellow": 0, "green": 1, "unscreened": 1}


def test_compute_on_nothing_gives_null_rates() -> None:
    result = kpis.compute([], closed=[], naming=[], now=T0)
    assert result["reports"] == 0
    for name in ("dispatch_within_24h", "protection_rereport", "vulnerable_family_to_protection_90d"):
        assert result[name]["rate"] is None and result[name]["denominator"] == 0


# -- periods in Taipei time ------------------------------------------------------------------------


def in_period(at: datetime, first: date, last: date) -> bool:
    start, end = kpis.period_bounds(first, last)
    return start <= at < end


@pytest.mark.parametrize(
    "at, inside",
    [
        (datetime(2026, 11, 1, 0, 0, tzinfo=TAIPEI), True),
        (datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=TAIPEI), False),
        (datetime(2026, 10, 31, 16, 0, tzinfo=UTC), True),  # = 11-01 00:00 Taipei
        (datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=TAIPEI), True),
        (datetime(2026, 12, 1, 0, 0, tzinfo=TAIPEI), False),
        (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), False),  # = 12-01 00:00 Taipei
    ],
)
def test_period_is_taipei_dates_inclusive(at: datetime, inside: bool) -> None:
    assert in_period(at, date(2026, 11, 1), date(2026, 11, 30)) is inside


def test_a_single_day_period() -> None:
    start, end = kpis.period_bounds(date(2026, 11, 5), date(2026, 11, 5))
    assert (start, end) == (datetime(2026, 11, 4, 16, tzinfo=UTC), datetime(2026, 11, 5, 16, tzinfo=UTC))


def test_month_bounds_roll_over_the_year() -> None:
    assert kpis.month_bounds(2026, 12) == (datetime(2026, 12, 1, tzinfo=TAIPEI), datetime(2027, 1, 1, tzinfo=TAIPEI))
    assert kpis.month_bounds(2028, 2)[1] - kpis.month_bounds(2028, 2)[0] == timedelta(days=29)


@pytest.mark.parametrize(
    "first, last, problems",
    [
        (date(2026, 11, 1), date(2026, 11, 1), []),
        (date(2024, 1, 1), date(2024, 12, 31), []),  # 366 days (leap year)
        (date(2025, 1, 1), date(2026, 1, 1), []),  # 366 days
        (date(2025, 1, 1), date(2026, 1, 2), [("to", "the period may span at most 366 days")]),  # 367 days
        (date(2024, 1, 1), date(2025, 1, 1), [("to", "the period may span at most 366 days")]),  # 367 days
        (date(2026, 11, 2), date(2026, 11, 1), [("to", "must not be before from")]),
        (date(1, 1, 1), date(2026, 1, 1), [("from", "must be between 1900-01-01 and 9998-12-31")]),
        (
            date(9999, 12, 30),
            date(9999, 12, 31),
            [
                ("from", "must be between 1900-01-01 and 9998-12-31"),
                ("to", "must be between 1900-01-01 and 9998-12-31"),
            ],
        ),
    ],
)
def test_period_problems(first: date, last: date, problems: list[Any]) -> None:
    assert kpis.period_problems(first, last) == problems


# -- the high-danger list --------------------------------------------------------------------------


def row(score: Any, **extra: Any) -> dict[str, Any] | None:
    submission = {
        "indicators": {"tipvda_score": score},
        "subjects": [{"role": "victim", "name": "陳美玲", "national_id": "A223456781"}, {"role": "offender"}],
    }
    values = dict(
        report_id="r1",
        received_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
        township="頭份市",
        categories=["intimate_partner_violence"],
        submission=submission,
        risk_level="red",
        status="assigned",
        referrals=[],
    )
    return high_danger.high_danger_row(**{**values, **extra})


@pytest.mark.parametrize("score, listed", [(8, True), (15, True), (7, False), (None, False), (True, False)])
def test_high_danger_is_tipvda_8_or_more(score: Any, listed: bool) -> None:
    assert (row(score) is not None) is listed


def test_high_danger_row_in_taipei_time_without_national_ids() -> None:
    referrals = [
        {"unit": "苗栗縣/protection", "status": "reassigned"},
        {"unit": "苗栗縣/protection2", "status": "closed"},
        {"unit": "苗栗縣/mental_health", "status": "rejected"},
        {"unit": "苗栗縣/protection2", "status": "assigned"},
    ]
    r = row(9, referrals=referrals)
    assert r is not None
    assert r["received_at"] == "2026-12-01T00:30:00+08:00"
    assert r["referral_units"] == ["苗栗縣/protection2"]
    assert r["subjects"] == [{"role": "victim", "name": "陳美玲"}, {"role": "offender", "name": None}]
    assert "A223456781" not in repr(r)


def test_csv_table_has_a_stable_header_and_flattens_lists() -> None:
    r = row(
        9,
        referrals=[{"unit": "u1", "status": "assigned"}, {"unit": "u2", "status": "acknowledged"}],
        categories=["intimate_partner_violence", "child_maltreatment"],
    )
    header, line = high_danger.csv_table([r])
    assert header == [
        "report_id",
        "received_at",
        "township",
        "categories",
        "tipvda_score",
        "risk_level",
        "status",
        "referral_units",
        "subjects",
    ]
    assert line == [
        "r1",
        "2026-12-01T00:30:00+08:00",
        "頭份市",
        "intimate_partner_violence; child_maltreatment",
        "9",
        "red",
        "assigned",
        "u1; u2",
        "victim:陳美玲; offender",
    ]


def test_csv_cells_never_start_a_formula() -> None:
    r = row(9, township='=HYPERLINK("x")', status=None)
    _, line = high_danger.csv_table([r])
    assert line[2] == '\'=HYPERLINK("x")' and line[6] == ""


def test_rows_sort_by_time_then_id() -> None:
    a = row(9, report_id="b", received_at=datetime(2026, 11, 2, tzinfo=TAIPEI))
    b = row(9, report_id="a", received_at=datetime(2026, 11, 2, 0, 0, 0, 1, tzinfo=TAIPEI))
    c = row(9, report_id="a", received_at=datetime(2026, 11, 2, tzinfo=TAIPEI))
    assert [(r["report_id"], r["received_at"]) for r in high_danger.sort_rows([b, a, c])] == [
        ("a", c["received_at"]),
        ("b", a["received_at"]),
        ("a", b["received_at"]),
    ]
