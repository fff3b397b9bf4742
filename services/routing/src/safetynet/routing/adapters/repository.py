"""Reads and writes of routing's state: the Case aggregate and its action history."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform import driver
from safetynet.platform.messaging.deferred import DeferredRows
from safetynet.platform.messaging.uow import TransactionScope, insert_soon
from safetynet.policy.referral_lifecycle import AWAITING_ACTION, LIVE_STATUSES
from safetynet.routing import domain
from safetynet.routing.adapters.case_rows import StoredCase, case_map, case_row, referral_row
from safetynet.routing.adapters.case_statements import statements
from safetynet.routing.adapters.orm import actions, case_subjects, cases, referrals

# Rule 1 reads a case's referrals under this, so no command changes them meanwhile.
_CASE_FOR_SHARE = (
    select(cases.c.report_id).where(cases.c.report_id == bindparam("report_id")).with_for_update(read=True)
)
_RULE_1_CANDIDATES = sorted(LIVE_STATUSES | AWAITING_ACTION)


class ConcurrentUpdate(RuntimeError):
    """Another transaction changed the case since it was read; handling it again is safe."""


class CaseRepository:
    """Cases through the transaction's identity map (case_rows.py): in a consumer batch
    the first get() reads and locks the case of every report of the batch in one
    statement; a case added or saved is kept there as written, so a later event of the
    batch sees it as it would after a commit. Writes stay immediate: the look-ups by
    subject read the database, and must see a case opened earlier in the batch."""

    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        self._session = session
        self._scope = scope or TransactionScope()
        self._known = case_map(self._scope)
        self._statements = statements(session)
        # What each case looked like when read, so save() writes only what changed.
        self._seen: dict[str, tuple[int, set[str]]] = {}

    async def get(self, report_id: str) -> domain.Case | None:
        if report_id not in self._known:
            await self._load(report_id)
        stored = self._known[report_id]
        if stored is None:
            return None
        case = stored.case()
        self._seen[report_id] = (case.seq, {r.referral_id for r in case.referrals})
        return case

    async def _load(self, report_id: str) -> None:
        """Read `report_id`'s case, with every other case of the batch not read yet.

        FOR UPDATE serializes commands on one case on PostgreSQL (SQLite locks the file):
        each case is locked as a lone get() would lock it, all in one statement, in key
        order, held until the transaction ends."""
        batch = self._scope.report_ids
        wanted = [r for r in batch if r not in self._known] if report_id in batch else [report_id]
        found = {
            row["report_id"]: StoredCase(row)
            for row in await driver.fetch_all(self._session, self._statements.cases_for_update, {"report_ids": wanted})
        }
        if found:
            params = {"report_ids": sorted(found)}
            for row in await driver.fetch_all(self._session, self._statements.referrals_of_cases, params):
                found[row["report_id"]].referrals.append(row)
        for wanted_id in wanted:
            self._known[wanted_id] = found.get(wanted_id)

    async def referrals_of_subjects(
        self, subject_hashes: Iterable[str], *, county: str, since: datetime, open_cases: bool
    ) -> tuple[list[domain.OpenReferral], list[domain.ClosedReferral]]:
        """The live referrals in `county` on cases naming any of these subjects (rule 1,
        併案; none unless `open_cases`), as they stand once no change to those cases is in
        flight; and the referrals closed since `since` on such cases, as committed now (a
        closed referral never changes again, so its updated_at is when it closed).

        The cases holding a candidate are locked FOR SHARE (waiting for any command
        holding one FOR UPDATE, such as a reassignment), then their referrals are read
        again: a report routed while its subject's case is being reassigned links to the
        unit that holds the case once the reassignment commits, on every replica. While
        this transaction holds the lock, a command on those cases waits for it, so the
        link is never made to a referral that is being moved. Without candidates (the
        usual case) both answers come from one statement."""
        hashes = sorted(set(subject_hashes))
        if not hashes:
            return [], []
        rows = await self._subjects_referrals(hashes, county=county, since=since, open_cases=open_cases)
        candidates = [_open_referral(row) for row in rows if row["status"] != "closed"]
        if not candidates:
            return [], [_closed_referral(row) for row in rows if row["status"] == "closed"]
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
        live = await self._open_referrals(hashes, county=county, report_ids=report_ids)
        closed = await self._subjects_referrals(hashes, county=county, since=since, open_cases=False)
        return live, [_closed_referral(row) for row in closed]

    async def _subjects_referrals(
        self, hashes: list[str], *, county: str, since: datetime, open_cases: bool
    ) -> list[dict[str, Any]]:
        params = dict(hashes=hashes, county=county, since=since, open_statuses=_RULE_1_CANDIDATES if open_cases else [])
        return await driver.fetch_all(self._session, self._statements.subjects_referrals, params)

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
        self, hashes: list[str], *, county: str, report_ids: list[str]
    ) -> list[domain.OpenReferral]:
        """The live referrals of the locked cases (the first read also took rejected ones,
        whose reassignment may have been committing as it read)."""
        s, r = case_subjects.c, referrals.c
        query = (
            select(s.subject_hash, r.referral_id, r.report_id, r.kind, r.unit, r.county, r.status, r.assigned_at)
            .join(referrals, r.report_id == s.report_id)
            .where(s.subject_hash.in_(hashes), r.county == county)
            .where(r.report_id.in_(report_ids), r.status.in_(sorted(LIVE_STATUSES)))
        )
        return [_open_referral(row._mapping) for row in await self._session.execute(query)]

    async def add(self, case: domain.Case) -> None:
        """Insert a new case, its subjects and its referrals in one statement, at once: a
        later event of the batch looks its subjects up in the database."""
        rows = DeferredRows()
        rows.add(cases, [case_row(case)])
        rows.add(
            case_subjects, [dict(report_id=case.report_id, subject_hash=h) for h in sorted(set(case.subject_hashes))]
        )
        rows.add(referrals, [referral_row(case, r) for r in case.referrals])
        await rows.write(self._session)  # one data-modifying CTE per table on PostgreSQL
        self._written(case)

    async def save(self, case: domain.Case) -> None:
        """Write a case read by get(); raise ConcurrentUpdate if someone else wrote it first."""
        seq, known = self._seen[case.report_id]
        result = await self._session.execute(
            cases.update().where(cases.c.report_id == case.report_id, cases.c.seq == seq).values(**case_row(case))
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"case {case.report_id} changed since seq {seq}")
        for referral in case.referrals:
            row = referral_row(case, referral)
            if referral.referral_id in known:
                await self._session.execute(
                    referrals.update().where(referrals.c.referral_id == referral.referral_id).values(**row)
                )
            else:
                await self._session.execute(referrals.insert(), dict(**row))
        self._written(case)

    def _written(self, case: domain.Case) -> None:
        self._seen[case.report_id] = (case.seq, {r.referral_id for r in case.referrals})
        self._known[case.report_id] = StoredCase.of(case)

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
    # pydantic serializes the dataclass (and those inside it) itself: asdict's deep
    # copies first were most of the cost.
    jsonable: dict[str, Any] = to_jsonable_python(event)  # a dataclass becomes a dict of JSON values
    del jsonable["actor"], jsonable["at"]
    jsonable["key_id"] = event.actor.key_id
    return jsonable


def _open_referral(row: Any) -> domain.OpenReferral:
    return domain.OpenReferral(
        referral_id=row["referral_id"],
        report_id=row["report_id"],
        subject_hash=row["subject_hash"],
        kind=row["kind"],
        unit=row["unit"],
        county=row["county"],
        status=row["status"],
        assigned_at=row["assigned_at"],
    )


def _closed_referral(row: Any) -> domain.ClosedReferral:
    return domain.ClosedReferral(
        subject_hash=row["subject_hash"],
        kind=row["kind"],
        unit=row["unit"],
        county=row["county"],
        closed_at=row["updated_at"],
    )
