"""Intake's handlers: accepting reports, API keys, and reading a report (the read model is
projected by projections.py)."""

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from safetynet.contracts import topics
from safetynet.contracts.report import ReportSubmission
from safetynet.intake.adapters.contracts import accepted_body, report_received, stored_submission, subject_hashes
from safetynet.intake.adapters.key_cache import LiveKey, cached_live_key
from safetynet.intake.domain.access import Principal, Role, can_read
from safetynet.intake.domain.audit import Actor, personal_fields
from safetynet.intake.domain.case_links import CaseLinks
from safetynet.intake.domain.reports import AcceptedBody, NewReport, StoredReport
from safetynet.intake.domain.timeline import TimelineEntry
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.outbox import current_trace
from safetynet.policy import sla

Clock = Callable[[], datetime]


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different body."""


@dataclass(frozen=True)
class Accepted:
    status_code: int
    body: AcceptedBody
    replayed: bool = False


@dataclass(frozen=True)
class ReportRead:
    """A report as a reader sees it: what was reported, where it stands, what happened."""

    report: StoredReport
    view: ReportView
    timeline: list[TimelineEntry]
    links: CaseLinks = field(default_factory=CaseLinks)  # rule 1 (併案), both ways


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    *,
    role: Role,
    name: str,
    county: str,
    agency_type: str | None = None,
    unit: str | None = None,
    uow: IntakeUnitOfWork,
    expires_at: datetime | None = None,
    operator: Actor = audit.OPERATOR,
    action: str = "create_key",
) -> tuple[Principal, str]:
    """Mint an API key; only its hash is stored, so the secret is shown once. Audited."""
    secret = "sn_" + secrets.token_urlsafe(32)
    principal = Principal(
        key_id=str(uuid.uuid4()), role=role, name=name, county=county, agency_type=agency_type, unit=unit
    )
    async with uow:
        await uow.keys.add(principal, key_hash=hash_secret(secret), expires_at=expires_at)
        await audit.record(
            uow,
            [
                audit.entry(
                    operator,
                    action,
                    county=county,
                    detail={
                        "key_id": principal.key_id,
                        "role": role,
                        "name": name,
                        "unit": unit,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                )
            ],
        )
        await uow.commit()
    return principal, secret


async def authenticate(*, secret: str, uow: IntakeUnitOfWork) -> Principal | None:
    """The principal behind a bearer secret, if the key exists and is neither revoked nor
    expired: from this process's key cache when it has one (adapters/key_cache.py)."""
    if uow.key_cache is None:
        async with uow:
            return await uow.keys.by_hash(hash_secret(secret))

    async def load(key_hash: str) -> LiveKey | None:
        async with uow:
            return await uow.keys.live_by_hash(key_hash)

    return await cached_live_key(uow.key_cache, hash_secret(secret), load)


async def accept_report(
    *,
    principal: Principal,
    submission: ReportSubmission,
    body_sha256: str,
    idempotency_key: str | None,
    uow: IntakeUnitOfWork,
    directory: CountyDirectory,
    hash_key: bytes,
    default_sla_seconds: int,
    base_url: str = "",
    clock: Clock = lambda: datetime.now(UTC),
    audit_as: str | None = None,
) -> Accepted:
    """Store a report and its ReportReceived event in one transaction. `audit_as`: the
    audit action recorded with it, for staff who key in a report for someone else."""
    try:
        return await _accept(**locals())
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key won the race: answer as its replay.
        return await _accept(**locals())


async def _accept(
    *,
    principal: Principal,
    submission: ReportSubmission,
    body_sha256: str,
    idempotency_key: str | None,
    uow: IntakeUnitOfWork,
    directory: CountyDirectory,
    hash_key: bytes,
    default_sla_seconds: int,
    base_url: str,
    clock: Clock,
    audit_as: str | None,
) -> Accepted:
    async with uow:
        if idempotency_key is not None:
            earlier = await uow.idempotency.get(key_id=principal.key_id, idempotency_key=idempotency_key)
            if earlier is not None:
                if earlier["body_sha256"] != body_sha256:
                    raise IdempotencyConflict(idempotency_key)
                return Accepted(earlier["status_code"], earlier["response"], replayed=True)
        hashes = subject_hashes(submission, hash_key)
        known = [h for h in hashes if h]
        await uow.reports.lock_subjects(known)
        received_at = clock()  # after the locks: "earlier" follows the order of acceptance
        seen = await uow.reports.subjects_seen_since(known, received_at=received_at)
        report_id = str(uuid.uuid4())
        seconds = directory.sla_seconds(county=submission.county, risk_level=None, default=default_sla_seconds)
        sla_due_at = sla.deadline(accepted_at=received_at, sla_seconds=seconds)
        await uow.reports.add(
            report=NewReport(
                report_id=report_id,
                county=submission.county,
                township=submission.township,
                agency_type=principal.agency_type or "public",
                agency_name=principal.name,
                agency_county=principal.county,
                key_id=principal.key_id,
                received_at=received_at,
                sla_due_at=sla_due_at,
                categories=list(submission.categories),
                submission=stored_submission(submission),
                trace=current_trace(),
            ),
            subject_hashes=known,
        )
        await uow.views.add(ReportView.received(report_id, sla_due_at=sla_due_at), county=submission.county)
        await uow.views.add_timeline(
            report_id=report_id,
            event_id=report_id,
            at=received_at,
            event="received",
            actor=principal.actor,
            detail=", ".join(submission.categories),
        )
        if audit_as is not None:
            channel = submission.source.channel if submission.source else None
            detail = {"channel": channel, "categories": list(submission.categories)}
            actor = audit.actor_of(principal)
            await audit.record(
                uow, [audit.entry(actor, audit_as, county=submission.county, report_id=report_id, detail=detail)]
            )
        await uow.emit(
            topics.REPORTS,
            report_received(
                report_id=report_id,
                submission=submission,
                agency_type=principal.agency_type or "public",
                received_at=received_at,
                sla_due_at=sla_due_at,
                hashes=hashes,
                seen=seen,
            ),
        )
        body = accepted_body(report_id=report_id, received_at=received_at, sla_due_at=sla_due_at, base_url=base_url)
        if idempotency_key is not None:
            await uow.idempotency.add(
                key_id=principal.key_id,
                idempotency_key=idempotency_key,
                body_sha256=body_sha256,
                report_id=report_id,
                status_code=202,
                response=body,
            )
        await uow.commit()
        return Accepted(202, body)


async def read_report(*, principal: Principal, report_id: str, uow: IntakeUnitOfWork) -> ReportRead | None:
    """The report as `principal` may see it, or None when it is not theirs to see (or
    has no view yet)."""
    async with uow:
        ownership = await uow.reports.ownership(report_id)
        if ownership is None or not can_read(principal, ownership):
            return None
        report, view = await uow.reports.get(report_id), await uow.views.get(report_id)
        if report is None or view is None:
            return None
        found = ReportRead(
            report=report,
            view=view,
            timeline=await uow.views.timeline(report_id),
            links=await uow.views.case_links(view.referrals),
        )
        fields = personal_fields(principal.role)
        if fields:  # shown only once the read is on the audit trail
            await audit.record(
                uow,
                [
                    audit.entry(
                        audit.actor_of(principal),
                        "read_report",
                        county=ownership.county,
                        report_id=report_id,
                        detail={"fields": list(fields)},
                    )
                ],
            )
            await uow.commit()
        return found
