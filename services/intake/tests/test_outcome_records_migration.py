"""The migration that adds the learning KPIs' referral records (c13a1outcome) fills them
from the report views already stored: each referral's kind, unit, status and times, and
the decision's codes that asked for its kind. A free-text outcome (from before the
vocabulary) is no outcome; a coded one is kept."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import select, text

from safetynet.cli.services import service_module
from safetynet.intake.adapters import orm
from safetynet.platform.migrations import alembic_config
from safetynet.platform.storage import is_sqlite, make_engine

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _referral(rid: str, kind: str, status: str, updated: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "referral_id": rid,
        "kind": kind,
        "unit": f"苗栗縣/{kind}",
        "status": status,
        "urgent": False,
        "assigned_at": (T0 + H).isoformat(),
        "updated_at": updated.isoformat(),
        "reason": None,
        "outcome": None,
        **extra,
    }


async def test_the_migration_fills_the_records_of_existing_referrals(database_url: str) -> None:
    engine = make_engine(database_url, schemas=("intake",))
    config = alembic_config(service_module("intake").MIGRATIONS)

    def to(revision: str) -> Any:
        def run(connection: Any) -> None:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    report_id = str(uuid.uuid4())
    referrals = [
        _referral("closed-text", "protection", "closed", T0 + 90 * H, outcome="已開案服務"),
        _referral(
            "closed-coded", "mental_health", "closed", T0 + 80 * H, outcome="not_opened", outcome_reason="declined"
        ),
        _referral(
            "rejected", "welfare_center", "rejected", T0 + 3 * H, reason="非本轄", outcome_reason="wrong_district"
        ),
        _referral("acknowledged", "youth_counseling", "acknowledged", T0 + 2 * H),
    ]
    reasons = [
        {"code": c, "text": c}
        for c in (
            "RED_WEAPON",
            "DEST_PROTECTION_CATEGORY",
            "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
            "DEST_YOUTH_COUNSELING",
        )
    ]
    try:
        async with engine.begin() as conn:
            if not is_sqlite(database_url):
                await conn.execute(text("CREATE SCHEMA IF NOT EXISTS intake"))
            await conn.run_sync(to("p10a1listidx"))
            await conn.execute(
                orm.reports.insert().values(
                    report_id=report_id,
                    county="苗栗縣",
                    township="頭份市",
                    agency_type="school",
                    agency_name="generated",
                    key_id="generated",
                    received_at=T0,
                    sla_due_at=T0 + 24 * H,
                    categories=[],
                    submission={},
                )
            )
            await conn.execute(
                orm.report_views.insert().values(
                    report_id=report_id,
                    status="assigned",
                    reasons=reasons,
                    recommended=[],
                    destinations=[],
                    referrals=referrals,
                    routing_seq=3,
                    sla={"due_at": (T0 + 24 * H).isoformat(), "state": "met", "closed_at": None},
                    updated_at=T0,
                )
            )
            await conn.run_sync(to("c13a1outcome"))
        async with engine.connect() as conn:
            # The columns as of c13a1outcome (later migrations add more, e.g. i14a3bsrs's bsrs5_band).
            then = [c for c in orm.referral_outcomes.c if c.name != "bsrs5_band"]
            rows = {r.referral_id: r for r in await conn.execute(select(*then))}
    finally:
        await engine.dispose()

    assert set(rows) == {"closed-text", "closed-coded", "rejected", "acknowledged"}
    assert {(r.report_id, r.county, r.agency_type, r.received_at) for r in rows.values()} == {
        (report_id, "苗栗縣", "school", T0)
    }
    text_closed, coded, rejected, acknowledged = (
        rows[k] for k in ("closed-text", "closed-coded", "rejected", "acknowledged")
    )
    assert (text_closed.closed_at, text_closed.outcome, text_closed.reason_codes) == (
        T0 + 90 * H,
        None,
        ["DEST_PROTECTION_CATEGORY"],
    )
    assert (coded.outcome, coded.outcome_reason, coded.reason_codes) == (
        "not_opened",
        "declined",
        ["DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"],
    )
    assert (rejected.rejected_at, rejected.rejection_reason, rejected.reason_codes) == (
        T0 + 3 * H,
        "wrong_district",
        [],
    )
    assert (acknowledged.acknowledged_at, acknowledged.assigned_at, acknowledged.status) == (
        T0 + 2 * H,
        T0 + H,
        "acknowledged",
    )
