"""The batches behind key rotation and retention, over intake_reports.

Each batch is a keyset page by report_id, so a run over every report costs one pass
whatever the table's size. Writes are conditional on the row being as it was read, so
a report changed meanwhile (sealed again by another run, or purged) is left alone.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import SEALED_COLUMNS, ReportCipher, purged_columns
from safetynet.intake.domain.reports import Submission
from safetynet.intake.domain.views import Referral


@dataclass(frozen=True)
class Closed:
    """A closed report, as retention judges it."""

    report_id: str
    county: str
    referrals: list[Referral]


class SealedRow(TypedDict):
    """A report's submission as stored: its facts, and its personal part sealed (under
    `personal_key_id`), or not yet (None: written before encryption)."""

    report_id: str
    submission: Submission
    personal_key_id: str | None
    personal_wrapped_key: bytes | None
    personal_nonce: bytes | None
    personal_ciphertext: bytes | None


class PrivacyRepository:
    def __init__(self, session: AsyncConnection, cipher: ReportCipher | None):
        self._session = session
        self._cipher = cipher

    @property
    def cipher(self) -> ReportCipher:
        if self._cipher is None:
            raise RuntimeError("this unit of work has no key ring")
        return self._cipher

    async def not_on_active_key(self, *, after: str, limit: int) -> list[SealedRow]:
        """Reports after `after` whose personal part is not sealed under the active key:
        an older key, or none yet (written before encryption). Purged ones are done."""
        r = orm.reports.c
        rows = await self._session.execute(
            select(r.report_id, r.submission, *(r[c] for c in SEALED_COLUMNS))
            .where(
                r.report_id > after,
                r.pseudonymised_at.is_(None),
                or_(r.personal_key_id.is_(None), r.personal_key_id != self.cipher.active_key_id),
            )
            .order_by(r.report_id)
            .limit(limit)
        )
        return [cast(SealedRow, dict(row._mapping)) for row in rows]

    async def reseal(self, row: SealedRow) -> bool:
        """Seal `row`'s submission again under the active key, with a fresh data key;
        False when the row changed since it was read."""
        report_id = row["report_id"]
        columns = self.cipher.seal(report_id, self.cipher.reveal(report_id, row))
        r = orm.reports.c
        unchanged = (
            (r.personal_nonce == row["personal_nonce"])
            if row["personal_nonce"] is not None
            else r.personal_key_id.is_(None)
        )
        result = await self._session.execute(
            orm.reports.update()
            .where(r.report_id == report_id, r.pseudonymised_at.is_(None), unchanged)
            .values(**columns)
        )
        return result.rowcount == 1

    async def closed_reports(self, *, after: str, limit: int) -> list[Closed]:
        """Closed reports after `after` whose personal part is still kept."""
        r, v = orm.reports.c, orm.report_views.c
        rows = await self._session.execute(
            select(r.report_id, r.county, v.referrals)
            .join(orm.report_views, v.report_id == r.report_id)
            .where(r.report_id > after, r.pseudonymised_at.is_(None), v.status == "closed")
            .order_by(r.report_id)
            .limit(limit)
        )
        return [Closed(report_id=row.report_id, county=row.county, referrals=row.referrals or []) for row in rows]

    async def purge(self, report_id: str, *, at: datetime) -> bool:
        """Drop the personal part of a report (its data key with it) and mark it
        pseudonymised; keeps the facts, hashes, dates and statuses the KPIs use."""
        r = orm.reports.c
        submission = await self._session.scalar(
            select(r.submission).where(r.report_id == report_id, r.pseudonymised_at.is_(None))
        )
        if submission is None:
            return False
        result = await self._session.execute(
            orm.reports.update()
            .where(r.report_id == report_id, r.pseudonymised_at.is_(None))
            .values(**purged_columns(submission), pseudonymised_at=at)
        )
        return result.rowcount == 1
