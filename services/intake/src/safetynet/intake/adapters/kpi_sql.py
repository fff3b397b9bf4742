"""The KPIs of a county and period counted by PostgreSQL, in one statement (issue 10).

domain/kpis.py holds the definitions and computes them from plain records; with a
million reports a month of one county is ~8,000 records, their subjects and the closed
referrals of every subject named, and turning those rows into Python objects took about
a second of intake's CPU per request. On PostgreSQL the same definitions are counted
where the rows are: the period's reports from a narrow copy of their KPI facts by its
(county, received_at) index (intake_kpi_reports, kept with the view), each
re-report rule an EXISTS over the links the write path keeps (intake_kpi_links, migration
p10a2kpilink: per report, the other reports that make it a re-report), so only a handful
of numbers cross the wire. Every clause below names the domain rule it mirrors; tests/test_kpis_month.py
holds both paths to the same hand count (SQLite takes the domain path).

The read model's JSON times are written from aware datetimes (ISO text with an offset).
"""

import json
from datetime import datetime
from typing import Any, get_args

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Interval, String

from safetynet.contracts.report import PROTECTION_CATEGORIES, Category
from safetynet.intake.domain import kpis
from safetynet.policy.repeat_window import REPEAT_WINDOW
from safetynet.policy.sla import DISPATCH_TARGET

_PERIOD_SQL = """
WITH p AS MATERIALIZED (
    -- the period's reports with their KPI facts (KpiReport), as the write path keeps them
    -- (migration p10a2kpilink): the view's risk level; the view's deadline, else the one set
    -- at acceptance; the SLA's state (open when none) and completion time
    SELECT r.report_id, r.received_at, r.agency_type, r.categories, r.risk_level,
           r.due_at AS due, r.sla_state AS state, r.closed_at AS closed,
           r.categories ?| :protection AS protection,  -- any of its (top-level) categories
           r.categories @> '["vulnerable_family"]'::jsonb AS vulnerable
    FROM intake.intake_kpi_reports AS r
    WHERE r.county = :county AND r.received_at >= :start AND r.received_at < :end
), linked AS (
    -- the re-report links the write path keeps (migration p10a2kpilink), within each rule's
    -- window (below): one join of the period's reports with the links, no probe per report
    SELECT k.report_id,
           bool_or(k.rule = 'protection_rereport' AND k.linked_received_at < :end
                   AND k.linked_at < p.received_at AND p.received_at - k.linked_at < :repeat_window) AS rereport,
           bool_or(k.rule = 'vulnerable_to_protection'
                   AND k.linked_received_at > :start AND k.linked_received_at < :naming_before
                   AND p.received_at < k.linked_at AND k.linked_at - p.received_at < :vulnerable_window) AS named
    FROM p JOIN intake.intake_kpi_links AS k ON k.report_id = p.report_id
    GROUP BY k.report_id
), d AS (
    -- KpiReport.dispatched_at: the completion time; a met SLA without one, its deadline
    SELECT p.*, coalesce(closed, CASE WHEN state = 'met' THEN due END) AS dispatched,
           coalesce(l.rereport, false) AS rereport, coalesce(l.named, false) AS named
    FROM p LEFT JOIN linked AS l ON l.report_id = p.report_id
)
SELECT
    count(*) AS reports,
    -- dispatch_rate: not counted yet while undispatched before the deadline
    count(*) FILTER (WHERE dispatched IS NULL AND due > :now) AS dispatch_pending,
    count(*) FILTER (WHERE NOT (dispatched IS NULL AND due > :now)) AS dispatch_denominator,
    count(*) FILTER (WHERE dispatched IS NOT NULL AND dispatched - received_at <= :dispatch_target)
        AS dispatch_numerator,
    -- protection_rereport_rate: a closed protection referral on another report naming a
    -- subject, closed strictly before this report and less than the repeat window before;
    -- never a follow-up of a long-term care household (domain/follow_ups.py): a referral
    -- of another report naming a subject, placed strictly before and not closed by then
    count(*) FILTER (WHERE protection) AS protection_denominator,
    count(*) FILTER (WHERE protection AND rereport AND NOT EXISTS (
        -- evaluated after the link (AND in a FILTER is evaluated in order): only re-reports
        SELECT 1
        FROM intake.intake_subject_index AS s1
        JOIN intake.intake_subject_index AS s2
          ON s2.subject_hash = s1.subject_hash AND s2.received_at < :end AND s2.report_id <> d.report_id
        JOIN intake.intake_long_term_care AS l ON l.report_id = s2.report_id
        WHERE s1.report_id = d.report_id
          AND l.since < d.received_at AND (l.until IS NULL OR d.received_at < l.until)
    )) AS protection_numerator,
    -- vulnerable_to_protection_rate: a protection report (any county) naming a subject,
    -- received strictly later and less than the window later
    count(*) FILTER (WHERE vulnerable) AS vulnerable_denominator,
    count(*) FILTER (WHERE vulnerable AND received_at + :vulnerable_window > :now) AS vulnerable_window_open,
    count(*) FILTER (WHERE vulnerable AND named) AS vulnerable_numerator,
    -- counts: a report once in each of its categories; by source; by risk (or unscreened)
    -- the known categories in the same pass (a report keeps each once: intake_kpi_reports);
    -- any other category a row holds, from the rows that hold one
    jsonb_build_object(BY_KNOWN_CATEGORY) AS by_category,
    (SELECT coalesce(jsonb_object_agg(c, n), '{}') FROM (
        SELECT c, count(*) AS n FROM p, jsonb_array_elements_text(p.categories) AS c
        WHERE NOT p.categories <@ KNOWN_CATEGORIES AND NOT to_jsonb(c) <@ KNOWN_CATEGORIES GROUP BY c
    ) AS x) AS by_other_category,
    (SELECT coalesce(jsonb_object_agg(agency_type, n), '{}') FROM (
        SELECT agency_type, count(*) AS n FROM p GROUP BY agency_type
    ) AS x) AS by_source,
    (SELECT coalesce(jsonb_object_agg(coalesce(risk_level, :unscreened), n), '{}') FROM (
        SELECT risk_level, count(*) AS n FROM p GROUP BY risk_level
    ) AS x) AS by_risk
FROM d
"""

_KNOWN_CATEGORIES = get_args(Category)  # identifiers of our own: written into the statement
_PERIOD_SQL = _PERIOD_SQL.replace(
    "BY_KNOWN_CATEGORY", ", ".join(f"'{c}', count(*) FILTER (WHERE categories ? '{c}')" for c in _KNOWN_CATEGORIES)
).replace("KNOWN_CATEGORIES", "'" + json.dumps(list(_KNOWN_CATEGORIES)) + "'::jsonb")

_PERIOD = text(_PERIOD_SQL).bindparams(
    bindparam("protection", type_=ARRAY(String)),
    bindparam("dispatch_target", type_=Interval),
    bindparam("repeat_window", type_=Interval),
    bindparam("vulnerable_window", type_=Interval),
)


_SETTINGS = (text("SET LOCAL jit = off"), text("SET LOCAL max_parallel_workers_per_gather = 0"))  # this transaction


def _counts(values: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (values or {}).items()}


async def county_indicators(
    session: AsyncConnection, *, county: str, start: datetime, end: datetime, now: datetime
) -> kpis.Indicators:
    """domain/kpis.py's `compute` over the reports of `county` received in `[start, end)`."""
    # The planner's estimates for the JSON functions make the statement look costly enough
    # to JIT-compile (~2 s on a 1M-report history, for a ~0.2 s execution) and to run in
    # parallel workers, which only add start-up and contention when several staff ask at once.
    for setting in _SETTINGS:
        await session.execute(setting)
    row = (
        await session.execute(
            _PERIOD,
            {
                "county": county,
                "start": start,
                "end": end,
                "now": now,
                "naming_before": end + kpis.VULNERABLE_WINDOW,
                "protection": list(PROTECTION_CATEGORIES),
                "dispatch_target": DISPATCH_TARGET,
                "repeat_window": REPEAT_WINDOW,
                "vulnerable_window": kpis.VULNERABLE_WINDOW,
                "unscreened": kpis.UNSCREENED,
            },
        )
    ).one()
    counts = kpis.counts([])  # every known value listed, at 0
    found_counts = (
        ("by_category", row.by_category),
        ("by_category", row.by_other_category),
        ("by_source", row.by_source),
        ("by_risk_level", row.by_risk),
    )
    for name, found in found_counts:
        counts[name].update(_counts(found))  # type: ignore[literal-required]  # names from the loop's literal tuple
    return {
        "reports": row.reports,
        "dispatch_within_24h": kpis.Rate(
            row.dispatch_numerator, row.dispatch_denominator, pending=row.dispatch_pending
        ).as_dict(),
        "protection_rereport": kpis.Rate(row.protection_numerator, row.protection_denominator).as_dict(),
        "vulnerable_family_to_protection_90d": kpis.Rate(
            row.vulnerable_numerator, row.vulnerable_denominator, window_open=row.vulnerable_window_open
        ).as_dict(),
        "counts": counts,
    }
