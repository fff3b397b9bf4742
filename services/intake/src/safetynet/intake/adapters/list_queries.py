"""The county's lists, read a page at a time in SQL: the dispatch queue and the open SLAs.

Each is one index range scan (the partial indexes on intake_report_views, adapters/orm.py):
the county's rows in list order from just after the cursor, `limit + 1` of them (the extra
one says whether there is a next page). The order is the list's whole key, ending with the
report id, so a page never repeats or skips a row when rows come and go between requests.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, TextClause, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.reports import ReportFacts
from safetynet.intake.domain.views import ReportView

ListRow = tuple[ReportView, ReportFacts]

_VIEW_FIELDS = tuple(ReportView.__dataclass_fields__)
_v, _r = orm.report_views.c, orm.reports.c
_ROWS = select(*(_v[name] for name in _VIEW_FIELDS), _r.township, _r.categories, _r.received_at).join(
    orm.reports, _r.report_id == _v.report_id
)


def _rows(found: Any, county: str) -> list[ListRow]:
    out = []
    for row in found:
        values = dict(row._mapping)
        facts = ReportFacts(
            county=county,
            township=values.pop("township"),
            categories=values.pop("categories"),
            received_at=values.pop("received_at"),
        )
        out.append((ReportView(**values), facts))
    return out


def _after(order: tuple[Any, ...], key: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows after `key` in `order`: one row comparison, which the index range starts at.
    Each value is bound with its column's type (times are stored per dialect)."""
    return tuple_(*order) > tuple_(*(literal(value, column.type) for column, value in zip(order, key, strict=True)))


class ListQueries:
    def __init__(self, session: AsyncConnection):
        self._session = session

    async def queue(
        self,
        county: str,
        *,
        limit: int,
        after: tuple[datetime, int, str] | None = None,
        kind: str | None = None,
        risk: str | None = None,
    ) -> list[ListRow]:
        """Reports of `county` in the dispatch queue, by SLA due time, risk rank and id,
        from just after `after` (that key)."""
        order = (_v.due_at, _v.risk_rank, _v.report_id)
        where: list[ColumnElement[bool] | TextClause] = [_v.county == county, text(orm.QUEUED)]
        if risk is not None:
            where.append(_v.risk_level == risk)
        if kind is not None:  # kinds is ",a,b,"; a kind is one of the contract's names
            where.append(_v.kinds.contains(f",{kind},", autoescape=True))
        if after is not None:
            where.append(_after(order, after))
        found = await self._session.execute(_ROWS.where(*where).order_by(*order).limit(limit))
        return _rows(found, county)

    async def open_slas(self, county: str, *, limit: int, after: tuple[datetime, str] | None = None) -> list[ListRow]:
        """Reports of `county` still waiting whose SLA clock runs, by due time and id."""
        order = (_v.due_at, _v.report_id)
        where: list[ColumnElement[bool] | TextClause] = [_v.county == county, text(orm.SLA_OPEN)]
        if after is not None:
            where.append(_after(order, after))
        found = await self._session.execute(_ROWS.where(*where).order_by(*order).limit(limit))
        return _rows(found, county)
