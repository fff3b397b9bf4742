"""Conversion between the wire contracts and screening's domain: only here."""

from datetime import datetime
from typing import Any

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.rule_replays import ReplayCompleted
from safetynet.screening import domain
from safetynet.screening.adapters.repository import StoredDecision
from safetynet.screening.domain import replay


def to_screening_input(event: events.ReportReceived) -> domain.ScreeningInput:
    indicators = event.indicators.model_dump(exclude_none=True, exclude={"bsrs5"})
    bsrs5 = event.indicators.bsrs5
    if bsrs5 is not None:
        indicators["bsrs5"] = domain.Bsrs5(items=tuple(bsrs5.items), suicide=bsrs5.suicide)
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
        categories=sorted(report.categories),
        routing_rules=list(decision.routing_rules),
    )
    return Envelope(
        type="ReportScreened", report_id=report.report_id, producer="screening", payload=payload.model_dump(mode="json")
    )


def stored_input(event: events.ReportReceived) -> dict[str, Any]:
    """What screening keeps of a report to replay it: the event's own facts (subject
    hashes, ages, categories, indicators; no name, ID or narrative ever reaches it)."""
    return event.model_dump(mode="json")


def referral_result(status: str, outcome: str | None) -> str | None:
    """opened | not_opened | rejected, or None while the referral is open (or it was
    reassigned: the unit that holds it now has not answered yet)."""
    if status == "rejected":
        return "rejected"
    if status == "closed" and outcome in ("opened", "not_opened"):
        return outcome
    return None


def to_replay_case(stored: StoredDecision) -> replay.ReplayCase:
    recorded = stored.decision
    return replay.ReplayCase(
        report=to_screening_input(events.ReportReceived.model_validate(stored.input)),
        recorded=replay.RecordedDecision(
            rule_version=recorded["rule_version"],
            risk_level=recorded["risk_level"],
            direct_dispatch=recorded["direct_dispatch"],
            destinations=tuple((d["kind"], d["unit"]) for d in recorded["destinations"]),
            reason_codes=tuple(reason["code"] for reason in recorded.get("reasons", ())),
        ),
        referrals=tuple(
            replay.ReferralResult(kind=r["kind"], unit=r["unit"], result=referral_result(r["status"], r["outcome"]))
            for r in stored.referrals
            if r["status"] != "reassigned"
        ),
    )


def replay_completed(answer: ReplayCompleted) -> Envelope:
    # Keyed by the replay's id: the envelope's report_id is the messages' key.
    return Envelope(
        type="ReplayCompleted", report_id=answer.replay_id, producer="screening", payload=answer.model_dump(mode="json")
    )
