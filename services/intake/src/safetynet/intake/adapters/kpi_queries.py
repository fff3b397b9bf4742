"""The reads behind the KPIs and the high-danger list: reports, their read model and the
subject index, turned into the plain records of domain/kpis.py and domain/high_danger.py."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import SEALED_COLUMNS, ReportCipher
from safetynet.intake.domain.follow_ups import LongTermCarePeriod
from safetynet.intake.domain.high_danger import HIGH_DANGER_TIPVDA, MonthReport, tipvda_score
from safetynet.intake.domain.kpis import ClosedReferral, KpiReport, NamingReport

CHUNK = 500  # bound parameters per IN list (old SQLite builds allow 999)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


def _when(value: Any) -> datetime | None:
    """A time from the JSON read model (ISO text) or a column; naive means UTC."""
    if value is None or value == "":
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class KpiQueries:
    def __init__(self, session: AsyncConnection, cipher: ReportCipher | None = None):
        self._session = session
        self._cipher = cipher  # only the high-danger list reads personal data (names)

    def _in_period(self, county: str, start: datetime, end: datetime) -> Sequence[Any]:
        r = orm.reports.c
        return (r.county == county, r.received_at >= start, r.received_at < end)

    async def reports(self, county: str, start: datetime, end: datetime) -> list[KpiReport]:
        """Reports of `county` received in `[start, end)`, with their subjects and SLA."""
        r, v, s = orm.reports.c, orm.report_views.c, orm.subject_index.c
        hashes: dict[str, set[str]] = {}
        for row in await self._session.execute(
            select(s.report_id, s.subject_hash)
            .join(orm.reports, r.report_id == s.report_id)
            .where(*self._in_period(county, start, end))
        ):
            hashes.setdefault(row.report_id, set()).add(row.subject_hash)
        rows = await self._session.execute(
            select(r.report_id, r.received_at, r.sla_due_at, r.agency_type, r.categories, v.risk_level, v.sla)
            .select_from(orm.reports.outerjoin(orm.report_views, v.report_id == r.report_id))
            .where(*self._in_period(county, start, end))
        )
        out = []
        for row in rows:
            sla = row.sla or {}
            out.append(
                KpiReport(
                    report_id=row.report_id,
                    received_at=row.received_at,
                    categories=tuple(row.categories),
                    agency_type=row.agency_type,
                    risk_level=row.risk_level,
                    subject_hashes=frozenset(hashes.get(row.report_id, ())),
                    sla_due_at=_when(sla.get("due_at")) or row.sla_due_at,
                    sla_state=sla.get("state") or "open",
                    sla_closed_at=_when(sla.get("closed_at")),
                )
            )
        return out

    async def closed_referrals(self, subject_hashes: Iterable[str], *, before: datetime) -> list[ClosedReferral]:
        """Closed referrals (any kind, any county) of reports received before `before` that name
        one of `subject_hashes`; each carries the hashes it was found by."""
        s, v = orm.subject_index.c, orm.report_views.c
        named: dict[str, set[str]] = {}
        for chunk in _chunks(subject_hashes):
            for row in await self._session.execute(
                select(s.report_id, s.subject_hash).where(s.subject_hash.in_(chunk), s.received_at < before)
            ):
                named.setdefault(row.report_id, set()).add(row.subject_hash)
        out = []
        for chunk in _chunks(named):
            for row in await self._session.execute(select(v.report_id, v.referrals).where(v.report_id.in_(chunk))):
                for referral in row.referrals or []:
                    closed_at = _when(referral.get("updated_at"))
                    if referral.get("status") == "closed" and closed_at is not None:
                        out.append(
                            ClosedReferral(
                                report_id=row.report_id,
                                kind=referral.get("kind", ""),
                                closed_at=closed_at,
                                subject_hashes=frozenset(named[row.report_id]),
                            )
                        )
        return out

    async def long_term_care(self, subject_hashes: Iterable[str], *, before: datetime) -> list[LongTermCarePeriod]:
        """Long-term care periods begun before `before` of reports naming one of
        `subject_hashes`; each carries the hashes it was found by."""
        s, t = orm.subject_index.c, orm.long_term_care.c
        named: dict[str, set[str]] = {}
        for chunk in _chunks(subject_hashes):
            for row in await self._session.execute(
                select(s.report_id, s.subject_hash).where(s.subject_hash.in_(chunk), s.received_at < before)
            ):
                named.setdefault(row.report_id, set()).add(row.subject_hash)
        out = []
        for chunk in _chunks(named):
            for row in await self._session.execute(
                select(t.report_id, t.since, t.until).where(t.report_id.in_(chunk), t.since < before)
            ):
                out.append(
                    LongTermCarePeriod(
                        report_id=row.report_id,
                        since=row.since,
                        until=row.until,
                        subject_hashes=frozenset(named[row.report_id]),
                    )
                )
        return out

    async def naming_reports(
        self, subject_hashes: Iterable[str], *, after: datetime, before: datetime
    ) -> list[NamingReport]:
        """Reports (any county) received in `(after, before)` that name one of `subject_hashes`."""
        s, r = orm.subject_index.c, orm.reports.c
        named: dict[str, set[str]] = {}
        for chunk in _chunks(subject_hashes):
            for row in await self._session.execute(
                select(s.report_id, s.subject_hash).where(
                    s.subject_hash.in_(chunk), s.received_at > after, s.received_at < before
                )
            ):
                named.setdefault(row.report_id, set()).add(row.subject_hash)
        out = []
        for chunk in _chunks(named):
            for row in await self._session.execute(
                select(r.report_id, r.received_at, r.categories).where(r.report_id.in_(chunk))
            ):
                out.append(
                    NamingReport(
                        report_id=row.report_id,
                        received_at=row.received_at,
                        categories=tuple(row.categories),
                        subject_hashes=frozenset(named[row.report_id]),
                    )
                )
        return out

    async def month_reports(self, county: str, start: datetime, end: datetime) -> list[MonthReport]:
        """Every report of `county` received in `[start, end)` with what the high-danger
        list shows; the personal part is opened for the rows the list shows (TIPVDA 8+)."""
        if self._cipher is None:
            raise RuntimeError("the high-danger list needs the key ring")
        r, v = orm.reports.c, orm.report_views.c
        rows = await self._session.execute(
            select(
                r.report_id,
                r.received_at,
                r.township,
                r.categories,
                r.submission,
                *(r[c] for c in SEALED_COLUMNS),
                v.risk_level,
                v.status,
                v.referrals,
            )
            .select_from(orm.reports.outerjoin(orm.report_views, v.report_id == r.report_id))
            .where(*self._in_period(county, start, end))
            .order_by(r.received_at, r.report_id)
        )
        out = []
        for row in rows:
            submission = row.submission
            score = tipvda_score(submission)  # open only the rows the list shows
            if score is not None and score >= HIGH_DANGER_TIPVDA:
                submission = self._cipher.reveal(row.report_id, dict(row._mapping))
            out.append(
                MonthReport(
                    report_id=row.report_id,
                    received_at=row.received_at,
                    township=row.township,
                    categories=row.categories,
                    submission=submission,
                    risk_level=row.risk_level,
                    status=row.status,
                    referrals=row.referrals or [],
                )
            )
        return out
