"""The dispatch queue: what waits on a dispatcher or a unit, most urgent first."""

from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from safetynet.intake.domain import paging
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.views import Destination, Referral, Sla
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
    """One page of the queue (raises paging.BadCursor)."""
    items = await dispatch_queue(principal=principal, uow=uow, kind=kind, risk=risk)
    return paging.page(items, key=queue_key, limit=limit, after=after)


async def dispatch_queue(
    *, principal: Principal, uow: IntakeUnitOfWork, kind: str | None = None, risk: str | None = None
) -> list[QueueItem]:
    """Reports awaiting review and referrals awaiting acknowledgement, by SLA time left, then risk."""
    async with uow:
        rows = await uow.views.open_reports(principal.county)
    items: list[QueueItem] = []
    for view, meta in rows:
        waiting = [r for r in view.referrals if r["status"] in AWAITING_ACTION]
        if view.status not in ("awaiting_review", "received") and not waiting:
            continue
        if kind and kind not in {d["kind"] for d in view.destinations}:
            continue
        if risk and view.risk_level != risk:
            continue
        items.append(
            {
                "report_id": view.report_id,
                "status": view.status,
                "risk_level": view.risk_level,
                "urgent": view.urgent,
                "direct_dispatch": view.direct_dispatch,
                "county": meta["county"],
                "township": meta["township"],
                "categories": meta["categories"],
                "received_at": meta["received_at"].isoformat(),
                "sla": view.sla,
                "destinations": view.destinations,
                "waiting_referrals": waiting,
                "queue": "review" if view.status in ("awaiting_review", "received") else "acknowledgement",
            }
        )
    items.sort(key=queue_key)
    return items
