"""The audit trail: who read a report's personal data or acted, on what, when, from where
and why; append-only and hash-chained, so a changed, removed or inserted record shows.

Each record's hash is HMAC-SHA256, under the audit key (SAFETYNET_AUDIT_KEY, which the
database never holds), over the previous record's hash (64 zeros for the first) followed
by the canonical JSON of the record: its fields (not its position, not its own hash),
keys sorted, no whitespace, UTF-8, the time as ISO 8601 UTC with microseconds. The record
stores the key's fingerprint (`key_id`). Records chained before the key existed (a trail
upgraded from the unkeyed chain) have no key_id and a plain SHA-256 hash; they are
accepted only up to `legacy_until` (SAFETYNET_AUDIT_LEGACY_UNTIL, set once by the
operator at the upgrade), so a trail rebuilt without the key as "old records" does not
verify; the first keyed record's HMAC covers their head, so they cannot be rewritten.

Verifying walks the records in order and recomputes every hash; the first record whose
`prev_hash` is not its predecessor's hash, or whose hash does not match its content, is
named. Whoever can write the database but lacks the key cannot recompute the chain after
removing or changing a record. Records cut off the end are shown by checkpoints
(audit_checkpoints.py): the signed head at a time, kept outside the database.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

# What a record says it was about beyond its columns: the fields read, a command's id and
# targets, a key's id. A JSON object whose fields depend on the action, and the one place
# in the record that is free-form: the chain's hash covers its canonical JSON.
AuditDetail = dict[str, Any]

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
    action: str  # why: read_report, ConfirmDestinations, create_key, …
    endpoint: str  # through what: "GET /v1/reports/{report_id}", "cli: keys rotate"
    client: str  # from where: the client's address, or the operator's host
    county: str | None
    report_id: str | None = None
    referral_id: str | None = None
    detail: AuditDetail = field(default_factory=dict)  # what: fields read, command id, key id

    def canonical(self) -> bytes:
        document = {
            "record_id": self.record_id,
            "at": _time(self.at),
            "actor_key_id": self.actor.key_id,
            "actor_name": self.actor.name,
            "actor_role": self.actor.role,
            "action": self.action,
            "endpoint": self.endpoint,
            "client": self.client,
            "county": self.county,
            "report_id": self.report_id,
            "referral_id": self.referral_id,
            "detail": self.detail,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit record")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditKey:
    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        """A fingerprint that names the key on each record without revealing it."""
        return hmac.new(self.secret, b"safetynet-audit-key-id", hashlib.sha256).hexdigest()[:16]

    def mac(self, purpose: bytes, data: bytes) -> str:
        return hmac.new(self.secret, purpose + b"|" + data, hashlib.sha256).hexdigest()


def chain_hash(prev_hash: str, entry: Entry, key: AuditKey | None = None) -> str:
    """The record's link: keyed (HMAC) when `key` is given; plain SHA-256 for records
    chained before the trail had a key."""
    data = prev_hash.encode("ascii") + entry.canonical()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return key.mac(b"chain", data)


@dataclass(frozen=True)
class Stored:
    """A record as stored: its position in the trail, its content and its links."""

    seq: int
    entry: Entry
    prev_hash: str
    hash: str
    key_id: str | None = None  # the audit key's fingerprint; None: a record from before the key


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

    key: AuditKey | None = None
    legacy_until: int = 0  # unkeyed records are accepted up to this seq only
    head: str = GENESIS
    count: int = 0
    last_seq: int = 0
    keyed_seen: bool = False
    broken: Break | None = None

    def feed(self, records: Iterable[Stored]) -> bool:
        """False once the chain is broken (stop reading)."""
        for record in records:
            if self.broken is not None:
                return False
            self.count += 1
            problem = self._problem(record)
            if problem:
                self.broken = Break(record.seq, record.entry.record_id, problem)
            else:
                self.head, self.last_seq = record.hash, record.seq
                self.keyed_seen = self.keyed_seen or record.key_id is not None
        return self.broken is None

    def _problem(self, record: Stored) -> str | None:
        if record.prev_hash != self.head:
            return "does not follow the record before it (a record was removed, inserted or its link changed)"
        if record.key_id is None:
            if record.seq > self.legacy_until:
                return (
                    "has no audit key (written or rewritten without it; records from before the key "
                    "are accepted up to SAFETYNET_AUDIT_LEGACY_UNTIL)"
                )
            if self.keyed_seen:
                return "has no audit key after keyed records (it was written or rewritten without the key)"
            key = None
        elif self.key is None or record.key_id != self.key.id:
            return f"is chained with audit key {record.key_id}, not the one given"
        else:
            key = self.key
        if not hmac.compare_digest(chain_hash(record.prev_hash, record.entry, key), record.hash):
            return "its content does not match its hash (the record was changed)"
        return None


def verify(records: Iterable[Stored], key: AuditKey | None = None, legacy_until: int = 0) -> Break | None:
    verifier = Verifier(key=key, legacy_until=legacy_until)
    verifier.feed(records)
    return verifier.broken
