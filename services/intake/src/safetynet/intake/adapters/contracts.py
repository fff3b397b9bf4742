"""Conversion between the wire contracts and intake's records: only here."""

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from pydantic import TypeAdapter

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import TAIPEI, Household, Indicators, ReportSubmission
from safetynet.intake.domain.reports import AcceptedBody, Submission
from safetynet.intake.domain.subjects import subject_hash
from safetynet.intake.domain.views import Destination, Reason, Referral
from safetynet.intake.version import API_PATH_PREFIX

_TIME = TypeAdapter(datetime)


def subject_hashes(submission: ReportSubmission, key: bytes) -> list[str | None]:
    """One keyed hash per subject, None for a subject without a national ID."""
    return [subject_hash(key, s.national_id) if s.national_id else None for s in submission.subjects]


def stored_submission(submission: ReportSubmission) -> Submission:
    """The submission as intake keeps it: the contract's JSON, absent blocks left out."""
    return cast(Submission, submission.model_dump(mode="json", exclude_none=True))


def report_received(
    *,
    report_id: str,
    submission: ReportSubmission,
    agency_type: str,
    received_at: datetime,
    sla_due_at: datetime,
    hashes: list[str | None],
    seen: set[str],
) -> Envelope:
    """The event screening and notify need: facts and hashes, no names or narrative."""
    day = received_at.astimezone(TAIPEI).date()
    payload = events.ReportReceived(
        report_id=report_id,
        county=submission.county,
        township=submission.township,
        agency_type=agency_type,
        received_at=received_at,
        sla_due_at=sla_due_at,
        categories=submission.categories,
        subjects=[
            events.SubjectFacts(role=s.role, age=s.age_on(day), subject_hash=h, named_in_earlier_report=h in seen)
            for s, h in zip(submission.subjects, hashes)
        ],
        household=submission.household or Household(),
        indicators=submission.indicators or Indicators(),
    )
    return Envelope(
        type="ReportReceived", report_id=report_id, producer="intake", payload=payload.model_dump(mode="json")
    )


def accepted_body(*, report_id: str, received_at: datetime, sla_due_at: datetime, base_url: str) -> AcceptedBody:
    return {
        "report_id": report_id,
        "received_at": received_at.isoformat(),
        "sla_due_at": sla_due_at.isoformat(),
        "status_url": f"{base_url}{API_PATH_PREFIX}/reports/{report_id}",
    }


# The other services' payloads as parts of the report view: the same JSON the payloads
# carry (times as the contracts write them), typed.


def _time(at: datetime) -> str:
    return str(_TIME.dump_python(at, mode="json"))


def reasons(codes: Iterable[events.ReasonCode]) -> list[Reason]:
    return [Reason(code=c.code, text=c.text) for c in codes]


def destinations(refs: Iterable[events.DestinationRef]) -> list[Destination]:
    return [Destination(kind=d.kind, unit=d.unit) for d in refs]


def referrals(snapshots: Iterable[events.ReferralSnapshot]) -> list[Referral]:
    return [
        Referral(
            referral_id=r.referral_id,
            kind=r.kind,
            unit=r.unit,
            status=r.status,
            urgent=r.urgent,
            assigned_at=_time(r.assigned_at),
            updated_at=_time(r.updated_at),
            reason=r.reason,
            outcome=r.outcome,
            outcome_reason=r.outcome_reason,
            note=r.note,
            review_on=r.review_on.isoformat() if r.review_on else None,
            linked_to=r.linked_to,
        )
        for r in snapshots
    ]
