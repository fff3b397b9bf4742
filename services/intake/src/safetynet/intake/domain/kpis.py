"""The programme's indicators (KPIs), from plain records. No I/O. (The monthly
high-danger list is high_danger.py.)

DOMAIN.md, "Indicators the programme tracks" and "Settled details" -> KPIs. A period is
`[first, last]`, dates inclusive in Asia/Taipei time: `[first 00:00+08:00, last+1 00:00+08:00)`.
Subjects are matched by keyed national-ID hash only, in any county (as repeat detection
and screening's re-report-after-closure rule do); a subject without one never matches.
The county only selects the reports that are counted.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NotRequired, TypedDict, get_args

from safetynet.contracts.report import PROTECTION_CATEGORIES, TAIPEI, AgencyType, Category, RiskLevel
from safetynet.intake.domain.follow_ups import LongTermCarePeriod, follow_ups
from safetynet.policy.repeat_window import within_repeat_window
from safetynet.policy.sla import dispatched_on_time

VULNERABLE_WINDOW = timedelta(hours=90 * 24)
MAX_PERIOD_DAYS = 366
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)  # keeps every window's arithmetic in range
UNSCREENED = "unscreened"  # the risk-level key of reports screening has not decided yet
_PROTECTION = frozenset(PROTECTION_CATEGORIES)


@dataclass(frozen=True)
class KpiReport:
    """A report received in the period, in the county asked for."""

    report_id: str
    received_at: datetime
    categories: tuple[str, ...]
    agency_type: str
    risk_level: str | None
    subject_hashes: frozenset[str]
    sla_due_at: datetime
    sla_state: str = "open"
    sla_closed_at: datetime | None = None  # when dispatch completed, met or late

    @property
    def protection(self) -> bool:
        return not _PROTECTION.isdisjoint(self.categories)

    @property
    def vulnerable_family(self) -> bool:
        return "vulnerable_family" in self.categories

    @property
    def dispatched_at(self) -> datetime | None:
        """When dispatch completed. A met SLA without a recorded time completed by its deadline."""
        if self.sla_closed_at is not None:
            return self.sla_closed_at
        return self.sla_due_at if self.sla_state == "met" else None


@dataclass(frozen=True)
class ClosedReferral:
    """A referral with status `closed`; `closed_at` is its updated_at."""

    report_id: str
    kind: str
    closed_at: datetime
    subject_hashes: frozenset[str]


@dataclass(frozen=True)
class NamingReport:
    """Any report (any county) naming some of the subjects looked for."""

    report_id: str
    received_at: datetime
    categories: tuple[str, ...]
    subject_hashes: frozenset[str]

    @property
    def protection(self) -> bool:
        return not _PROTECTION.isdisjoint(self.categories)


class RateFigures(TypedDict):
    numerator: int
    denominator: int
    rate: float | None  # None when the denominator is 0
    pending: NotRequired[int]  # dispatch: reports not counted yet
    window_open: NotRequired[int]  # vulnerable family: reports whose 90 days still run


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    pending: int | None = None
    window_open: int | None = None

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def as_dict(self) -> RateFigures:
        figures = RateFigures(numerator=self.numerator, denominator=self.denominator, rate=self.rate)
        if self.pending is not None:
            figures["pending"] = self.pending
        if self.window_open is not None:
            figures["window_open"] = self.window_open
        return figures


class Counts(TypedDict):
    by_category: dict[str, int]
    by_source: dict[str, int]
    by_risk_level: dict[str, int]


class Indicators(TypedDict):
    reports: int
    dispatch_within_24h: RateFigures
    protection_rereport: RateFigures
    vulnerable_family_to_protection_90d: RateFigures
    counts: Counts


# -- periods ------------------------------------------------------------------------------


def period_problems(first: date, last: date) -> list[tuple[str, str]]:
    """(parameter, message) for every reason `[first, last]` is not a period we compute."""
    problems = [
        (name, f"must be between {EARLIEST} and {LATEST}")
        for name, day in (("from", first), ("to", last))
        if not EARLIEST <= day <= LATEST
    ]
    if problems:
        return problems
    if first > last:
        return [("to", "must not be before from")]
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        return [("to", f"the period may span at most {MAX_PERIOD_DAYS} days")]
    return []


def taipei_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TAIPEI).astimezone(UTC)


def period_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """`[start, end)` in UTC of the Taipei dates first..last inclusive."""
    return taipei_midnight(first), taipei_midnight(last + timedelta(days=1))


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return taipei_midnight(date(year, month, 1)), taipei_midnight(following)


# -- the indicators -----------------------------------------------------------------------


def dispatch_rate(reports: Iterable[KpiReport], *, now: datetime) -> Rate:
    """Reports whose deadline (the SLA's due_at, per risk level) has passed by `now`, or whose
    dispatch completed, count; those completed at most 24 h after receipt are on time,
    whatever their deadline. `pending`: reports not counted yet."""
    numerator = denominator = pending = 0
    for r in reports:
        done = r.dispatched_at
        if done is None and r.sla_due_at > now:
            pending += 1
            continue
        denominator += 1
        if done is not None and dispatched_on_time(received_at=r.received_at, dispatched_at=done):
            numerator += 1
    return Rate(numerator, denominator, pending=pending)


def protection_rereport_rate(
    reports: Iterable[KpiReport], closed: Iterable[ClosedReferral], follow_ups: frozenset[str] = frozenset()
) -> Rate:
    """Protection reports naming a subject whose protection referral (on another report) was
    closed inside the repeat window before this report was received (strictly before, less
    than 365×24 h: safetynet.policy.repeat_window). A follow-up of a long-term care
    household (`follow_ups`, follow_ups.py) is never a re-report; it stays a protection report."""
    by_subject: dict[str, list[ClosedReferral]] = {}
    for c in closed:
        if c.kind == "protection":
            for h in c.subject_hashes:
                by_subject.setdefault(h, []).append(c)
    numerator = denominator = 0
    for r in reports:
        if not r.protection:
            continue
        denominator += 1
        if r.report_id not in follow_ups and any(
            c.report_id != r.report_id and within_repeat_window(c.closed_at, r.received_at)
            for h in r.subject_hashes
            for c in by_subject.get(h, ())
        ):
            numerator += 1
    return Rate(numerator, denominator)


def vulnerable_to_protection_rate(
    reports: Iterable[KpiReport], naming: Iterable[NamingReport], *, now: datetime
) -> Rate:
    """Vulnerable-family reports with a subject named in a protection report received strictly
    later and less than 90×24 h later. `window_open`: those whose 90 days have not ended by
    `now` (they stay counted; the numerator can still grow)."""
    by_subject: dict[str, list[NamingReport]] = {}
    for n in naming:
        if n.protection:
            for h in n.subject_hashes:
                by_subject.setdefault(h, []).append(n)
    numerator = denominator = window_open = 0
    for r in reports:
        if not r.vulnerable_family:
            continue
        denominator += 1
        window_open += r.received_at + VULNERABLE_WINDOW > now
        if any(
            n.report_id != r.report_id
            and r.received_at < n.received_at
            and n.received_at - r.received_at < VULNERABLE_WINDOW
            for h in r.subject_hashes
            for n in by_subject.get(h, ())
        ):
            numerator += 1
    return Rate(numerator, denominator, window_open=window_open)


def counts(reports: Iterable[KpiReport]) -> Counts:
    """Reports by category (a report counts once in each of its categories), by source
    (the reporting key's agency type) and by risk level; every known value is listed."""
    by_category = dict.fromkeys(get_args(Category), 0)
    by_source = dict.fromkeys(get_args(AgencyType), 0)
    by_risk = dict.fromkeys((*get_args(RiskLevel), UNSCREENED), 0)
    for r in reports:
        for c in dict.fromkeys(r.categories):
            by_category[c] = by_category.get(c, 0) + 1
        by_source[r.agency_type] = by_source.get(r.agency_type, 0) + 1
        risk = r.risk_level or UNSCREENED
        by_risk[risk] = by_risk.get(risk, 0) + 1
    return {"by_category": by_category, "by_source": by_source, "by_risk_level": by_risk}


def compute(
    reports: list[KpiReport],
    *,
    closed: Iterable[ClosedReferral],
    naming: Iterable[NamingReport],
    now: datetime,
    long_term_care: Iterable[LongTermCarePeriod] = (),
) -> Indicators:
    followed = follow_ups(((r.report_id, r.received_at, r.subject_hashes) for r in reports), long_term_care)
    return {
        "reports": len(reports),
        "dispatch_within_24h": dispatch_rate(reports, now=now).as_dict(),
        "protection_rereport": protection_rereport_rate(reports, closed, followed).as_dict(),
        "vulnerable_family_to_protection_90d": vulnerable_to_protection_rate(reports, naming, now=now).as_dict(),
        "counts": counts(reports),
    }
