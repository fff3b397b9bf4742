"""Dispatcher and unit actions: checked here, applied by routing (over Kafka)."""

from datetime import UTC, date, datetime

from opentelemetry import propagate, trace

from safetynet.contracts import topics
from safetynet.contracts.envelope import Envelope
from safetynet.intake.domain import actions
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.actions import ActionFields
from safetynet.intake.domain.audit import AuditDetail
from safetynet.intake.domain.reports import StoredReport
from safetynet.intake.domain.timeline import entry_name
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.policy import long_term_care

_tracer = trace.get_tracer("safetynet.intake")


async def request_action(
    *,
    principal: Principal,
    command_type: str,
    uow: IntakeUnitOfWork,
    report_id: str | None = None,
    referral_id: str | None = None,
    fields: ActionFields | None = None,
    outcome: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    review_on: date | None = None,
) -> str:
    """Check an action against the report as last seen, then send it to routing; return its id.

    A unit's answer comes as `outcome`, `reason` and `note` (CloseReferral: outcome, and a
    reason code; RejectReferral: a reason code), checked against the outcome vocabulary
    first: actions.Invalid names the field. PlaceInLongTermCare comes as `review_on` and
    `note`, the date checked against today in Taipei. Other actions carry their `fields`."""
    if command_type in ("CloseReferral", "RejectReferral"):
        fields = actions.outcome_fields(command_type, outcome=outcome, reason=reason, note=note)
    elif command_type == "PlaceInLongTermCare":
        today = long_term_care.today_at(datetime.now(UTC))
        fields = actions.long_term_care_fields(review_on=review_on, note=note, today=today)
    async with uow:
        report_id = report_id or (await uow.views.report_of_referral(referral_id) if referral_id else None)
        ownership = await uow.reports.ownership(report_id) if report_id else None
        view = await uow.views.get(report_id) if report_id else None
        if ownership is None or view is None or report_id is None:
            raise actions.NotVisible("no such report or referral")
        actions.check(principal, command_type, view=view, county=ownership.county, referral_id=referral_id)
        report = await uow.reports.get(report_id, personal=False)
        with _tracer.start_as_current_span(f"action {command_type}", links=_report_links(report)) as span:
            span.set_attribute("safetynet.report_id", report_id)
            span.set_attribute("safetynet.actor_role", principal.role)
            command_id = await _send(
                uow,
                principal,
                command_type,
                report_id=report_id,
                county=ownership.county,
                referral_id=referral_id,
                fields=fields,
            )
        await audit.record(
            uow,
            [
                audit.entry(
                    audit.actor_of(principal),
                    command_type,
                    county=ownership.county,
                    report_id=report_id,
                    referral_id=referral_id,
                    detail=_audit_detail(command_id, fields),
                )
            ],
        )
        await uow.commit()
        return command_id


async def _send(
    uow: IntakeUnitOfWork,
    principal: Principal,
    command_type: str,
    *,
    report_id: str,
    county: str,
    referral_id: str | None,
    fields: ActionFields | None,
) -> str:
    payload = {
        "report_id": report_id,
        "county": county,  # the command's JSON (contracts/commands.py)
        "actor": {"key_id": principal.key_id, "role": principal.role, "name": principal.name},
        **({"referral_id": referral_id} if referral_id else {}),
        **(fields or {}),
    }
    envelope = Envelope(type=command_type, report_id=report_id, producer="intake", payload=payload)
    await uow.emit(topics.COMMANDS, envelope)
    await uow.views.add_timeline(
        report_id=report_id,
        event_id=envelope.event_id,
        at=envelope.occurred_at,
        event=f"requested_{entry_name(command_type)}",
        actor=principal.actor,
        detail=_detail(fields),
    )
    return envelope.event_id


def _report_links(report: StoredReport | None) -> list[trace.Link]:
    """A link from the action's span to the trace of the request that accepted the report."""
    carrier = report.get("trace") if report else None
    if not carrier:
        return []
    context = trace.get_current_span(propagate.extract(carrier)).get_span_context()
    return [trace.Link(context)] if context.is_valid else []


def _detail(fields: ActionFields | None) -> str | None:
    if not fields:
        return None
    parts = [f"{k}: {v}" for k, v in fields.items() if k != "destinations"]
    if "destinations" in fields:
        parts.insert(
            0, "destinations: " + ", ".join(f"{d['kind']}→{d.get('unit') or '?'}" for d in fields["destinations"])
        )
    return "; ".join(parts)


def _audit_detail(command_id: str, fields: ActionFields | None) -> AuditDetail:
    """The command and what it changes; never free text (reasons, outcomes can name people,
    and the trail can never be purged: the timeline keeps them)."""
    detail: AuditDetail = {"command_id": command_id, "fields": sorted(fields or {})}
    if fields and "destinations" in fields:
        detail["destinations"] = [{"kind": d["kind"], "unit": d.get("unit")} for d in fields["destinations"]]
    if fields and "unit" in fields:
        detail["unit"] = fields["unit"]
    if fields and "review_on" in fields:  # a date, not free text: the trail shows each renewal
        detail["review_on"] = fields["review_on"]
    return detail
