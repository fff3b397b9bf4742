"""Severe child-abuse cases told to prosecutors and police (檢警早期介入, decision model
v1.1 rule 4), as intake keeps them: the month's network-meeting list (網絡會議) and the
KPI "time from receipt to notice". No I/O.

A notice counts as given when every recipient notify reported on has had one successful
delivery (safetynet.policy.early_intervention.notified_at); the time to notice runs from
the report's receipt to that moment. The list names no one: it is ids, places, categories
and times, and a dispatcher opens a report (an audited read) for the people in it.
"""

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain.views import Referral
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.early_intervention import REASON, calls_for_early_intervention, notified_at

__all__ = ["REASON", "calls_for_early_intervention", "notified_at"]


def with_attempt(
    notices: Mapping[str, datetime | None], *, recipient: str, delivered_at: datetime | None
) -> dict[str, datetime | None]:
    """The recipients' first successful deliveries after one more attempt (`delivered_at`
    None: the attempt failed). A later success never moves an earlier one."""
    updated = dict(notices)
    earlier = updated.get(recipient)
    if delivered_at is None:
        updated.setdefault(recipient, None)
    elif earlier is None or delivered_at < earlier:
        updated[recipient] = delivered_at
    return updated


@dataclass(frozen=True)
class FlaggedReport:
    """A report on the list, with what intake knows of it (no personal data)."""

    report_id: str
    received_at: datetime
    township: str
    categories: list[str]
    risk_level: str | None
    status: str | None
    referrals: list[Referral]
    notices: Mapping[str, datetime | None]
    notified_at: datetime | None


class NoticeRow(TypedDict):
    recipient: str
    delivered_at: str | None  # the first successful delivery, Taipei time


class NetworkMeetingRow(TypedDict):
    report_id: str
    received_at: str  # Taipei time
    township: str
    categories: list[str]
    risk_level: str | None
    status: str | None
    protection_units: list[str]  # units holding live protection referrals
    notices: list[NoticeRow]
    notified_at: str | None
    seconds_to_notice: float | None


class NoticeTimes(TypedDict):
    """The KPI over a county's month: how long from receipt until the notice was given."""

    reports: int  # severe child-abuse cases received in the month
    notified: int  # of which the notice reached every recipient
    not_notified: int  # still retrying, dead-lettered, or no notice reported yet
    median_seconds: float | None
    p90_seconds: float | None  # nearest rank: the smallest time that 90% of notices beat or match


def _taipei(at: datetime | None) -> str | None:
    return at.astimezone(TAIPEI).isoformat() if at else None


def network_meeting_row(report: FlaggedReport) -> NetworkMeetingRow:
    units = [
        r["unit"] for r in report.referrals if r.get("kind") == "protection" and r.get("status") not in lifecycle.ENDED
    ]
    seconds = (report.notified_at - report.received_at).total_seconds() if report.notified_at else None
    return {
        "report_id": report.report_id,
        "received_at": report.received_at.astimezone(TAIPEI).isoformat(),
        "township": report.township,
        "categories": list(report.categories),
        "risk_level": report.risk_level,
        "status": report.status,
        "protection_units": list(dict.fromkeys(units)),
        "notices": [{"recipient": who, "delivered_at": _taipei(at)} for who, at in sorted(report.notices.items())],
        "notified_at": _taipei(report.notified_at),
        "seconds_to_notice": seconds,
    }


def sort_rows(rows: Iterable[NetworkMeetingRow]) -> list[NetworkMeetingRow]:
    return sorted(rows, key=lambda r: (datetime.fromisoformat(r["received_at"]), r["report_id"]))


def notice_times(rows: Iterable[NetworkMeetingRow]) -> NoticeTimes:
    listed = list(rows)
    times = sorted(r["seconds_to_notice"] for r in listed if r["seconds_to_notice"] is not None)
    return {
        "reports": len(listed),
        "notified": len(times),
        "not_notified": len(listed) - len(times),
        "median_seconds": statistics.median(times) if times else None,
        "p90_seconds": times[math.ceil(0.9 * len(times)) - 1] if times else None,
    }
