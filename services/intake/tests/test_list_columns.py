"""The queue and the open-SLA list read the view's list columns in SQL (issue 10): the
columns follow the view wherever it is written (acceptance, projection, the migration's
backfill), and the lists answer exactly what ranking every open report in Python did."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import select, text

from safetynet.cli.services import service_module
from safetynet.intake.adapters import orm
from safetynet.intake.domain.listing import list_columns, queue_of
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.migrations import alembic_config
from safetynet.platform.storage import is_sqlite, make_engine
from safetynet.policy.risk_lights import urgency_rank

KINDS = ("protection", "welfare_center", "mental_health")
REFERRAL_STATUSES = ("assigned", "acknowledged", "rejected", "closed", "reassigned")
NOW = datetime.now(UTC).replace(microsecond=0)


def _referral(rng: random.Random, at: str) -> dict[str, Any]:
    kind = rng.choice(KINDS)
    return {
        "referral_id": str(uuid.uuid4()),
        "kind": kind,
        "unit": f"苗栗縣/{kind}",
        "status": rng.choice(REFERRAL_STATUSES),
        "urgent": False,
        "assigned_at": at,
        "updated_at": at,
        "reason": None,
        "outcome": None,
    }


def shuffled_view(view: ReportView, rng: random.Random) -> ReportView:
    """`view` in a random state the pipeline could leave it in; due times collide often
    (whole hours, some with microseconds), so the tie-breakers are exercised."""
    due = NOW + timedelta(hours=rng.randrange(-3, 4), microseconds=rng.choice((0, 0, 250_000)))
    if rng.random() < 0.3:
        due = due.astimezone(datetime.now().astimezone().tzinfo)  # another offset, same instant
    view.status = rng.choice(("received", "awaiting_review", "assigned", "acknowledged", "closed"))
    view.risk_level = rng.choice(("red", "orange", "yellow", "green", None))
    view.destinations = [{"kind": k, "unit": None} for k in rng.sample(KINDS, rng.randrange(0, 3))]
    view.referrals = [_referral(rng, NOW.isoformat()) for _ in range(rng.randrange(0, 3))]
    view.sla = {"due_at": due.isoformat(), "state": rng.choice(("open", "open", "met", "breached")), "closed_at": None}
    return view


def old_queue(views: list[ReportView], *, kind: str | None = None, risk: str | None = None) -> list[str]:
    """The queue as it was computed before the columns: every open report, filtered and
    sorted in Python (the oracle)."""
    shown = []
    for v in views:
        waiting = [r for r in v.referrals if r["status"] in ("assigned", "rejected")]
        if v.status not in ("received", "awaiting_review", "assigned"):
            continue
        if v.status not in ("awaiting_review", "received") and not waiting:
            continue
        if (kind and kind not in {d["kind"] for d in v.destinations}) or (risk and v.risk_level != risk):
            continue
        due = datetime.fromisoformat(v.sla["due_at"]).astimezone(UTC).isoformat()
        shown.append(([due, urgency_rank(v.risk_level), v.report_id], v.report_id))
    return [report_id for _, report_id in sorted(shown)]


def old_slas(views: list[ReportView]) -> list[str]:
    shown = [
        ([datetime.fromisoformat(v.sla["due_at"]).astimezone(UTC).isoformat(), v.report_id], v.report_id)
        for v in views
        if v.status in ("received", "awaiting_review", "assigned") and v.sla["state"] == "open"
    ]
    return [report_id for _, report_id in sorted(shown)]


async def every_page(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[str]:
    seen: list[str] = []
    query: dict[str, Any] = {"limit": 3, **params}
    for _ in range(100):
        page = await client.get(path, params=query, headers=headers)
        assert page.status_code == 200, page.text
        seen += [item["report_id"] for item in page.json()]
        if "x-next-cursor" not in page.headers:
            return seen
        query = {**query, "after": page.headers["x-next-cursor"]}
    raise AssertionError("the pages never ended")


async def stored_columns(engine: Any) -> dict[str, dict[str, Any]]:
    v = orm.report_views.c
    names = ("county", "due_at", "sla_state", "queue", "risk_rank", "kinds")
    async with engine.connect() as conn:
        rows = await conn.execute(select(v.report_id, *(v[n] for n in names)))
        return {r.report_id: {n: getattr(r, n) for n in names} for r in rows}


async def test_the_lists_answer_what_ranking_every_open_report_did(
    client: httpx.AsyncClient, keys: Any, report: Any, engine: Any
) -> None:
    rng = random.Random(10)
    ids = []
    for _ in range(24):
        posted = await client.post("/v1/reports", json=report(), headers=keys.police.headers)
        assert posted.status_code == 202, posted.text
        ids.append(posted.json()["report_id"])
    other = await client.post(
        "/v1/reports",
        json=report(county="南投縣", township="埔里鎮", source={"agency_type": "school"}),
        headers=keys.school.headers,
    )
    assert other.status_code == 202, other.text
    stored = await stored_columns(engine)
    assert stored[ids[0]]["county"] == "苗栗縣" and stored[ids[0]]["queue"] == "review"
    assert stored[other.json()["report_id"]]["county"] == "南投縣"

    views = []
    for report_id in ids:  # as the projection leaves views: through ViewRepository.save
        async with IntakeUnitOfWork(engine) as uow:
            view = await uow.views.get(report_id)
            assert view is not None
            views.append(shuffled_view(view, rng))
            await uow.views.save(view)
            await uow.commit()
    stored = await stored_columns(engine)
    for view in views:
        assert stored[view.report_id] == {"county": "苗栗縣", **list_columns(view)}, view

    headers = keys.dispatcher_miaoli.headers
    assert await every_page(client, "/v1/queue", headers) == old_queue(views)
    assert await every_page(client, "/v1/ops/slas", headers) == old_slas(views)
    for kind in KINDS:
        assert await every_page(client, "/v1/queue", headers, kind=kind) == old_queue(views, kind=kind)
    for risk in ("red", "green"):
        assert await every_page(client, "/v1/queue", headers, risk=risk) == old_queue(views, risk=risk)
    # Nantou's dispatcher sees Nantou's report only.
    assert await every_page(client, "/v1/queue", keys.dispatcher_nantou.headers) == [other.json()["report_id"]]
    queued = (await client.get("/v1/queue", headers=headers)).json()
    for item in queued:
        view = next(v for v in views if v.report_id == item["report_id"])
        assert item["queue"] == queue_of(view)


@pytest.mark.parametrize(
    "cursor", ["WzEsMiwzXQ", "WyJub3QgYSB0aW1lIiwwLCJ4Il0", "WyIyMDI2LTEyLTA3VDAwOjAwOjAwIiwwLCJ4Il0"]
)
async def test_a_cursor_not_from_the_list_is_a_422(client: httpx.AsyncClient, keys: Any, cursor: str) -> None:
    # [1,2,3]; ["not a time",0,"x"]; a time without an offset
    for path in ("/v1/queue", "/v1/ops/slas"):
        answer = await client.get(path, params={"after": cursor}, headers=keys.dispatcher_miaoli.headers)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "after"], answer.text


async def test_the_migration_fills_existing_views_by_the_projections_rules(database_url: str) -> None:
    engine = make_engine(database_url, schemas=("intake",))
    config = alembic_config(service_module("intake").MIGRATIONS)

    def to(revision: str) -> Any:
        def run(connection: Any) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    rng = random.Random(11)
    views = [shuffled_view(ReportView.received(str(uuid.uuid4()), sla_due_at=NOW), rng) for _ in range(40)]
    try:
        async with engine.begin() as conn:
            if not is_sqlite(database_url):
                await conn.execute(text("CREATE SCHEMA IF NOT EXISTS intake"))
            await conn.run_sync(to("b7c2e91d4f10"))
            for view in views:
                await conn.execute(
                    orm.reports.insert().values(
                        report_id=view.report_id,
                        county="新竹市",
                        township="東區",
                        agency_type="police",
                        agency_name="generated",
                        key_id="generated",
                        received_at=NOW,
                        sla_due_at=NOW,
                        categories=[],
                        submission={},
                    )
                )
                values = {**view.__dict__, "updated_at": NOW}
                await conn.execute(orm.report_views.insert().values(**values))
            await conn.run_sync(to("p10a1listidx"))
        stored = await stored_columns(engine)
        for view in views:
            assert stored[view.report_id] == {"county": "新竹市", **list_columns(view)}, view
    finally:
        await engine.dispose()
