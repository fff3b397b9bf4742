"""The re-report links PostgreSQL keeps as reports and events arrive (issue 10, migration
p10a2kpilink) equal what domain/kpis.py's rules say, whatever order the rows and routing's
snapshots come in, when snapshots are delivered twice, and after a late closure changes an
earlier report's answer. PostgreSQL only (SAFETYNET_TEST_POSTGRES_URL): SQLite counts the
KPIs in Python and keeps no links."""

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import TAIPEI
from safetynet.intake.adapters import orm
from safetynet.intake.domain import kpis
from safetynet.intake.service_layer.projections import EVENT_HANDLERS
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.messaging.deferred import DeferredRows
from safetynet.platform.storage import is_sqlite

DAY = timedelta(days=1)
START = datetime(2026, 1, 1, 9, 0, tzinfo=TAIPEI)
KINDS = [["intimate_partner_violence"], ["child_maltreatment"], ["vulnerable_family"], ["other"]]
POOL = [f"person-{i}" for i in range(6)]  # few people: many reports share subjects


@dataclass
class Gen:
    received_at: datetime
    categories: list[str]
    hashes: list[str]
    closes_at: datetime | None = None  # its protection referral's closure, if any
    report_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    referral_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def protection(self) -> bool:
        return self.categories != ["vulnerable_family"] and self.categories != ["other"]


def generate() -> list[Gen]:
    rng = random.Random(1010)
    out = []
    for _ in range(40):
        at = START + timedelta(seconds=rng.uniform(0, 500 * 86400))
        r = Gen(at, rng.choice(KINDS), sorted(set(rng.sample(POOL, rng.randint(1, 2)))))
        if r.protection and rng.random() < 0.7:
            r.closes_at = at + timedelta(seconds=rng.uniform(3600, 200 * 86400))
        out.append(r)
    return out


def snapshot(r: Gen, seq: int, status: str, at: datetime) -> Envelope:
    referral = events.ReferralSnapshot(
        referral_id=r.referral_id,
        kind="protection",
        unit="苗栗縣/protection",
        status=status,  # type: ignore[arg-type]
        urgent=False,
        assigned_at=r.received_at,
        updated_at=at,
    )
    payload = events.ReportStatusChanged(
        report_id=r.report_id,
        county="苗栗縣",
        seq=seq,
        status="assigned",
        recommended=[],
        destinations=[],
        referrals=[referral],
        at=at,
        actor="routing",
    )
    return Envelope(
        type="ReportStatusChanged", report_id=r.report_id, producer="routing", payload=payload.model_dump(mode="json")
    )


async def accept(engine: Any, r: Gen) -> None:
    """What acceptance writes for a report (its row, its subjects, an empty view), in one transaction."""
    async with engine.begin() as conn:
        await conn.execute(orm.reports.insert().values(**_report_row(r)))
        await conn.execute(
            orm.subject_index.insert(),
            [dict(subject_hash=h, report_id=r.report_id, received_at=r.received_at) for h in r.hashes],
        )
        await conn.execute(orm.report_views.insert().values(**_view_row(r)))


def reference(data: list[Gen]) -> dict[str, set[str]]:
    """The reports each rule counts, by domain/kpis.py over every report (no long-term care)."""
    reports = [
        kpis.KpiReport(r.report_id, r.received_at, tuple(r.categories), "police", None, frozenset(r.hashes), START)
        for r in data
    ]
    closed = [
        kpis.ClosedReferral(r.report_id, "protection", r.closes_at, frozenset(r.hashes)) for r in data if r.closes_at
    ]
    naming = [kpis.NamingReport(r.report_id, r.received_at, tuple(r.categories), frozenset(r.hashes)) for r in data]
    far = START + 1000 * DAY
    return {
        "protection_rereport": {r.report_id for r in reports if kpis.protection_rereport_rate([r], closed).numerator},
        "vulnerable_to_protection": {
            r.report_id for r in reports if kpis.vulnerable_to_protection_rate([r], naming, now=far).numerator
        },
    }


async def stored(engine: Any) -> tuple[dict[str, set[str]], set[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        rows = set(await conn.execute(text("SELECT * FROM intake.intake_kpi_links")))
    flagged: dict[str, set[str]] = {"protection_rereport": set(), "vulnerable_to_protection": set()}
    for row in rows:
        flagged[row.rule].add(row.report_id)
    return flagged, {tuple(row) for row in rows}


async def kept(engine: Any, *, rebuild: bool = False) -> dict[str, set[tuple[Any, ...]]]:
    """Every link and KPI fact row; with `rebuild`, those the migration's set-based
    statements find from the same rows instead."""
    async with engine.begin() as conn:
        if rebuild:
            await conn.execute(text("SELECT intake.intake_kpi_links_rebuild()"))
        return {
            table: {tuple(map(str, row)) for row in await conn.execute(text(f"SELECT * FROM intake.{table}"))}
            for table in ("intake_kpi_links", "intake_kpi_reports")
        }


async def test_stored_links_follow_the_rules_whatever_the_order_of_arrival(database_url: str, engine: Any) -> None:
    if is_sqlite(database_url):
        pytest.skip("the links are kept on PostgreSQL only; SQLite counts the KPIs in Python")
    data = generate()
    rng = random.Random(10)
    handle = EVENT_HANDLERS["ReportStatusChanged"]
    # The late closure: a referral closed after everything arrived, which makes a later
    # protection report naming the same person a re-report.
    late_closer = Gen(START + 10 * DAY, ["intimate_partner_violence"], ["late-person"])
    late_rereport = Gen(START + 100 * DAY, ["child_maltreatment"], ["late-person", POOL[0]])
    data += [late_closer, late_rereport]
    expected = reference(data)
    assert late_rereport.report_id not in expected["protection_rereport"]
    late_closure = late_closer.received_at + DAY
    envelopes = [snapshot(r, 1, "assigned", r.received_at + timedelta(hours=1)) for r in data if r.protection]
    envelopes += [snapshot(r, 2, "closed", r.closes_at) for r in data if r.closes_at]
    arrivals: list[Any] = list(data) + envelopes + envelopes[::3]  # a third of the events twice
    rng.shuffle(arrivals)  # reports out of time order, closures before assignments
    accepted: set[str] = set()
    waiting: list[Envelope] = []  # routing only speaks of a report intake has accepted
    for item in arrivals:
        if isinstance(item, Gen):
            await accept(engine, item)
            accepted.add(item.report_id)
        else:
            waiting.append(item)
        for envelope in [e for e in waiting if e.report_id in accepted]:
            waiting.remove(envelope)
            await handle(envelope, IntakeUnitOfWork(engine))
    assert not waiting

    flagged, _ = await stored(engine)
    assert flagged == expected
    assert expected["protection_rereport"] and expected["vulnerable_to_protection"]  # the data exercises both

    late_closer.closes_at = late_closure  # closed long after both reports arrived
    await handle(snapshot(late_closer, 2, "closed", late_closure), IntakeUnitOfWork(engine))
    await handle(snapshot(late_closer, 1, "assigned", late_closer.received_at), IntakeUnitOfWork(engine))  # stale
    expected_after = reference(data)
    assert late_rereport.report_id in expected_after["protection_rereport"]
    flagged, _ = await stored(engine)
    assert flagged == expected_after
    incremental = await kept(engine)
    assert len(incremental["intake_kpi_reports"]) == len(data)
    assert incremental == await kept(engine, rebuild=True)  # the upkeep = the backfill, row for row


async def test_kpi_facts_are_kept_whether_the_view_comes_with_the_report_or_never(
    database_url: str, engine: Any
) -> None:
    """p10a4newview: the view's trigger computes a new report's facts when the view comes
    in the report's own statement (acceptance's deferred rows); the reports trigger still
    does when no view is there."""
    if is_sqlite(database_url):
        pytest.skip("the facts are kept on PostgreSQL only")
    with_view, alone = Gen(START, ["child_maltreatment"], ["p-1"]), Gen(START + DAY, ["other"], ["p-2"])
    async with engine.begin() as conn:
        rows = DeferredRows()
        rows.add(orm.reports, [_report_row(with_view)])
        rows.add(orm.subject_index, [dict(subject_hash="p-1", report_id=with_view.report_id, received_at=START)])
        rows.add(orm.report_views, [_view_row(with_view, risk_level="yellow")])
        await rows.write(conn)  # one statement: both triggers fire after both rows are in
        await conn.execute(orm.reports.insert().values(**_report_row(alone)))  # a loader writing reports alone
    facts = (await kept(engine))["intake_kpi_reports"]
    assert {row[0] for row in facts} == {with_view.report_id, alone.report_id}
    assert any(row[0] == with_view.report_id and row[5] == "yellow" for row in facts)  # the view's risk level
    assert await kept(engine) == await kept(engine, rebuild=True)


def _report_row(r: Gen) -> dict[str, Any]:
    return dict(
        report_id=r.report_id,
        county="苗栗縣",
        township="頭份市",
        agency_type="police",
        agency_name="generated",
        key_id="generated",
        received_at=r.received_at,
        sla_due_at=r.received_at + DAY,
        categories=r.categories,
        submission={"county": "苗栗縣", "township": "頭份市", "categories": r.categories},
    )


def _view_row(r: Gen, *, risk_level: str | None = None) -> dict[str, Any]:
    return dict(
        report_id=r.report_id,
        status="received",
        risk_level=risk_level,
        reasons=[],
        recommended=[],
        destinations=[],
        referrals=[],
        routing_seq=0,
        sla={"due_at": (r.received_at + DAY).isoformat(), "state": "open", "closed_at": None},
        updated_at=r.received_at,
    )
