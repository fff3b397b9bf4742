"""The ops view: open SLAs, soonest first, with where each report waits."""

from datetime import UTC, datetime
from typing import Any, TypedDict

from opentelemetry import propagate, trace

from safetynet.intake.adapters.list_queries import ListQueries
from safetynet.intake.domain import paging
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.listing import sla_after
from safetynet.intake.domain.waiting import WaitingOn, waiting_on
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


class OpenSla(TypedDict):
    """A report whose SLA clock runs: time left, where it waits, and its trace."""

    report_id: str
    status: str
    risk_level: str | None
    received_at: str
    due_at: str
    seconds_left: int
    waiting_on: WaitingOn
    trace_id: str | None
    trace_url: str | None


def sla_key(item: OpenSla) -> list[Any]:
    due = datetime.fromisoformat(item["due_at"]).astimezone(UTC).isoformat()
    return [due, item["report_id"]]


async def open_slas_page(
    *,
    principal: Principal,
    uow: IntakeUnitOfWork,
    trace_url_template: str,
    limit: int = paging.DEFAULT_LIMIT,
    after: str | None = None,
    now: datetime | None = None,
) -> paging.Page:
    """One page of the county's reports whose SLA is still open, soonest deadline first
    (raises paging.BadCursor)."""
    start = sla_after(after) if after is not None else None
    now = now or datetime.now(UTC)
    async with uow:
        rows = await ListQueries(uow.session).open_slas(principal.county, limit=limit + 1, after=start)
        shown = rows[:limit]
        traces = await uow.reports.traces([view.report_id for view, _ in shown])
    items: list[OpenSla] = []
    for view, meta in shown:
        due = datetime.fromisoformat(view.sla["due_at"])
        trace_id = _trace_id(traces.get(view.report_id))
        items.append(
            {
                "report_id": view.report_id,
                "status": view.status,
                "risk_level": view.risk_level,
                "received_at": meta["received_at"].isoformat(),
                "due_at": view.sla["due_at"],
                "seconds_left": int((due - now).total_seconds()),
                "waiting_on": waiting_on(view),
                "trace_id": trace_id,
                "trace_url": trace_url_template.format(trace_id=trace_id) if trace_id and trace_url_template else None,
            }
        )
    return paging.Page(items, paging.encode(sla_key(items[-1])) if len(rows) > limit else None)


def _trace_id(carrier: dict[str, str] | None) -> str | None:
    if not carrier:
        return None
    context = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
