"""Conversion between the wire contracts and notify's domain: only here."""

from datetime import datetime

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.notify.domain import DeliveryResult, Notification, SlaClock, SlaEvent

PRODUCER = "notify"


def sla_changed(clock: SlaClock, event: SlaEvent) -> Envelope:
    payload = events.SlaChanged(
        report_id=clock.report_id,
        county=clock.county,
        state=event.state,
        due_at=event.due_at,
        at=event.at,
        closed_at=event.closed_at,
        warning_index=event.warning_index,
        escalated_to=list(event.escalated_to),
    )
    return Envelope(
        type=event.type, report_id=clock.report_id, producer=PRODUCER, payload=payload.model_dump(mode="json")
    )


def notification_sent(
    notification: Notification,
    result: DeliveryResult,
    *,
    at: datetime,
    dead_lettered: bool = False,
    detail: str | None = None,
) -> Envelope:
    """One delivery attempt of a referral notification or an early-intervention notice,
    as the report's timeline shows it."""
    if notification.kind == "long_term_review":  # the timeline says what the unit was told
        said = detail if detail is not None else result.detail
        review_on = notification.content.get("review_on")
        detail = f"長期關懷追蹤逾期 long-term care review overdue (review on {review_on})" + (
            f": {said}" if said else ""
        )
    payload = events.NotificationSent(
        report_id=notification.report_id,
        referral_id=notification.referral_id or "",
        unit=notification.recipient,
        channel=notification.channel,
        urgent=notification.urgent,
        at=at,
        outcome=result.outcome,
        detail=detail if detail is not None else result.detail,
        attempt=notification.attempt,
        dead_lettered=dead_lettered,
        notice="early_intervention" if notification.kind == "early_intervention" else None,
    )
    return Envelope(
        type="NotificationSent",
        report_id=notification.report_id,
        producer=PRODUCER,
        payload=payload.model_dump(mode="json"),
    )
