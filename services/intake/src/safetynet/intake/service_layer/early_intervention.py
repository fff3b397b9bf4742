"""Early intervention (v1.1 rule 4) in intake's read model: the projection keeps a record
per severe child-abuse case (the decision, then each notice attempt notify reports), and
the month's network-meeting list with the KPI "time from receipt to notice" reads them."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypedDict

from safetynet.contracts import events
from safetynet.intake.adapters.early_interventions import EarlyInterventionRecords
from safetynet.intake.domain import kpis
from safetynet.intake.domain.early_intervention import (
    NetworkMeetingRow,
    NoticeTimes,
    calls_for_early_intervention,
    network_meeting_row,
    notice_times,
    sort_rows,
)
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

# What projections.project runs after the view changed, in the same transaction.
Then = Callable[[IntakeUnitOfWork, ReportView, datetime], Awaitable[None]]


def keep_decision(decision: events.ReportScreened, *, at: datetime) -> Then | None:
    """The record of a decision marking the report for early intervention; None for any other."""
    if not calls_for_early_intervention(r.code for r in decision.reasons):
        return None

    async def then(uow: IntakeUnitOfWork, view: ReportView, received_at: datetime) -> None:
        await EarlyInterventionRecords(uow.session).flag(decision.report_id, received_at=received_at, at=at)

    return then


def keep_notice(sent: events.NotificationSent) -> Then | None:
    """The record of one attempt of an early-intervention notice; None for any other notification."""
    if sent.notice != "early_intervention":
        return None
    delivered_at = sent.at if sent.outcome != "failed" else None

    async def then(uow: IntakeUnitOfWork, view: ReportView, received_at: datetime) -> None:
        await EarlyInterventionRecords(uow.session).record_attempt(
            sent.report_id, received_at=received_at, recipient=sent.unit, delivered_at=delivered_at
        )

    return then


class NetworkMeeting(TypedDict):
    reports: list[NetworkMeetingRow]
    notice_times: NoticeTimes


async def network_meeting(*, county: str, year: int, month: int, uow: IntakeUnitOfWork) -> NetworkMeeting:
    """The county's severe child-abuse cases received in the Taipei month, oldest first,
    and how long their notices took. No names: nothing to audit."""
    start, end = kpis.month_bounds(year, month)
    async with uow:
        flagged = await EarlyInterventionRecords(uow.session).month(county, start, end)
    rows = sort_rows(network_meeting_row(f) for f in flagged)
    return {"reports": rows, "notice_times": notice_times(rows)}
