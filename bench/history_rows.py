"""The rows of one earlier report in every service's schema, made by the services' own code.

`HistoryRows.report()` takes one body from bench/mix.py, backdated to `received_at`, and
runs it through what production runs, without Kafka or HTTP in between:
- intake: ReportSubmission validation, the keyed subject hashes, ReportCipher sealing
  (the cluster's SAFETYNET_KEY_RING: GET opens these rows), the read model and timeline
  entries its projection would write, and the audit entries of the reads and actions;
- screening: decision model v1 (`domain.decide`, with the closed-referral history of
  re-reported subjects) and the closed-referral rows routing's ReferralClosed feeds it;
- routing: the Case aggregate opened from the decision, then dispatcher and unit
  commands at plausible delays (confirm after review, acknowledge, close), each with its
  action-history row and its ReportStatusChanged snapshot;
- notify: the SLA clock (SlaClock's rules: met, breached or still open), its timers,
  and referral and escalation notifications with one delivery each.
Commands whose time would be in the future are not applied, so recent reports are left
awaiting review, assigned or acknowledged, as a live system has them.

Audit entries are returned unchained: the chain is one sequential pass in trail order
(bench/history.py), after every worker is done.
"""

import bisect
import hmac
import json
import operator
import os
import random
import re
import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import to_json, to_jsonable_python

from bench import mix
from safetynet.contracts.national_id import LETTER_CODES, check_digit
from safetynet.contracts.report import TAIPEI, ReportSubmission
from safetynet.intake.adapters.crypto import ReportCipher, split
from safetynet.intake.domain.audit import Actor, Entry, personal_fields
from safetynet.intake.domain.listing import list_columns
from safetynet.intake.domain.subjects import subject_hash
from safetynet.intake.domain.views import ReportView
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.domain import escalation_notifications, referral_notifications
from safetynet.notify.domain.sla import SlaPolicy
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.crypto import KeyRing
from safetynet.policy.repeat_window import REPEAT_WINDOW
from safetynet.routing import domain as routing
from safetynet.screening import domain as screening

DEFAULT_SLA = 24 * 3600
WARNINGS = (16 * 3600, 22 * 3600)  # the services' defaults (SAFETYNET_SLA_WARN_SECONDS)
H = 3600.0


def _j(value: Any) -> str:
    """JSON for a jsonb column (dataclasses, tuples and datetimes as pydantic dumps them)."""
    return to_json(value).decode()


_bits = random.SystemRandom().getrandbits
_HEX = "%032x"


def _uid() -> str:
    """A random (version 4) UUID's text; uuid.uuid4() was 10 % of the loader's time."""
    h = _HEX % (_bits(128) & ~(0xF000 << 64) & ~(0xC << 60) | (0x4000 << 64) | (0x8 << 60))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _action_detail(event: Any) -> dict[str, Any]:
    """routing's adapters.repository.action_detail, without dataclasses.asdict's deep
    copies (a third of the loader's time): the same JSON."""
    detail: dict[str, Any] = to_jsonable_python(event)  # a dataclass becomes a dict
    del detail["actor"], detail["at"]
    detail["key_id"] = event.actor.key_id
    return detail


class HistoryRows:
    """Deterministic per `seed`; one instance per worker (a contiguous slice of time)."""

    def __init__(self, *, seed: int, key_ring: str, hash_key: str, now: datetime, keys: dict[str, Any]):
        self.rng = random.Random(seed)
        self.mix = mix.ReportMix(seed=seed, repeat_share=0.05)
        self.cipher = ReportCipher(KeyRing.parse(key_ring))
        self.hash_key = hash_key.encode()
        self.now = now
        self.keys = keys  # historical api keys: agency/dispatcher/unit -> key row facts
        self.counties = CountyDirectory.load()
        self.units = UnitDirectory.load()
        self.policy = SlaPolicy(sla_seconds=DEFAULT_SLA, warn_seconds=WARNINGS)
        # Re-reports: when each subject hash was last named, and the referrals closed for
        # it, within the 365-day window (pruned as time moves on).
        self.last_named: dict[str, datetime] = {}
        self.unit_keys: dict[str, str] = {}

    def _client(self) -> str:
        return f"10.20.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    def prune(self, before: datetime) -> None:
        """Forget what falls out of the repeat window (bounded memory over 2.5 years)."""
        edge = before - REPEAT_WINDOW
        self.last_named = {h: t for h, t in self.last_named.items() if t > edge}
        for county in self.mix.seen:  # the mix keeps every subject it drew: cap it
            del self.mix.seen[county][:-20_000]

    def unit_key(self, unit: str) -> str:
        if unit not in self.unit_keys:
            self.unit_keys[unit] = str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-history-unit/" + unit))
        return self.unit_keys[unit]

    def report(
        self, received_at: datetime, out: dict[str, list[tuple[Any, ...]]], *, seal: bool = True
    ) -> dict[str, Any]:
        """Append one report's rows to `out`; returns what a Template needs to stamp copies
        of it (with seal=False the sealed columns are left empty: the stamper seals)."""
        rng, now = self.rng, self.now
        agency_type, body = self.mix.next()
        body["occurred_at"] = (
            (received_at - timedelta(minutes=rng.randint(10, 48 * 60))).astimezone(TAIPEI).isoformat(timespec="seconds")
        )
        submission = ReportSubmission.model_validate(body)
        county = submission.county
        report_id = _uid()
        agency = self.keys["agency"][(county, agency_type)]
        dispatcher = self.keys["dispatcher"][county]

        # intake: acceptance --------------------------------------------------------
        hashes = [subject_hash(self.hash_key, s.national_id) if s.national_id else None for s in submission.subjects]
        known = sorted({h for h in hashes if h})
        edge = received_at - REPEAT_WINDOW
        seen = {h for h in known if h in self.last_named and self.last_named[h] > edge}
        for h in known:
            self.last_named[h] = received_at
        intake_due = received_at + timedelta(
            seconds=self.counties.sla_seconds(county=county, risk_level=None, default=DEFAULT_SLA)
        )
        stored = submission.model_dump(mode="json", exclude_none=True)
        if seal:
            sealed = self.cipher.seal(report_id, stored)
            personal = b""
        else:
            public, private = split(stored)
            personal = json.dumps(private, ensure_ascii=False, separators=(",", ":")).encode()
            sealed = {
                "submission": public,
                "personal_key_id": None,
                "personal_wrapped_key": None,
                "personal_nonce": None,
                "personal_ciphertext": None,
            }
        out["intake_reports"].append(
            (
                report_id,
                county,
                submission.township,
                agency_type,
                agency["name"],
                agency["key_id"],
                received_at,
                intake_due,
                _j(submission.categories),
                _j(sealed["submission"]),
                sealed["personal_key_id"],
                sealed["personal_wrapped_key"],
                sealed["personal_nonce"],
                sealed["personal_ciphertext"],
                None,
                None,
                county,
            )
        )
        for h in known:
            out["intake_subject_index"].append((h, report_id, received_at))
        timeline = out["intake_timeline"]
        timeline.append(
            (
                report_id,
                report_id,
                received_at,
                "received",
                f"agency:{agency['name']}",
                ", ".join(submission.categories),
            )
        )

        # screening: decision model v1 ---------------------------------------------
        day = received_at.astimezone(TAIPEI).date()
        inputs = screening.ScreeningInput(
            report_id=report_id,
            county=county,
            township=submission.township,
            received_at=received_at,
            categories=frozenset(submission.categories),
            subjects=tuple(
                screening.Subject(role=s.role, age=s.age_on(day), subject_hash=h, named_in_earlier_report=h in seen)
                for s, h in zip(submission.subjects, hashes)
            ),
            household=screening.Household(**(submission.household.model_dump() if submission.household else {})),
            indicators=screening.Indicators(
                **(submission.indicators.model_dump(exclude_none=True) if submission.indicators else {})
            ),
        )
        decision = screening.decide(inputs, directory=self.counties)
        screened_at = received_at + timedelta(seconds=rng.uniform(0.05, 0.5))
        due = received_at + timedelta(
            seconds=self.counties.sla_seconds(county=county, risk_level=decision.risk_level, default=DEFAULT_SLA)
        )
        out["screening_decisions"].append(
            (report_id, county, decision.rule_version, decision.risk_level, _j(decision), screened_at)
        )
        timeline.append(
            (
                report_id,
                _uid(),
                screened_at,
                "screened",
                "screening",
                f"{decision.risk_level}; direct_dispatch={str(decision.direct_dispatch).lower()}; "
                + ", ".join(r.code for r in decision.reasons),
            )
        )

        # routing: the case and what people did with it ------------------------------
        opened_at = screened_at + timedelta(seconds=rng.uniform(0.02, 0.3))
        case, first = routing.Case.open(
            routing.ScreenedReport(
                report_id=report_id,
                county=county,
                risk_level=decision.risk_level,
                urgent=decision.urgent,
                direct_dispatch=decision.direct_dispatch,
                recommended=tuple(routing.Destination(kind=d.kind, unit=d.unit) for d in decision.destinations),
                subject_hashes=tuple(known),
                received_at=received_at,
            ),
            at=opened_at,
        )
        # Each step: the events one transaction caused, and the status it left (what
        # that step's ReportStatusChanged told intake and notify).
        steps: list[tuple[list[Any], str]] = [(first, case.status)]
        audit: list[tuple[Any, ...]] = out["audit_stage"]
        read_at = screened_at + timedelta(seconds=rng.uniform(60, 2 * H))
        if read_at < now:
            audit.append(
                (
                    read_at,
                    _uid(),
                    dispatcher["key_id"],
                    dispatcher["name"],
                    "dispatcher",
                    "read_report",
                    "GET /v1/reports/{report_id}",
                    self._client(),
                    county,
                    report_id,
                    None,
                    _j({"fields": list(personal_fields("dispatcher"))}),
                )
            )
        if case.status == "awaiting_review":
            at = opened_at + timedelta(seconds=rng.uniform(0.3 * H, 20 * H))
            if at < now:
                actor = routing.Actor(role="dispatcher", name=dispatcher["name"], key_id=dispatcher["key_id"])
                try:
                    steps.append((case.confirm(actor=actor, at=at), case.status))
                    self._command(
                        out,
                        report_id,
                        county,
                        at,
                        actor,
                        "ConfirmDestinations",
                        "POST /v1/reports/{report_id}/confirm",
                        None,
                        [],
                    )
                except routing.InvalidTransition:
                    pass  # no unit for a destination: stays for a dispatcher to change
        # Units acknowledge within hours, and close their referrals days or weeks later.
        acknowledged = []
        for referral in list(case.referrals):
            at = referral.assigned_at + timedelta(seconds=rng.uniform(0.5 * H, 12 * H))
            if referral.status != "assigned" or at >= now:
                continue
            actor = routing.Actor(role="unit", name=referral.unit, key_id=self.unit_key(referral.unit))
            steps.append((case.acknowledge(referral_id=referral.referral_id, actor=actor, at=at), case.status))
            self._command(
                out,
                report_id,
                county,
                at,
                actor,
                "AcknowledgeReferral",
                "POST /v1/referrals/{referral_id}/acknowledge",
                referral.referral_id,
                [],
            )
            acknowledged.append((referral, actor, at + timedelta(days=rng.uniform(3, 90))))
        for referral, actor, closed_at in sorted(acknowledged, key=lambda a: a[2]):
            if closed_at >= now:
                continue
            steps.append(
                (
                    case.close(referral_id=referral.referral_id, outcome="opened", actor=actor, at=closed_at),
                    case.status,
                )
            )
            self._command(
                out,
                report_id,
                county,
                closed_at,
                actor,
                "CloseReferral",
                "POST /v1/referrals/{referral_id}/close",
                referral.referral_id,
                ["outcome"],
            )
        dispatched_at: datetime | None = None
        for changes, status in steps:
            for change in changes:
                out["routing_actions"].append(
                    (report_id, type(change).__name__, change.actor.label, change.at, _j(_action_detail(change)))
                )
                if isinstance(change, routing.ReferralEvent):
                    r = change.referral
                    timeline.append(
                        (
                            report_id,
                            _uid(),
                            change.at,
                            f"referral_{r.status}",
                            change.actor.label,
                            f"{r.kind} → {r.unit}" + (f": {change.detail}" if change.detail else ""),
                        )
                    )
            timeline.append(
                (report_id, _uid(), changes[0].at, f"status_{status}", changes[0].actor.label, changes[0].detail)
            )
            if dispatched_at is None and status in ("acknowledged", "closed"):
                dispatched_at = changes[0].at  # notify's dispatch_complete: every live referral acknowledged
        referrals = sorted(case.referrals, key=routing.referral_order)
        out["routing_cases"].append(
            (
                report_id,
                county,
                case.status,
                case.urgent,
                case.direct_dispatch,
                case.risk_level,
                _j(case.recommended),
                _j(case.destinations),
                _j(list(case.subject_hashes)),
                case.seq,
                received_at,
                case.updated_at,
                None if getattr(case, "reasons", None) is None else _j(case.reasons),
            )
        )
        for h in sorted(set(case.subject_hashes)):
            out["routing_case_subjects"].append((report_id, h))
        for r in referrals:
            out["routing_referrals"].append(
                (
                    r.referral_id,
                    report_id,
                    county,
                    r.kind,
                    r.unit,
                    r.status,
                    r.urgent,
                    r.assigned_at,
                    r.updated_at,
                    r.reason,
                    r.outcome,
                )
            )
            out["intake_referral_index"].append((r.referral_id, report_id, r.unit))

        # notify: the SLA clock, timers and notifications --------------------------
        sla_events = [(received_at, "sla_started", f"due {intake_due.isoformat()}")]
        if due != intake_due:
            sla_events.append((screened_at, "sla_rescheduled", f"due {due.isoformat()}"))
        if dispatched_at is not None:
            state = "met" if dispatched_at <= due else "breached"
            horizon = dispatched_at
        else:
            state = "breached" if due <= now else "open"
            horizon = now
        for timer in self.policy.timers(received_at=received_at, due_at=due):
            fired = timer.fire_at if timer.fire_at <= horizon else None
            if fired is None and state != "open":
                continue  # the clock settled first: its unfired timers were dropped
            out["notify_timers"].append((report_id, timer.kind, timer.index, timer.fire_at, fired))
            if fired and timer.kind == "warning":
                sla_events.append((fired, "sla_warning", f"due {due.isoformat()}"))
        if state == "breached":
            supervisors = self.units.supervisors(county)
            sla_events.append((due, "sla_breached", f"due {due.isoformat()}; escalated to {', '.join(supervisors)}"))
            for n in escalation_notifications(
                report_id=report_id, county=county, due_at=due, recipients=self.units.supervisor_recipients(county)
            ):
                self._notification(out, n, due)
        if dispatched_at is not None:
            sla_events.append((dispatched_at, "sla_met", f"due {due.isoformat()}"))
        for at, event, detail in sla_events:
            timeline.append((report_id, _uid(), at, event, "notify", detail))
        out["notify_sla_clocks"].append(
            (
                report_id,
                county,
                received_at,
                due,
                state,
                dispatched_at,
                case.seq,
                True,
                max(case.updated_at, dispatched_at or received_at),
                None,
            )
        )
        for r in referrals:
            for n in referral_notifications(
                report_id=report_id,
                referral_id=r.referral_id,
                county=county,
                kind=r.kind,
                unit=r.unit,
                urgent=r.urgent,
                assigned_at=r.assigned_at,
                recipients=self.units.unit_recipients(r.unit),
            ):
                outcome = self._notification(out, n, r.assigned_at)
                timeline.append(
                    (
                        report_id,
                        _uid(),
                        r.assigned_at + timedelta(seconds=0.2),
                        f"notification_{outcome}",
                        "notify",
                        f"{n.channel} → {n.recipient}",
                    )
                )

        # intake's read model, as the projections leave it ---------------------------
        view_referrals = to_jsonable_python(referrals)
        sla = {
            "due_at": due.isoformat(),
            "state": state,
            "closed_at": dispatched_at.isoformat() if dispatched_at else None,
        }
        out["intake_report_views"].append(
            (
                report_id,
                case.status,
                decision.risk_level,
                decision.urgent,
                decision.direct_dispatch,
                decision.rule_version,
                _j([{"code": r.code, "text": r.text} for r in decision.reasons]),
                _j(case.recommended),
                _j(case.destinations),
                _j(view_referrals),
                case.seq,
                _j(sla),
                max(case.updated_at, dispatched_at or received_at),
                county,
                *_list_columns(report_id, case.status, decision.risk_level, case.destinations, view_referrals, sla),
            )
        )
        return {
            "report_id": report_id,
            "received_at": received_at,
            "personal": personal,
            "subjects": [(s.national_id, h) for s, h in zip(submission.subjects, hashes) if h],
            "seen": seen,
        }

    def _command(
        self,
        out: dict[str, list[tuple[Any, ...]]],
        report_id: str,
        county: str,
        at: datetime,
        actor: routing.Actor,
        command: str,
        endpoint: str,
        referral_id: str | None,
        fields: list[str],
    ) -> None:
        """What intake records of a dispatcher's or unit's action: the requested_* timeline
        entry and the audit entry (a moment before routing applies it)."""
        asked = at - timedelta(seconds=self.rng.uniform(0.05, 0.4))
        command_id = _uid()
        name = "".join("_" + c.lower() if c.isupper() else c for c in command).lstrip("_")
        out["intake_timeline"].append(
            (
                report_id,
                command_id,
                asked,
                f"requested_{name}",
                actor.label,
                "outcome: opened" if fields else None,
            )
        )
        out["audit_stage"].append(
            (
                asked,
                _uid(),
                actor.key_id,
                actor.name,
                actor.role,
                command,
                endpoint,
                self._client(),
                county,
                report_id,
                referral_id,
                _j({"command_id": command_id, "fields": sorted(fields)}),
            )
        )

    def _notification(self, out: dict[str, list[tuple[Any, ...]]], n: Any, at: datetime) -> str:
        outcome = "recorded" if n.channel == "recording" else "delivered"
        done = at + timedelta(seconds=self.rng.uniform(0.05, 2))
        out["notify_notifications"].append(
            (
                n.notification_id,
                n.dedupe_key,
                n.kind,
                n.report_id,
                n.referral_id,
                n.county,
                n.recipient,
                n.channel,
                n.address,
                n.urgent,
                n.subject,
                _j(dict(n.content)),
                None,
                "delivered",
                1,
                0,
                None,
                None,
                at,
                done,
            )
        )
        out["notify_deliveries"].append((n.notification_id, 1, n.channel, outcome, None, done))
        return outcome


# ---------------------------------------------------------------------------- templates
#
# Running the services' code costs ~1.4 ms a report; a million is 40 minutes on 2 cores.
# So the loader runs it for a pool of template reports only (a few thousand, received
# over the same years) and stamps each of the million from a template received a little
# later (at most `window`, so every command, closure and SLA outcome of the template
# has happened by then too): every id is new, every time (columns, and times inside
# JSON and text: due dates, assigned_at, …) is shifted by the same delta, every subject
# gets a new valid national ID and its real keyed hash (a re-reported subject of the
# template reuses one of the worker's recent subjects, so repeats stay linked), the
# personal part is sealed for real under the new report id, and each audit entry's
# canonical bytes (what the chain hashes) are stamped alongside it.

_TOKEN = re.compile(
    r"(?P<h>(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f]))"
    r"|(?P<u>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?P<t>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2}))"
)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_I32 = struct.Struct(">i").pack
_I64 = struct.Struct(">q").pack
_US = timedelta(microseconds=1)
_NULL = _I32(-1)
SEALED = slice(10, 14)  # personal_key_id .. personal_ciphertext in an intake_reports row
AUDIT_FIELDS = 12  # at, record_id, actor…, detail: the columns bench/history.py stages


def _text(value: str | None) -> bytes:
    """One text/varchar field of a binary COPY tuple."""
    if value is None:
        return _NULL
    data = value.encode()
    return _I32(len(data)) + data


def _micros(at: datetime) -> int:
    return (at - _PG_EPOCH) // timedelta(microseconds=1)


def audit_copy_fields(
    at: datetime,
    record_id: str,
    key_id: str | None,
    name: str,
    role: str,
    action: str,
    endpoint: str,
    client: str,
    county: str | None,
    report_id: str | None,
    referral_id: str | None,
    detail: str,
) -> bytes:
    """intake_audit's content columns as binary COPY fields, in the order
    record_id, at, actor_key_id, actor_name, actor_role, action, endpoint, client, county,
    report_id, referral_id, detail (jsonb); the loader appends key_id, prev_hash, hash."""
    data = detail.encode()
    return b"".join(
        (
            _text(record_id),
            b"\x00\x00\x00\x08",
            struct.pack(">q", _micros(at)),
            _text(key_id),
            _text(name),
            _text(role),
            _text(action),
            _text(endpoint),
            _text(client),
            _text(county),
            _text(report_id),
            _text(referral_id),
            _I32(len(data) + 1),
            b"\x01",
            data,
        )
    )


def canonical(row: tuple[Any, ...]) -> bytes:
    """intake's Entry.canonical() of an audit row as history_rows makes them."""
    at, record_id, key_id, name, role, action, endpoint, client, county, report_id, referral_id, detail = row
    return Entry(
        record_id=record_id,
        at=at,
        actor=Actor(key_id=key_id, name=name, role=role),
        action=action,
        endpoint=endpoint,
        client=client,
        county=county,
        report_id=report_id,
        referral_id=referral_id,
        detail=json.loads(detail),
    ).canonical()


def audit_entries(rows: list[tuple[Any, ...]]) -> list[tuple[int, str, bytes, bytes]]:
    """Audit rows as HistoryRows makes them, in the stamper's form."""
    return [(_micros(r[0]), r[1], canonical(r), audit_copy_fields(*r)) for r in rows]


class Template:
    """One report's rows with the per-report parts lifted out as slots: `vals` (built per
    stamp) holds the new ids, then subject hashes, then rendered times, then national IDs."""

    def __init__(self, rows: dict[str, list[tuple[Any, ...]]], info: dict[str, Any], stable: set[str]):
        self.received_at: datetime = info["received_at"]
        self.stable = stable
        subjects = info["subjects"]
        self.hashes: list[str] = list(dict.fromkeys(h for _, h in subjects))
        nid_of = {h: n for n, h in subjects}
        self.seen = [h in info["seen"] for h in self.hashes]
        audit = [(r, canonical(r).decode()) for r in rows.get("audit_stage", ())]
        # Pass 1: every id and time, wherever it is (whole columns, JSON, text).
        ids: dict[str, int] = {info["report_id"]: 0}
        times: dict[str, tuple[datetime, bool, bool]] = {}  # text -> (at, has a fraction, 'Z' style)
        texts = [
            v
            for table, records in rows.items()
            if table != "audit_stage"
            for r in records
            for v in r
            if isinstance(v, str)
        ]
        texts += [v for r, canon in audit for v in (*r[1:], canon) if isinstance(v, str)]
        for text in texts:
            for m in _TOKEN.finditer(text):
                v = m.group()
                if m.lastgroup == "u" and v not in stable:
                    ids.setdefault(v, len(ids))
                elif m.lastgroup == "t" and v not in times:
                    times[v] = (datetime.fromisoformat(v), "." in v[19:], v.endswith("Z"))
        self.n_ids = len(ids)
        h0 = self.n_ids
        t0 = h0 + len(self.hashes)
        n0 = t0 + len(times)
        self.slot = {
            **ids,
            **{h: h0 + k for k, h in enumerate(self.hashes)},
            **{t: t0 + k for k, t in enumerate(times)},
        }
        self.times = list(times.values())
        # Pass 2: each row as (base values, datetime columns, whole-id columns, formatted columns).
        self.tables: list[tuple[str, list[tuple[list[Any], list[Any], list[Any], list[Any]]]]] = []
        for table, records in rows.items():
            if table == "audit_stage" or not records:
                continue
            compiled = []
            for r in records:
                dts, slots, fmts = [], [], []
                for i, v in enumerate(r):
                    if isinstance(v, datetime):
                        dts.append((i, v))
                    elif isinstance(v, str) and _TOKEN.search(v):
                        if v in self.slot:
                            slots.append((i, self.slot[v]))
                        else:
                            fmt = self._format(v)
                            if fmt != v:
                                fmts.append((i, fmt))
                compiled.append((list(r), dts, slots, fmts))
            self.tables.append((table, compiled))
        # Audit entries: binary COPY fields around the per-report parts, and the canonical
        # bytes the chain hashes.
        self.audit = []
        for r, canon in audit:
            at, record_id, key_id, name, role, action, endpoint, client, county, report_id, referral_id, detail = r
            fixed = b"".join(_text(v) for v in (key_id, name, role, action, endpoint, client, county))
            self.audit.append(
                (
                    at,
                    ids[record_id],
                    fixed,
                    ids.get(report_id) if report_id else None,
                    ids.get(referral_id) if referral_id else None,
                    self._format(detail),
                    self._format(canon),
                )
            )
        self._layout()
        personal = info["personal"].decode().replace("{", "{{").replace("}", "}}")
        for k, h in enumerate(self.hashes):
            personal = personal.replace(f'"national_id":"{nid_of[h]}"', f'"national_id":"{{0[{n0 + k}]}}"')
        self.personal = personal

    def _layout(self) -> None:
        """Each row as one itemgetter over a per-stamp `pool`: vals, then the shifted
        datetimes, then the formatted strings, then the sealed columns, then constants
        (a C call per row instead of a Python loop over its columns)."""
        n_vals = len(self.slot) + len(self.hashes)  # ids + hashes + times, + national IDs
        dts: dict[datetime, int] = {}
        fmts: dict[str, int] = {}
        consts: list[Any] = []
        for _, compiled in self.tables:
            for _, d, _, f in compiled:
                for _, v in d:
                    dts.setdefault(v, len(dts))
                for _, v in f:
                    fmts.setdefault(v, len(fmts))
        self.dt_list = list(dts)
        self.fmt_list = list(fmts)
        d0, f0 = n_vals, n_vals + len(dts)
        s0 = f0 + len(fmts)
        c0 = s0 + 4
        getters = []
        for table, compiled in self.tables:
            rows = []
            for base, d, slots, f in compiled:
                index: list[int] = []
                for v in base:
                    index.append(c0 + len(consts))
                    consts.append(v)
                for i, v in d:
                    index[i] = d0 + dts[v]
                for i, k in slots:
                    index[i] = k
                for i, v in f:
                    index[i] = f0 + fmts[v]
                if table == "intake_reports":
                    index[SEALED] = range(s0, s0 + 4)
                rows.append(operator.itemgetter(*index))
            getters.append((table, rows))
        self.getters = getters
        self.consts = consts
        self.audit = [
            (_micros(at), rid, fixed, rep, ref, detail, canon) for at, rid, fixed, rep, ref, detail, canon in self.audit
        ]

    def _format(self, text: str) -> str:
        """`text` as a str.format template over `vals`."""
        out, last = [], 0
        for m in _TOKEN.finditer(text):
            slot = self.slot.get(m.group())
            if slot is None:  # a stable id (an API key's), or a hash that is not a subject's
                continue
            out.append(text[last : m.start()].replace("{", "{{").replace("}", "}}"))
            out.append(f"{{0[{slot}]}}")
            last = m.end()
        out.append(text[last:].replace("{", "{{").replace("}", "}}"))
        return "".join(out)


def _list_columns(
    report_id: str, status: str, risk_level: str, destinations: Any, referrals: Any, sla: dict[str, Any]
) -> tuple[Any, ...]:
    """The view's list columns as intake's projection writes them (domain/listing.py),
    in the order of history.TABLES (the county is the report's, written beside)."""
    view = ReportView(
        report_id=report_id,
        sla=sla,  # type: ignore[arg-type]  # the view's own JSON document
        status=status,
        risk_level=risk_level,
        destinations=to_jsonable_python(destinations),
        referrals=referrals,
    )
    columns = list_columns(view)
    return tuple(columns[name] for name in LIST_COLUMNS)


LIST_COLUMNS = ("due_at", "sla_state", "queue", "risk_rank", "kinds")
_LETTERS = sorted(LETTER_CODES)


class Stamper:
    """Makes reports from templates (see above); one per worker, reports in time order."""

    def __init__(
        self,
        *,
        seed: int,
        key_ring: str,
        hash_key: str,
        templates: list[Template],
        window: timedelta,
        check: bool = True,
    ):
        self.rng = random.Random(seed)
        self.ring = KeyRing.parse(key_ring)
        self.hash_key = hash_key.encode()
        self.templates = sorted(templates, key=lambda t: t.received_at)
        self.starts = [t.received_at for t in self.templates]
        self.window = window
        # Recent subjects (national ID, hash), for re-reports: a ring of the last 20,000,
        # days to weeks of reports, well inside the 365-day repeat window.
        self.recent: list[tuple[str, str]] = []
        self.recent_at = 0
        self.check = check

    def template_for(self, received_at: datetime) -> Template | None:
        """A template received in [received_at, received_at + window], or None."""
        lo = bisect.bisect_left(self.starts, received_at)
        hi = bisect.bisect_right(self.starts, received_at + self.window)
        return self.templates[self.rng.randrange(lo, hi)] if hi > lo else None

    def _national_id(self) -> str:
        """A valid random national ID."""
        n = self.rng.getrandbits(40)
        letter = _LETTERS[n % 26]
        body = f"{1 + (n >> 5) % 2}{(n >> 6) % 10_000_000:07d}"
        return letter + body + check_digit(letter, body)

    def _subject(self, seen: bool) -> tuple[str, str]:
        recent = self.recent
        if seen and recent:
            return recent[self.rng.randrange(len(recent))]
        nid = self._national_id()
        pair = (nid, hmac.digest(self.hash_key, nid.encode(), "sha256").hex())  # = subjects.subject_hash
        if len(recent) < 20_000:
            recent.append(pair)
        else:
            recent[self.recent_at] = pair
            self.recent_at = (self.recent_at + 1) % 20_000
        return pair

    def stamp(
        self,
        t: Template,
        received_at: datetime,
        out: dict[str, list[tuple[Any, ...]]],
        audit: list[tuple[int, str, bytes, bytes]],
    ) -> None:
        """One report from `t`, received at `received_at`: rows to `out`, audit entries to
        `audit` as (at in µs, record_id, canonical bytes, binary COPY fields)."""
        delta = received_at - t.received_at
        h = os.urandom(16 * t.n_ids).hex()
        vals = [
            f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-a{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
            for i in range(0, 32 * t.n_ids, 32)
        ]
        subjects = [self._subject(seen) for seen in t.seen]
        vals += [hsh for _, hsh in subjects]
        for at, frac, z in t.times:
            text = (at + delta).isoformat(timespec="microseconds" if frac else "seconds")
            vals.append(text[:-6] + "Z" if z else text)
        vals += [nid for nid, _ in subjects]
        report_id = vals[0]
        sealed = self.ring.seal(t.personal.format(vals).encode(), context=b"intake_reports/" + report_id.encode())
        pool = vals + [d + delta for d in t.dt_list] + [f.format(vals) for f in t.fmt_list]
        pool += (sealed.key_id, sealed.wrapped_key, sealed.nonce, sealed.ciphertext)
        pool += t.consts
        for table, getters in t.getters:
            append = out[table].append
            for g in getters:
                append(g(pool))
        shift = delta // _US
        for at, rid, fixed, rep, ref, detail, canon in t.audit:
            at += shift
            record_id = vals[rid]
            data = detail.format(vals).encode()
            fields = b"".join(
                (
                    _text(record_id),
                    b"\x00\x00\x00\x08",
                    _I64(at),
                    fixed,
                    _text(vals[rep] if rep is not None else None),
                    _text(vals[ref] if ref is not None else None),
                    _I32(len(data) + 1),
                    b"\x01",
                    data,
                )
            )
            audit.append((at, record_id, canon.format(vals).encode(), fields))
        if self.check and t.audit:  # once per worker: the stamped canonical bytes are intake's
            self.check = False
            for (_, record_id, canon, _), (at, _, _, rep, ref, detail, _) in zip(
                audit[len(audit) - len(t.audit) :], t.audit
            ):
                doc = json.loads(canon)
                entry = Entry(
                    record_id=record_id,
                    at=_PG_EPOCH + (at + shift) * _US,
                    actor=Actor(key_id=doc["actor_key_id"], name=doc["actor_name"], role=doc["actor_role"]),
                    action=doc["action"],
                    endpoint=doc["endpoint"],
                    client=doc["client"],
                    county=doc["county"],
                    report_id=vals[rep] if rep is not None else None,
                    referral_id=vals[ref] if ref is not None else None,
                    detail=json.loads(detail.format(vals)),
                )
                if entry.canonical() != canon:
                    raise RuntimeError(
                        "history: a stamped audit entry's canonical bytes are not intake's "
                        "Entry.canonical() of its columns; update bench/history_rows.py"
                    )
