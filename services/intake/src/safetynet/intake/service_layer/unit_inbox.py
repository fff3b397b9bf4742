"""A destination unit's inbox: its new referrals (most urgent first), the ones it has
acknowledged, and the ones it closed recently. Only the unit's own referrals, and of
their reports only what the dispatch queue shows too (no names, no narrative): listing
the inbox reads no personal data, so, as the queue, it is not an audited read."""

from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from safetynet.intake.adapters.unit_inbox_queries import UnitInboxQueries
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.views import Referral, Sla
from safetynet.intake.service_layer.changes import WINDOW
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.policy.risk_lights import urgency_rank

CLOSED_DAYS = 30  # how long a closed referral stays in the inbox


class InboxItem(TypedDict):
    report_id: str
    referral: Referral
    risk_level: str | None
    urgent: bool  # the referral's or the report's urgency
    county: str
    township: str
    categories: list[str]
    received_at: str
    sla: Sla


class Inbox(TypedDict):
    new: list[InboxItem]  # assigned: the unit has to acknowledge or reject them
    acknowledged: list[InboxItem]  # taken: they end with a close and its outcome
    closed: list[InboxItem]  # closed in the last CLOSED_DAYS days, newest first
    # Long-term care households (issue 14), the nearest (or most overdue) review first.
    long_term: list[InboxItem]


def new_key(item: InboxItem) -> list[Any]:
    """Red or urgent first; then the nearest SLA deadline; then the light; then the id."""
    due = datetime.fromisoformat(item["sla"]["due_at"]).astimezone(UTC).isoformat()
    pressing = item["urgent"] or item["risk_level"] == "red"
    return [not pressing, due, urgency_rank(item["risk_level"]), item["referral"]["referral_id"]]


def _changed_at(item: InboxItem) -> datetime:
    return datetime.fromisoformat(item["referral"]["updated_at"]).astimezone(UTC)


async def unit_inbox(*, principal: Principal, uow: IntakeUnitOfWork, now: datetime) -> Inbox:
    inbox: Inbox = {"new": [], "acknowledged": [], "closed": [], "long_term": []}
    if principal.role != "unit" or not principal.unit:
        return inbox
    since = now - timedelta(days=CLOSED_DAYS)
    async with uow:
        rows = await UnitInboxQueries(uow.session).referred_reports(principal.unit, changed_since=since)
    for view, facts in rows:
        for referral in view.referrals:
            if referral["unit"] != principal.unit:
                continue  # another unit's referral on the same report: never shown
            item: InboxItem = {
                "report_id": view.report_id,
                "referral": referral,
                "risk_level": view.risk_level,
                "urgent": bool(referral["urgent"] or view.urgent),
                "county": facts["county"],
                "township": facts["township"],
                "categories": facts["categories"],
                "received_at": facts["received_at"].isoformat(),
                "sla": view.sla,
            }
            if referral["status"] == "assigned":
                inbox["new"].append(item)
            elif referral["status"] == "acknowledged":
                inbox["acknowledged"].append(item)
            elif referral["status"] == "long_term_care":
                inbox["long_term"].append(item)
            elif referral["status"] == "closed" and _changed_at(item) >= since:
                inbox["closed"].append(item)
            # rejected and reassigned referrals ended: the report is no longer the unit's
    inbox["new"].sort(key=new_key)
    inbox["acknowledged"].sort(key=lambda i: (urgency_rank(i["risk_level"]), _changed_at(i)))
    inbox["closed"].sort(key=_changed_at, reverse=True)
    # ISO dates sort as dates; a household without one (never, from routing) comes first.
    inbox["long_term"].sort(key=lambda i: (i["referral"].get("review_on") or "", i["referral"]["referral_id"]))
    return inbox


async def unit_changes(*, unit: str, uow: IntakeUnitOfWork) -> set[int]:
    """The ids of recent timeline entries of reports referred to `unit` (its event stream)."""
    async with uow:
        return await UnitInboxQueries(uow.session).recent_timeline_ids(unit, window=WINDOW)


async def report_of_own_referral(*, principal: Principal, referral_id: str, uow: IntakeUnitOfWork) -> str | None:
    """The report of a referral this unit holds, or None."""
    async with uow:
        holder = await uow.views.referral_holder(referral_id)
    return holder[0] if holder and principal.role == "unit" and holder[1] == principal.unit else None
