"""Reads and writes of routing's state: the Case aggregate and its action history."""

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.messaging.uow import insert_soon
from safetynet.policy.referral_lifecycle import AWAITING_ACTION, LIVE_STATUSES
from safetynet.routing import domain
from safetynet.routing.adapters.orm import actions, case_subjects, cases, referrals

# Built once: building a statement costs more CPU than running it.
_CASE_FOR_UPDATE = select(cases).where(cases.c.report_id == bindparam("report_id")).with_for_update()
_REFERRALS_OF_CASE = select(referrals).where(referrals.c.report_id == bindparam("report_id"))
# Rule 1 reads a case's referrals under this, so no command changes them meanwhile.
_CASE_FOR_SHARE = (
    select(cases.c.report_id).where(cases.c.report_id == bindparam("report_id")).with_for_update(read=True)
)


class ConcurrentUpdate(RuntimeError):
    """Another transaction changed the case since it was read; handling it again is safe."""


class CaseRepository:
    def __init__(self, session: AsyncConnection):
        self._session = session
        # What each case looked like when read, so save() writes only what changed.
        self._seen: dict[str, tuple[int, set[str]]] = {}

    async def get(self, report_id: str) -> domain.Case | None:
        # FOR UPDATE serializes commands on one case on PostgreSQL (SQLite locks the file).
        row = (await self._session.execute(_CASE_FOR_UPDATE, {"report_id": report_id})).one_or_none()
        if row is None:
            return None
        rows = await self._session.execute(_REFERRALS_OF_CASE, {"report_id": report_id})
        loaded = sorted((_referral(r._mapping) for r in rows), key=domain.referral_order)
        case = _case(row._mapping, loaded)
        self._seen[report_id] = (case.seq, {r.referral_id for r in case.referrals})
        return case

    async def closed_referrals_for(
        self, subject_hashes: Iterable[str], *, since: datetime
    ) -> list[domain.ClosedReferral]:
        """Referrals closed since `since` on cases naming any of these subjects, as committed
        now: a closed referral never changes again, so its updated_at is when it closed."""
        hashes = sorted(set(subject_hashes))
        if not hashes:
            return []
        s, r = case_subjects.c, referrals.c
        rows = await self._session.execute(
            select(s.subject_hash, r.kind, r.unit, r.county, r.updated_at)
            .join(referrals, r.report_id == s.report_id)
            .where(s.subject_hash.in_(hashes), r.status == "closed", r.updated_at >= since)
        )
        return [
            domain.ClosedReferral(
                subject_hash=row.subject_hash, kind=row.kind, unit=row.unit, county=row.county, closed_at=row.updated_at
            )
            for row in rows
        ]

    async def open_referrals_for(self, subject_hashes: Iterable[str], *, county: str) -> list[domain.OpenReferral]:
        """Live referrals (rule 1, 併案) in `county` on cases naming any of these subjects,
        as they stand once no change to those cases is in flight.

        The cases found are locked FOR SHARE (waiting for any command holding one FOR
        UPDATE, such as a reassignment), then their referrals are read again: a report
        routed while its subject's case is being reassigned links to the unit that holds
        the case once the reassignment commits, on every replica. While this transaction
        holds the lock, a command on those cases waits for it, so the link is never made
        to a referral that is being moved."""
        candidates = await self._open_referrals(subject_hashes, county=county, report_ids=None)
        if not candidates:
            return []
        # Oldest referral first, one case at a time: a reassignment locks the open case, then
        # the later cases linked to it (service_layer/open_cases.py), and a link always
        # points to an older referral, so both take the locks in the same order.
        first_assigned: dict[str, tuple[datetime, str]] = {}
        for c in candidates:
            first_assigned[c.report_id] = min(
                first_assigned.get(c.report_id, (c.assigned_at, c.report_id)), (c.assigned_at, c.report_id)
            )
        report_ids = sorted(first_assigned, key=first_assigned.__getitem__)
        for report_id in report_ids:
            await self._session.execute(_CASE_FOR_SHARE, {"report_id": report_id})
        return await self._open_referrals(subject_hashes, county=county, report_ids=report_ids)

    async def waiting_referrals_linked_to(self, referral_id: str) -> list[tuple[str, str]]:
        """(report id, referral id) of the referrals linked to `referral_id` that their unit
        has not answered yet, in report id order."""
        r = referrals.c
        rows = await self._session.execute(
            select(r.report_id, r.referral_id)
            .where(r.linked_to == referral_id, r.status == "assigned")
            .order_by(r.report_id, r.referral_id)
        )
        return [(row.report_id, row.referral_id) for row in rows]

    async def _open_referrals(
        self, subject_hashes: Iterable[str], *, county: str, report_ids: list[str] | None
    ) -> list[domain.OpenReferral]:
        hashes = sorted(set(subject_hashes))
        if not hashes:
            return []
        s, r = case_subjects.c, referrals.c
        query = (
            select(s.subject_hash, r.referral_id, r.report_id, r.kind, r.unit, r.county, r.status, r.assigned_at)
            .join(referrals, r.report_id == s.report_id)
            .where(s.subject_hash.in_(hashes), r.county == county)
        )
        # The first read finds the cases to lock; it also takes rejected referrals, whose
        # reassignment may be committing as we read. Under the lock, only live ones count.
        if report_ids is not None:
            query = query.where(r.report_id.in_(report_ids), r.status.in_(sorted(LIVE_STATUSES)))
        else:
            query = query.where(r.status.in_(sorted(LIVE_STATUSES | AWAITING_ACTION)))
        rows = await self._session.execute(query)
        return [
            domain.OpenReferral(
                referral_id=row.referral_id,
                report_id=row.report_id,
                subject_hash=row.subject_hash,
                kind=row.kind,
                unit=row.unit,
                county=row.county,
                status=row.status,
                assigned_at=row.assigned_at,
            )
            for row in rows
        ]

    async def add(self, case: domain.Case) -> None:
        await self._session.execute(cases.insert(), dict(**_case_row(case)))
        # One executemany per table: a statement costs far more than a row.
        subjects = [dict(report_id=case.report_id, subject_hash=h) for h in sorted(set(case.subject_hashes))]
        if subjects:
            await self._session.execute(case_subjects.insert(), subjects)
        if case.referrals:
            await self._session.execute(referrals.insert(), [_referral_row(case, r) for r in case.referrals])
        self._seen[case.report_id] = (case.seq, {r.referral_id for r in case.referrals})

    async def save(self, case: domain.Case) -> None:
        """Write a case read by get(); raise ConcurrentUpdate if someone else wrote it first."""
        seq, known = self._seen[case.report_id]
        result = await self._session.execute(
            cases.update().where(cases.c.report_id == case.report_id, cases.c.seq == seq).values(**_case_row(case))
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"case {case.report_id} changed since seq {seq}")
        for referral in case.referrals:
            row = _referral_row(case, referral)
            if referral.referral_id in known:
                await self._session.execute(
                    referrals.update().where(referrals.c.referral_id == referral.referral_id).values(**row)
                )
            else:
                await self._session.execute(referrals.insert(), dict(**row))
        self._seen[case.report_id] = (case.seq, {r.referral_id for r in case.referrals})

    async def add_actions(self, report_id: str, events: Iterable[domain.Event]) -> None:
        """Keep `events` in the case's history, in their order."""
        rows = [
            dict(
                report_id=report_id,
                action=type(event).__name__,
                actor=event.actor.label,
                at=event.at,
                detail=action_detail(event),
            )
            for event in events
        ]
        # Nothing reads the history back before the commit: written with the outbox, in
        # the commit's one statement (platform/messaging/deferred.py).
        await insert_soon(self._session, actions, rows)


def action_detail(event: domain.Event) -> dict[str, Any]:
    """The event as JSON, with the key the person acted with."""
    detail = {k: v for k, v in asdict(event).items() if k not in ("actor", "at")}
    detail["key_id"] = event.actor.key_id
    jsonable: dict[str, Any] = to_jsonable_python(detail)  # a dict stays a dict, of JSON values
    return jsonable


def _destinations(value: list[dict[str, Any]]) -> tuple[domain.Destination, ...]:
    return tuple(domain.Destination(kind=d["kind"], unit=d["unit"]) for d in value)


def _case(row: Any, referral_list: list[domain.Referral]) -> domain.Case:
    return domain.Case(
        report_id=row["report_id"],
        county=row["county"],
        risk_level=row["risk_level"],
        urgent=row["urgent"],
        direct_dispatch=row["direct_dispatch"],
        recommended=_destinations(row["recommended"]),
        destinations=_destinations(row["destinations"]),
        subject_hashes=tuple(row["subject_hashes"]),
        received_at=row["received_at"],
        updated_at=row["updated_at"],
        seq=row["seq"],
        referrals=referral_list,
        reasons=None if row["reasons"] is None else tuple(domain.Reason(**r) for r in row["reasons"]),
    )


def _case_row(case: domain.Case) -> dict[str, Any]:
    return dict(
        report_id=case.report_id,
        county=case.county,
        status=case.status,
        urgent=case.urgent,
        direct_dispatch=case.direct_dispatch,
        risk_level=case.risk_level,
        recommended=[asdict(d) for d in case.recommended],
        destinations=[asdict(d) for d in case.destinations],
        subject_hashes=list(case.subject_hashes),
        seq=case.seq,
        reasons=None if case.reasons is None else [asdict(r) for r in case.reasons],
        received_at=case.received_at,
        updated_at=case.updated_at,
    )


def _referral(row: Any) -> domain.Referral:
    return domain.Referral(
        referral_id=row["referral_id"],
        kind=row["kind"],
        unit=row["unit"],
        status=row["status"],
        urgent=row["urgent"],
        assigned_at=row["assigned_at"],
        updated_at=row["updated_at"],
        reason=row["reason"],
        outcome=row["outcome"],
        outcome_reason=row["outcome_reason"],
        note=row["note"],
        review_on=row["review_on"],
        linked_to=row["linked_to"],
    )


def _referral_row(case: domain.Case, referral: domain.Referral) -> dict[str, Any]:
    return dict(asdict(referral), report_id=case.report_id, county=case.county)
