"""A case as rows, and the transaction's identity map of them.

The map keeps ROWS, as the database returns them, not Case objects: every get() builds a
fresh Case, exactly as a read would. A command that fails half-way through changes its
own copy, which is dropped, and the next event of the batch sees the case as stored.
"""

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from safetynet.platform.messaging.uow import TransactionScope
from safetynet.routing import domain


@dataclass
class StoredCase:
    """A case's row and its referrals' rows, as stored in this transaction."""

    row: dict[str, Any]
    referrals: list[dict[str, Any]] = field(default_factory=list)

    def case(self) -> domain.Case:
        loaded = sorted((_referral(r) for r in self.referrals), key=domain.referral_order)
        return _case(self.row, loaded)

    @classmethod
    def of(cls, case: domain.Case) -> "StoredCase":
        """The rows `case` is written as, as a read would return them (timestamps in UTC)."""
        return cls(_stored(case_row(case)), [_stored(referral_row(case, r)) for r in case.referrals])


# The map's key in the transaction's memo.
_CASES = object()


def case_map(scope: TransactionScope) -> dict[str, StoredCase | None]:
    """Report id -> its case as stored in this transaction (None: known to have none).
    Lives exactly as long as the transaction (uow.scope)."""
    known: dict[str, StoredCase | None] = scope.memo.setdefault(_CASES, {})
    return known


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in row.items()}


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


_FIELDS: dict[type, tuple[str, ...]] = {}


def flat(value: Any) -> dict[str, Any]:
    """A dataclass of plain values (a destination, a reason, a referral) as a dict. Not
    dataclasses.asdict: its recursion and deep copies were a tenth of routing's CPU per
    report, for values (strings, datetimes) that need no copy."""
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    return {name: getattr(value, name) for name in names}


def case_row(case: domain.Case) -> dict[str, Any]:
    return dict(
        report_id=case.report_id,
        county=case.county,
        status=case.status,
        urgent=case.urgent,
        direct_dispatch=case.direct_dispatch,
        risk_level=case.risk_level,
        recommended=[flat(d) for d in case.recommended],
        destinations=[flat(d) for d in case.destinations],
        subject_hashes=list(case.subject_hashes),
        seq=case.seq,
        reasons=None if case.reasons is None else [flat(r) for r in case.reasons],
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


def referral_row(case: domain.Case, referral: domain.Referral) -> dict[str, Any]:
    return dict(flat(referral), report_id=case.report_id, county=case.county)
