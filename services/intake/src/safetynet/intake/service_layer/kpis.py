"""KPIs of a county over a period, and the monthly high-danger list."""

from datetime import date, datetime
from typing import TypedDict

from safetynet.intake.adapters.kpi_queries import KpiQueries
from safetynet.intake.adapters.kpi_sql import county_indicators
from safetynet.intake.domain import kpis
from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.high_danger import HighDangerRow, high_danger_row, sort_rows
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.storage import dialect_name

# The period the indicators are over ("from" is a keyword: the functional form).
Period = TypedDict("Period", {"county": str, "from": str, "to": str, "timezone": str, "as_of": str})


class CountyKpis(Period, kpis.Indicators):
    """GET /v1/kpis's answer: the period, then the indicators."""


async def county_kpis(*, county: str, first: date, last: date, now: datetime, uow: IntakeUnitOfWork) -> CountyKpis:
    """The indicators over reports of `county` received in the Taipei dates `[first, last]`,
    as of `now`. The caller has checked the period (kpis.period_problems)."""
    start, end = kpis.period_bounds(first, last)
    async with uow:
        if dialect_name(uow.session) == "postgresql":  # counted where the rows are: adapters/kpi_sql.py
            indicators = await county_indicators(uow.session, county=county, start=start, end=end, now=now)
        else:
            queries = KpiQueries(uow.session)
            reports = await queries.reports(county, start, end)
            protection = {h for r in reports if r.protection for h in r.subject_hashes}
            vulnerable = {h for r in reports if r.vulnerable_family for h in r.subject_hashes}
            # A closure counts only before the report it precedes, so before `end`.
            closed = await queries.closed_referrals(protection, before=end)
            naming = await queries.naming_reports(vulnerable, after=start, before=end + kpis.VULNERABLE_WINDOW)
            long_term_care = await queries.long_term_care(protection, before=end)  # follow-ups (issue 14)
            indicators = kpis.compute(reports, closed=closed, naming=naming, now=now, long_term_care=long_term_care)
    return {
        "county": county,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": "Asia/Taipei",
        "as_of": now.isoformat(),
        **indicators,
    }


async def high_danger(
    *, county: str, year: int, month: int, uow: IntakeUnitOfWork, principal: Principal
) -> list[HighDangerRow]:
    """Reports of `county` received in the Taipei month with TIPVDA 8 or more, oldest first.
    The list names people: one audit record per report listed (one for an empty list),
    committed before the list is returned."""
    start, end = kpis.month_bounds(year, month)
    async with uow:
        candidates = await KpiQueries(uow.session, cipher=uow.cipher).month_reports(county, start, end)
        rows = (
            high_danger_row(
                report_id=c.report_id,
                received_at=c.received_at,
                township=c.township,
                categories=c.categories,
                submission=c.submission,
                risk_level=c.risk_level,
                status=c.status,
                referrals=c.referrals,
            )
            for c in candidates
        )
        listed = sort_rows(r for r in rows if r is not None)
        actor, detail = audit.actor_of(principal), {"month": f"{year:04d}-{month:02d}"}
        await audit.record(
            uow,
            [
                audit.entry(actor, "read_high_danger_list", county=county, report_id=r["report_id"], detail=detail)
                for r in listed
            ]
            or [audit.entry(actor, "read_high_danger_list", county=county, detail=detail)],
        )
        await uow.commit()
    return listed
