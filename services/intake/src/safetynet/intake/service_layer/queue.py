"""The dispatch queue: what waits on a dispatcher or a unit, most urgent first."""

from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from safetynet.intake.adapters.list_queries import ListQueries
from safetynet.intake.domain import paging
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.listing import REVIEW_STATUSES, queue_after
from safetynet.intake.domain.reports import ReportFacts
from safetynet.intake.domain.views import Destination, Referral, ReportView, Sla
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.policy.referral_lifecycle import AWAITING_ACTION
from safetynet.policy.risk_lights import urgency_rank


class QueueItem(TypedDict):
    """A report in the queue, and whose move it is: a dispatcher's review, or the units'
    acknowledgement of `waiting_referrals`."""

    report_id: str
    status: str
    risk_level: str | None
    urgent: bool | None
    direct_dispatch: bool | None
    county: str
    township: str
    categories: list[str]
    received_at: str
    sla: Sla
    destinations: list[Destination]
    waiting_referrals: list[Referral]
    queue: Literal["review", "acknowledgement"]


def queue_key(item: QueueItem) -> list[Any]:
    """The queue's order: SLA due time (UTC), then risk, then id (a total order for paging)."""
    due = datetime.fromisoformat(item["sla"]["due_at"]).astimezone(UTC).isoformat()
    return [due, urgency_rank(item["risk_level"]), item["report_id"]]


async def dispatch_queue_page(
    *,
    principal: Principal,
    uow: IntakeUnitOfWork,
    kind: str | None = None,
    risk: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
    after: str | None = None,
) -> paging.Page:
    """One page of the queue: reports awaiting review and referrals awaiting acknowledgement,
    by SLA time left, then risk (raises paging.BadCursor)."""
    start = queue_after(after) if after is not None else None
    async with uow:
        rows = await ListQueries(uow.session).queue(
            principal.county, limit=limit + 1, after=start, kind=kind, risk=risk
        )
    items = [_item(view, facts) for view, facts in rows]
    shown = items[:limit]
    return paging.Page(shown, paging.encode(queue_key(shown[-1])) if len(items) > limit else None)


def _item(view: ReportView, facts: ReportFacts) -> QueueItem:
    return {
        "report_id": view.report_id,
        "status": view.status,
        "risk_level": view.risk_level,
        "urgent": view.urgent,
        "direct_dispatch": view.direct_dispatch,
        "county": facts["county"],
        "township": facts["township"],
        "categories": facts["categories"],
        "received_at": facts["received_at"].isoformat(),
        "sla": view.sla,
        "destinations": view.destinations,
        "waiting_referrals": [r for r in view.referrals if r["status"] in AWAITING_ACTION],
        "queue": "review" if view.status in REVIEW_STATUSES else "acknowledgement",
    }
