"""Reads and writes of screening's state."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform import driver
from safetynet.platform.messaging.uow import TransactionScope, insert_soon
from safetynet.screening.adapters.orm import decisions, referral_outcomes, rule_activations, rule_versions
from safetynet.screening.adapters.statements import ACTIVE_VERSION, record_referral_statement
from safetynet.screening.domain import SHIPPED, Decision, RuleSet, parse_document

# Imported versions never change once stored, so a parsed one can be kept for good.
_PARSED: dict[str, RuleSet] = {}
# Keys in the transaction's memo (uow.scope): the active version as this transaction
# read it, and the report ids of the decisions it will write at commit.
_ACTIVE = object()
_UNWRITTEN_DECISIONS = object()


class UnwrittenDecisions(RuntimeError):
    """A replay asked to read decisions this transaction has not written yet (a consumer
    batch that decided reports before the replay): the batch is handled again one by
    one, where every decision before the replay is committed first."""


@dataclass(frozen=True)
class Activation:
    seq: int
    version: str
    previous_version: str
    activated_by: str
    activated_at: datetime
    note: str | None


@dataclass(frozen=True)
class StoredDecision:
    report_id: str
    input: dict[str, Any]  # the ReportReceived payload
    decision: dict[str, Any]  # the recorded Decision, as stored
    referrals: list[dict[str, Any]]  # kind, unit, status, outcome


class ScreeningRepository:
    def __init__(self, session: AsyncConnection, scope: TransactionScope | None = None):
        self._session = session
        self._scope = scope or TransactionScope()

    async def add_decision(
        self, *, report_id: str, county: str, decision: Decision, report_input: dict[str, Any], received_at: datetime
    ) -> None:
        """Written when the transaction commits, with its outbox rows in one statement:
        nothing in the transaction reads a decision back but a replay (decided_between)."""
        self._scope.memo.setdefault(_UNWRITTEN_DECISIONS, set()).add(report_id)
        await insert_soon(
            self._session,
            decisions,
            [
                dict(
                    report_id=report_id,
                    county=county,
                    rule_version=decision.rule_version,
                    risk_level=decision.risk_level,
                    decision=to_jsonable_python(decision),  # asdict's deep copies cost a seventh of a report
                    decided_at=datetime.now(UTC),
                    input=report_input,
                    received_at=received_at,
                )
            ],
        )

    async def record_referral(
        self,
        *,
        referral_id: str,
        report_id: str,
        kind: str,
        unit: str,
        status: str,
        outcome: str | None,
        outcome_reason: str | None,
        at: datetime,
    ) -> None:
        """The referral's latest status (and outcome, once it has one), in one statement.
        A rejection stays the unit's answer when the dispatcher then reassigns it."""
        values = dict(
            referral_id=referral_id,
            report_id=report_id,
            kind=kind,
            unit=unit,
            status=status,
            outcome=outcome,
            outcome_reason=outcome_reason,
            updated_at=at,
        )
        await driver.execute(self._session, record_referral_statement(self._session), values)

    # -- rule versions ---------------------------------------------------------------

    async def activations(self) -> list[Activation]:
        """Every activation, oldest first."""
        rows = await self._session.execute(select(rule_activations).order_by(rule_activations.c.seq))
        return [Activation(**row._asdict()) for row in rows]

    async def active_version(self) -> str | None:
        """The version activated last; None when none ever was (the shipped default then).
        Read once per transaction: a consumer batch decides all its reports under one."""
        if _ACTIVE not in self._scope.memo:
            rows = await driver.fetch_all(self._session, ACTIVE_VERSION, {})
            self._scope.memo[_ACTIVE] = rows[0]["version"] if rows else None
        version: str | None = self._scope.memo[_ACTIVE]
        return version

    async def add_activation(self, *, version: str, previous_version: str, by: str, note: str | None) -> None:
        self._scope.memo.pop(_ACTIVE, None)  # read again after this
        await self._session.execute(
            rule_activations.insert(),
            dict(
                version=version,
                previous_version=previous_version,
                activated_by=by,
                activated_at=datetime.now(UTC),
                note=note,
            ),
        )

    async def imported_documents(self) -> dict[str, dict[str, Any]]:
        rows = await self._session.execute(select(rule_versions.c.version, rule_versions.c.document))
        return {row.version: row.document for row in rows}

    async def imported_document(self, version: str) -> dict[str, Any] | None:
        row = await self._session.execute(select(rule_versions.c.document).where(rule_versions.c.version == version))
        document: dict[str, Any] | None = row.scalar_one_or_none()
        return document

    async def add_rule_version(self, *, version: str, document: dict[str, Any], by: str) -> None:
        await self._session.execute(
            rule_versions.insert(),
            dict(version=version, document=document, imported_by=by, imported_at=datetime.now(UTC)),
        )

    async def ruleset(self, version: str) -> RuleSet | None:
        """The version's rules: shipped, or imported; None for an unknown version."""
        if version in SHIPPED:
            return SHIPPED[version]
        if version not in _PARSED:
            document = await self.imported_document(version)
            if document is None:
                return None
            _PARSED[version] = parse_document(document).to_ruleset()
        return _PARSED[version]

    # -- replay ------------------------------------------------------------------------

    async def decided_between(self, *, start: datetime, end: datetime, county: str | None) -> list[StoredDecision]:
        """Decisions with a stored input for reports received in [start, end), oldest
        first, each with the referrals routing sent for it."""
        if self._scope.memo.get(_UNWRITTEN_DECISIONS):
            raise UnwrittenDecisions("this transaction decided reports it has not written yet")
        chosen = (decisions.c.received_at >= start) & (decisions.c.received_at < end) & decisions.c.input.is_not(None)
        if county is not None:
            chosen = chosen & (decisions.c.county == county)
        rows = await self._session.execute(
            select(decisions.c.report_id, decisions.c.input, decisions.c.decision)
            .where(chosen)
            .order_by(decisions.c.received_at, decisions.c.report_id)
        )
        stored = [StoredDecision(row.report_id, row.input, row.decision, []) for row in rows]
        by_report = {s.report_id: s for s in stored}
        referrals = await self._session.execute(
            select(
                referral_outcomes.c.report_id,
                referral_outcomes.c.kind,
                referral_outcomes.c.unit,
                referral_outcomes.c.status,
                referral_outcomes.c.outcome,
            ).where(referral_outcomes.c.report_id.in_(select(decisions.c.report_id).where(chosen)))
        )
        for row in referrals:
            owner = by_report.get(row.report_id)
            if owner is not None:
                owner.referrals.append(dict(kind=row.kind, unit=row.unit, status=row.status, outcome=row.outcome))
        return stored
