"""Conversion between the wire contracts and screening's domain: only here."""

from datetime import datetime

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.screening import domain


def to_screening_input(event: events.ReportReceived) -> domain.ScreeningInput:
    indicators = event.indicators.model_dump(exclude_none=True)
    return domain.ScreeningInput(
        report_id=event.report_id,
        county=event.county,
        township=event.township,
        received_at=event.received_at,
        categories=frozenset(event.categories),
        subjects=tuple(
            domain.Subject(
                role=s.role, age=s.age, subject_hash=s.subject_hash, named_in_earlier_report=s.named_in_earlier_report
            )
            for s in event.subjects
        ),
        household=domain.Household(**event.household.model_dump()),
        indicators=domain.Indicators(**indicators),
    )


def report_screened(report: domain.ScreeningInput, decision: domain.Decision, *, sla_due_at: datetime) -> Envelope:
    payload = events.ReportScreened(
        report_id=report.report_id,
        county=report.county,
        received_at=report.received_at,
        rule_version=decision.rule_version,
        risk_level=decision.risk_level,
        urgent=decision.urgent,
        direct_dispatch=decision.direct_dispatch,
        needs_review=decision.needs_review,
        sla_due_at=sla_due_at,
        reasons=[events.ReasonCode(code=r.code, text=r.text) for r in decision.reasons],
        recommended=[events.DestinationRef(kind=d.kind, unit=d.unit) for d in decision.destinations],
        subject_hashes=sorted({s.subject_hash for s in report.subjects if s.subject_hash}),
    )
    return Envelope(
        type="ReportScreened", report_id=report.report_id, producer="screening", payload=payload.model_dump(mode="json")
    )
