"""Conversion between the wire contracts and routing's domain: only here."""

from datetime import datetime
from typing import TypedDict

from pydantic import BaseModel

from safetynet.contracts import commands, events
from safetynet.contracts.envelope import Envelope
from safetynet.routing import domain

PRODUCER = "routing"


def to_screened_report(event: events.ReportScreened) -> domain.ScreenedReport:
    return domain.ScreenedReport(
        report_id=event.report_id,
        county=event.county,
        risk_level=event.risk_level,
        urgent=event.urgent,
        direct_dispatch=event.direct_dispatch,
        recommended=tuple(domain.Destination(kind=d.kind, unit=d.unit) for d in event.recommended),
        subject_hashes=tuple(event.subject_hashes),
        received_at=event.received_at,
        reasons=tuple(domain.Reason(code=r.code, text=r.text) for r in event.reasons),
        # Tolerant: a decision from before v1.1 lists no routing rules.
        routing_rules=tuple(getattr(event, "routing_rules", None) or ()),
    )


class _CommandCommon(TypedDict):
    """What every domain command takes from its payload."""

    report_id: str
    county: str
    actor: domain.Actor


def to_command(envelope: Envelope) -> domain.Command:
    """The domain command of a commands-topic envelope (raises ValidationError if malformed)."""
    payload = envelope.payload_as(commands.COMMAND_TYPES[envelope.type])
    common = _CommandCommon(report_id=payload.report_id, county=payload.county, actor=to_actor(payload.actor))
    match payload:
        case commands.ConfirmDestinations():
            return domain.ConfirmDestinations(**common)
        case commands.ChangeDestinations():
            return domain.ChangeDestinations(
                **common,
                reason=payload.reason,
                destinations=tuple(domain.Destination(kind=d.kind, unit=d.unit) for d in payload.destinations),
            )
        case commands.ReassignReferral():
            return domain.ReassignReferral(
                **common, referral_id=payload.referral_id, unit=payload.unit, reason=payload.reason
            )
        case commands.AcknowledgeReferral():
            return domain.AcknowledgeReferral(**common, referral_id=payload.referral_id)
        case commands.RejectReferral():
            return domain.RejectReferral(
                **common, referral_id=payload.referral_id, reason=payload.reason, note=payload.note
            )
        case commands.CloseReferral():
            return domain.CloseReferral(
                **common,
                referral_id=payload.referral_id,
                outcome=payload.outcome,
                reason=payload.reason,
                note=payload.note,
            )
        case commands.PlaceInLongTermCare():
            return domain.PlaceInLongTermCare(
                **common, referral_id=payload.referral_id, review_on=payload.review_on, note=payload.note
            )
    raise TypeError(f"no domain command for {envelope.type}")


def to_actor(actor: commands.Actor) -> domain.Actor:
    return domain.Actor(role=actor.role, name=actor.name, key_id=actor.key_id)


def referral_changed(case: domain.Case, change: domain.ReferralEvent) -> Envelope:
    """ReferralAssigned, ReferralAcknowledged, ...: the envelope type is the event's name."""
    r = change.referral
    payload = events.ReferralChanged(
        report_id=case.report_id,
        referral_id=r.referral_id,
        county=case.county,
        kind=r.kind,
        unit=r.unit,
        status=r.status,
        urgent=r.urgent,
        at=change.at,
        actor=change.actor.label,
        detail=change.detail,
        subject_hashes=list(case.subject_hashes),
        outcome=r.outcome,
        outcome_reason=r.outcome_reason,
        note=r.note,
        review_on=r.review_on,
        linked_to=r.linked_to,
    )
    return _envelope(type(change).__name__, case.report_id, payload)


def status_changed(case: domain.Case, cause: domain.Event) -> Envelope:
    """The case's whole state after the change that `cause` heads."""
    payload = events.ReportStatusChanged(
        report_id=case.report_id,
        county=case.county,
        seq=case.seq,
        status=case.status,
        recommended=[_ref(d) for d in case.recommended],
        destinations=[_ref(d) for d in case.destinations],
        referrals=[_snapshot(r) for r in sorted(case.referrals, key=domain.referral_order)],
        at=cause.at,
        actor=cause.actor.label,
        detail=cause.detail,
        # The decision routing acts on, after the re-report rule it owns.
        direct_dispatch=case.direct_dispatch,
        reasons=None if case.reasons is None else [events.ReasonCode(code=r.code, text=r.text) for r in case.reasons],
    )
    return _envelope("ReportStatusChanged", case.report_id, payload)


def command_rejected(command: domain.Command, *, reason: str, at: datetime) -> Envelope:
    actor = command.actor
    # The domain's command classes carry the contract's envelope type names.
    payload = commands.CommandRejected(
        report_id=command.report_id,
        command_type=type(command).__name__,
        reason=reason,
        at=at,
        actor=commands.Actor(key_id=actor.key_id or "", role=actor.role, name=actor.name),
    )
    return _envelope("CommandRejected", command.report_id, payload)


def _ref(d: domain.Destination) -> events.DestinationRef:
    return events.DestinationRef(kind=d.kind, unit=d.unit)


def _snapshot(r: domain.Referral) -> events.ReferralSnapshot:
    return events.ReferralSnapshot(
        referral_id=r.referral_id,
        kind=r.kind,
        unit=r.unit,
        status=r.status,
        urgent=r.urgent,
        assigned_at=r.assigned_at,
        updated_at=r.updated_at,
        reason=r.reason,
        outcome=r.outcome,
        outcome_reason=r.outcome_reason,
        note=r.note,
        review_on=r.review_on,
        linked_to=r.linked_to,
    )


def _envelope(type_: str, report_id: str, payload: BaseModel) -> Envelope:
    return Envelope(type=type_, report_id=report_id, producer=PRODUCER, payload=payload.model_dump(mode="json"))
