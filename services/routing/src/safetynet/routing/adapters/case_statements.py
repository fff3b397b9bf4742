"""Routing's hot statements, built once at import for the driver (platform/driver.py).

Every screened report reads its cases, its subjects' referrals and writes its new case;
through SQLAlchemy's async engine each of those round trips costs the service about
three times what it costs on asyncpg. A list of keys is bound as one array on
PostgreSQL (`= ANY($1)`, one prepared statement whatever the length) and as an
expanding IN on SQLite, where the driver falls back to SQLAlchemy.
"""

from typing import Any

from sqlalchemy import String, and_, any_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.platform.storage import dialect_name
from safetynet.routing.adapters.orm import case_subjects, cases, referrals


def _among(column: Any, name: str, *, postgresql: bool) -> Any:
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


class Statements:
    """One dialect's statements."""

    def __init__(self, *, postgresql: bool):
        # The cases of several reports, locked FOR UPDATE in key order (so two
        # transactions locking overlapping sets take the locks in the same order), and
        # their referrals.
        self.cases_for_update = (
            select(cases)
            .where(_among(cases.c.report_id, "report_ids", postgresql=postgresql))
            .order_by(cases.c.report_id)
            .with_for_update()
        )
        self.referrals_of_cases = select(referrals).where(
            _among(referrals.c.report_id, "report_ids", postgresql=postgresql)
        )
        # Rule 1's candidates (live or awaiting referrals in the county; `open_statuses`
        # empty when the rule is off) and the re-report rule's history (closures since
        # `since`) of the cases naming any of the subjects, in one round trip.
        s, r = case_subjects.c, referrals.c
        self.subjects_referrals = (
            select(s.subject_hash, r.referral_id, r.report_id, r.kind, r.unit, r.county, r.status, r.assigned_at)
            .add_columns(r.updated_at)
            .join(referrals, r.report_id == s.report_id)
            .where(
                _among(s.subject_hash, "hashes", postgresql=postgresql),
                or_(
                    and_(r.county == bindparam("county"), _among(r.status, "open_statuses", postgresql=postgresql)),
                    and_(r.status == "closed", r.updated_at >= bindparam("since")),
                ),
            )
        )


_POSTGRESQL = Statements(postgresql=True)
_SQLITE = Statements(postgresql=False)


def statements(connection: AsyncConnection) -> Statements:
    return _POSTGRESQL if dialect_name(connection) == "postgresql" else _SQLITE
