"""Conversion between the wire contracts and intake's records: only here."""

from datetime import datetime
from typing import Any

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import TAIPEI, ReportSubmission
from safetynet.intake.domain.subjects import subject_hash


def subject_hashes(submission: ReportSubmission, key: bytes) -> list[str | None]:
    """One keyed hash per subject, None for a subject without a national ID."""
    return [subject_hash(key, s.national_id) if s.national_id else None for s in submission.subjects]


def report_received(*, report_id: str, submission: ReportSubmission, agency_type: str, received_at: datetime,
                    sla_due_at: datetime, hashes: list[str | None], seen: set[str]) -> Envelope:
    """The event screening and notify need: facts and hashes, no names or narrative."""
    day = received_at.astimezone(TAIPEI).date()
    payload = events.ReportReceived(
        report_id=report_id, county=submission.county, township=submission.township,
        agency_type=agency_type,  # type: ignore[arg-type]
        received_at=received_at, sla_due_at=sla_due_at, categories=submission.categories,
        subjects=[events.SubjectFacts(role=s.role, age=s.age_on(day), subject_hash=h,
                                      named_in_earlier_report=h in seen)
                  for s, h in zip(submission.subjects, hashes)],
        household=submission.household or events.Household(),
        indicators=submission.indicators or events.Indicators(),
    )
    return Envelope(type="ReportReceived", report_id=report_id, producer="intake",
                    payload=payload.model_dump(mode="json"))


def accepted_body(*, report_id: str, received_at: datetime, sla_due_at: datetime, base_url: str) -> dict[str, Any]:
    return {"report_id": report_id, "received_at": received_at.isoformat(),
            "sla_due_at": sla_due_at.isoformat(), "status_url": f"{base_url}/v1/reports/{report_id}"}
