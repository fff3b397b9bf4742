"""Follow-ups in the KPIs (DOMAIN.md decision model v1.1 rule 2): a new report naming a
subject of a household that its welfare center keeps in long-term care (長期關懷戶) is a
follow-up of that household, not a re-report.

A report is a follow-up when, at the moment it was received, a referral of another report
naming one of its subjects (by keyed hash, as every KPI matches subjects) was in long-term
care: placed strictly before the report, and not closed by then. The protection re-report
rate (kpis.py) leaves follow-ups out of its numerator; they stay in its denominator, as
the protection reports they are. No I/O.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LongTermCarePeriod:
    """One referral's time in long-term care, with the subjects its report names."""

    report_id: str
    since: datetime
    until: datetime | None  # closed then; None while still in long-term care
    subject_hashes: frozenset[str]

    def covers(self, at: datetime) -> bool:
        return self.since < at and (self.until is None or at < self.until)


def follow_ups(
    reports: Iterable[tuple[str, datetime, frozenset[str]]], periods: Iterable[LongTermCarePeriod]
) -> frozenset[str]:
    """The ids of the reports, given as (report_id, received_at, subject_hashes), that are
    follow-ups of a long-term care household."""
    by_subject: dict[str, list[LongTermCarePeriod]] = {}
    for p in periods:
        for h in p.subject_hashes:
            by_subject.setdefault(h, []).append(p)
    return frozenset(
        report_id
        for report_id, received_at, hashes in reports
        if any(p.report_id != report_id and p.covers(received_at) for h in hashes for p in by_subject.get(h, ()))
    )
