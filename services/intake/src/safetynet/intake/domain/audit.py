"""The audit trail: who read a report's personal data or acted, on what, when, from where
and why; append-only and hash-chained, so a changed, removed or inserted record shows.

Each record's hash is SHA-256 over the previous record's hash (64 zeros for the first)
followed by the canonical JSON of the record: its fields (not its position, not its own
hash), keys sorted, no whitespace, UTF-8, the time as ISO 8601 UTC with microseconds.
Verifying walks the records in order and recomputes every hash; the first record whose
`prev_hash` is not its predecessor's hash, or whose hash does not match its content, is
named. The chain alone cannot show that the newest records were cut off the end: compare
the head hash (`safetynet audit verify` prints it) with one kept elsewhere for that.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

GENESIS = "0" * 64

# What each role's report view shows of personal data (entrypoints/api/reports.py): the
# fields a read is recorded with. The agency view shows none, so agency reads are not
# recorded (they would also flood the trail: partner systems poll their reports' status).
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "dispatcher": ("subjects", "narrative", "source", "household", "indicators", "occurred_at", "timeline"),
    "supervisor": ("subjects", "narrative", "source", "household", "indicators", "occurred_at", "timeline"),
    "admin": ("subjects", "narrative", "source", "household", "indicators", "occurred_at", "timeline"),
    "unit": ("subjects", "narrative"),
}


def personal_fields(role: str) -> tuple[str, ...]:
    return PERSONAL_FIELDS.get(role, ())


@dataclass(frozen=True)
class Actor:
    """Who: an API key's principal, or an operator at the CLI (no key)."""
    key_id: str | None
    name: str
    role: str


@dataclass(frozen=True)
class Entry:
    """One record's content: everything the hash covers."""
    record_id: str
    at: datetime
    actor: Actor
    action: str                 # why: read_report, ConfirmDestinations, create_key, …
    endpoint: str               # through what: "GET /v1/reports/{report_id}", "cli: keys rotate"
    client: str                 # from where: the client's address, or the operator's host
    county: str | None
    report_id: str | None = None
    referral_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # what: fields read, command id, key id

    def canonical(self) -> bytes:
        document = {
            "record_id": self.record_id, "at": _time(self.at),
            "actor_key_id": self.actor.key_id, "actor_name": self.actor.name, "actor_role": self.actor.role,
            "action": self.action, "endpoint": self.endpoint, "client": self.client, "county": self.county,
            "report_id": self.report_id, "referral_id": self.referral_id, "detail": self.detail,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit record")
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, entry: Entry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + entry.canonical()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """A record as stored: its position in the trail, its content and its links."""
    seq: int
    entry: Entry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    seq: int
    record_id: str
    reason: str

    def describe(self) -> str:
        return f"record {self.seq} ({self.record_id}): {self.reason}"


@dataclass
class Verifier:
    """Checks records fed in trail order; remembers the first break."""
    head: str = GENESIS
    count: int = 0
    broken: Break | None = None

    def feed(self, records: Iterable[Stored]) -> bool:
        """False once the chain is broken (stop reading)."""
        for record in records:
            if self.broken is not None:
                return False
            self.count += 1
            if record.prev_hash != self.head:
                self.broken = Break(record.seq, record.entry.record_id,
                                    "does not follow the record before it (a record was removed, "
                                    "inserted or its link changed)")
            elif chain_hash(record.prev_hash, record.entry) != record.hash:
                self.broken = Break(record.seq, record.entry.record_id,
                                    "its content does not match its hash (the record was changed)")
            else:
                self.head = record.hash
        return self.broken is None


def verify(records: Iterable[Stored]) -> Break | None:
    verifier = Verifier()
    verifier.feed(records)
    return verifier.broken
