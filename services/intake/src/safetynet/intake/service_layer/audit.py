"""Recording to the audit trail, querying it and verifying its chain.

A record is appended in the same transaction as what it records: a read of personal data
is answered only once its record is committed, and an action's record commits with the
command it sends. Where a request came from (client address, endpoint) is set once per
request by the authorization dependency (entrypoints/api/authz.py) in `origin`, a
context variable, so the handlers that the API and the console share need no extra
arguments; the CLI sets its own.
"""

import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake.adapters.audit_repository import chain
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.audit import Actor, AuditDetail, AuditKey, Break, Entry, Stored, Verifier
from safetynet.intake.domain.audit_checkpoints import Checkpoint, compare
from safetynet.intake.service_layer.unit_of_work import DEV_AUDIT_KEY, IntakeUnitOfWork


@dataclass(frozen=True)
class Origin:
    client: str  # the client's address (as uvicorn saw it, behind a trusted proxy: the forwarded one)
    endpoint: str  # "GET /v1/reports/{report_id}", "cli: keys rotate"


_UNKNOWN_ORIGIN = Origin("unknown", "unknown")
_origin: ContextVar[Origin] = ContextVar("safetynet_audit_origin", default=_UNKNOWN_ORIGIN)


def set_origin(origin: Origin) -> None:
    _origin.set(origin)


def current_origin() -> Origin:
    return _origin.get()


# Keys minted without saying who: tests and the embedded mode (the CLI names its operator).
OPERATOR = Actor(key_id=None, name="safetynet", role="operator")


def actor_of(principal: Principal) -> Actor:
    return Actor(key_id=principal.key_id, name=principal.name, role=principal.role)


def entry(
    actor: Actor,
    action: str,
    *,
    county: str | None,
    report_id: str | None = None,
    referral_id: str | None = None,
    detail: AuditDetail | None = None,
    at: datetime | None = None,
) -> Entry:
    origin = current_origin()
    return Entry(
        record_id=str(uuid.uuid4()),
        at=at or datetime.now(UTC),
        actor=actor,
        action=action,
        endpoint=origin.endpoint,
        client=origin.client,
        county=county,
        report_id=report_id,
        referral_id=referral_id,
        detail=detail or {},
    )


async def record(uow: IntakeUnitOfWork, entries: Iterable[Entry]) -> None:
    """Append within the caller's transaction; the caller commits."""
    await uow.audit.append(list(entries))


class ActorJson(TypedDict):
    key_id: str | None
    name: str
    role: str


class RecordJson(TypedDict):
    """A record as GET /v1/audit shows it: its content, its place in the trail and its links."""

    seq: int
    record_id: str
    at: str
    actor: ActorJson
    action: str
    endpoint: str
    client: str
    county: str | None
    report_id: str | None
    referral_id: str | None
    detail: AuditDetail
    prev_hash: str
    hash: str


def as_json(stored: Stored) -> RecordJson:
    e = stored.entry
    return {
        "seq": stored.seq,
        "record_id": e.record_id,
        "at": e.at.isoformat(),
        "actor": {"key_id": e.actor.key_id, "name": e.actor.name, "role": e.actor.role},
        "action": e.action,
        "endpoint": e.endpoint,
        "client": e.client,
        "county": e.county,
        "report_id": e.report_id,
        "referral_id": e.referral_id,
        "detail": e.detail,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


async def query(
    *,
    principal: Principal,
    uow: IntakeUnitOfWork,
    report_id: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[RecordJson]:
    """The key's county's records, newest first."""
    async with uow:
        found = await uow.audit.query(
            county=principal.county, report_id=report_id, actor=actor, before=before, limit=limit
        )
    return [as_json(s) for s in found]


@dataclass(frozen=True)
class Verdict:
    count: int
    head: str
    broken: Break | None
    last_seq: int = 0
    checkpoint_problem: str | None = None  # the trail disagrees with a checkpoint


async def verify_trail(
    engine: AsyncEngine,
    key: AuditKey = DEV_AUDIT_KEY,
    checkpoints: list[Checkpoint] | None = None,
    legacy_until: int = 0,
) -> Verdict:
    """Walk the whole trail in order; stop at the first record that breaks the chain;
    then hold it against the checkpoints kept outside the database, if any."""
    verifier = Verifier(key=key, legacy_until=legacy_until)
    wanted = {c.seq for c in checkpoints or []}
    heads: dict[int, str] = {}
    async for batch in chain(engine):
        heads.update((r.seq, r.hash) for r in batch if r.seq in wanted)
        if not verifier.feed(batch):
            break
    problem = None
    if verifier.broken is None and checkpoints:
        problem = compare(checkpoints, heads, verifier.last_seq)
    return Verdict(
        count=verifier.count,
        head=verifier.head,
        broken=verifier.broken,
        last_seq=verifier.last_seq,
        checkpoint_problem=problem,
    )
