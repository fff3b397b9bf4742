"""Retention: the personal data of a report whose referrals all closed longer ago than its
county's `retention_days` is purged (the data key with it); the KPIs do not change; one
inside its period, or still open, keeps everything."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from safetynet.cli import main as cli
from safetynet.contracts.report import TAIPEI
from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import SEALED_COLUMNS
from safetynet.intake.service_layer import kpis, privacy
from safetynet.platform.counties import CountyDirectory
from tests.support.personal import found_in, personal_report, sqlite_dump

NOW = datetime.now(UTC)


def referral(status: str, days_ago: float, county: str = "苗栗縣") -> dict[str, Any]:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    return {
        "referral_id": f"ref-{status}-{days_ago}",
        "kind": "protection",
        "unit": f"{county}/protection",
        "status": status,
        "urgent": False,
        "assigned_at": at,
        "updated_at": at,
    }


async def settle(intake: Any, report_id: str, status: str, referrals: list[dict[str, Any]]) -> None:
    """What routing's snapshots would have projected."""
    async with intake.app.state.intake.uow() as uow:
        view = await uow.views.get(report_id)
        view.status, view.referrals = status, referrals
        view.destinations = [{"kind": r["kind"], "unit": r["unit"]} for r in referrals]
        await uow.views.save(view)
        await uow.commit()


@pytest.fixture
async def cast(intake: Any, post_report: Any) -> dict[str, tuple[str, dict[str, Any], list[str]]]:
    """old: closed 40 days ago; recent: closed 10 days ago; open: still acknowledged;
    ancient (南投縣): reassigned, then closed 1,100 days ago; again: names old's victim."""
    reports = {}
    for name, county, township in [
        ("old", "苗栗縣", "頭份市"),
        ("recent", "苗栗縣", "頭份市"),
        ("open", "苗栗縣", "頭份市"),
        ("ancient", "南投縣", "南投市"),
    ]:
        body, values = personal_report(county=county, township=township)
        response = await post_report(body)
        assert response.status_code == 202, response.text
        reports[name] = (response.json()["report_id"], body, values)
    again = {**reports["recent"][1], "subjects": [reports["old"][1]["subjects"][0]]}
    reports["again"] = ((await post_report(again)).json()["report_id"], again, [])
    await settle(intake, reports["old"][0], "closed", [referral("closed", 40)])
    await settle(intake, reports["recent"][0], "closed", [referral("closed", 10)])
    await settle(intake, reports["open"][0], "acknowledged", [referral("closed", 400), referral("acknowledged", 400)])
    await settle(
        intake,
        reports["ancient"][0],
        "closed",
        [referral("reassigned", 1200, "南投縣"), referral("closed", 1100, "南投縣")],
    )
    return reports


def miaoli_keeps_30_days() -> CountyDirectory:
    packaged = CountyDirectory.load()
    return CountyDirectory(
        [
            packaged.county(c).model_copy(update={"retention_days": 30}) if c == "苗栗縣" else packaged.county(c)
            for c in packaged.counties
        ]
    )


async def indicators(intake: Any) -> dict[str, Any]:
    today = NOW.astimezone(TAIPEI).date()
    out = {}
    for county in ("苗栗縣", "南投縣"):
        out[county] = await kpis.county_kpis(
            county=county, first=today - timedelta(days=1), last=today, now=NOW, uow=intake.app.state.intake.uow()
        )
    return out


async def test_the_packaged_counties_keep_personal_data_three_years() -> None:
    directory = CountyDirectory.load()
    assert {directory.retention_days(c) for c in directory.counties} == {1095}
    assert directory.retention_days("no such county") == 1095


async def test_a_report_past_its_period_is_purged_and_one_inside_it_is_not(
    intake: Any, cast: Any, engine: Any, client: Any, keys: Any, settings: Any
) -> None:
    before = await indicators(intake)
    assert before["苗栗縣"]["protection_rereport"]["numerator"] >= 1  # old's closure counts
    run = dict(uow=intake.app.state.intake.uow, now=NOW)

    packaged = await privacy.run_retention(**run, directory=CountyDirectory.load(), dry_run=True)
    assert (packaged.closed, packaged.due, packaged.purged) == (3, 1, 0)  # only ancient: 1,100 > 1,095 days
    dry = await privacy.run_retention(**run, directory=miaoli_keeps_30_days(), dry_run=True)
    assert (dry.closed, dry.due, dry.purged) == (3, 2, 0)
    done = await privacy.run_retention(**run, directory=miaoli_keeps_30_days(), batch_size=1)
    assert (done.closed, done.due, done.purged, done.batches) == (3, 2, 2, 3)
    again = await privacy.run_retention(**run, directory=miaoli_keeps_30_days())
    assert (again.closed, again.due, again.purged) == (1, 0, 0)  # recent is left; nothing twice

    async with engine.connect() as conn:
        rows = {r.report_id: r for r in await conn.execute(select(orm.reports))}
        indexed = await conn.scalar(select(func.count()).select_from(orm.subject_index))
    purged = {name for name, (rid, _, _) in cast.items() if rows[rid].pseudonymised_at is not None}
    assert purged == {"old", "ancient"}
    for name in purged:
        row = rows[cast[name][0]]
        assert all(getattr(row, c) is None for c in SEALED_COLUMNS)
        assert found_in(repr(row), cast[name][2]) == []
    assert indexed == 3 * 4 + 1  # the keyed hashes stay: KPIs and repeat detection use them
    assert await indicators(intake) == before

    headers = keys.dispatcher_miaoli.headers
    gone = (await client.get(f"/v1/reports/{cast['old'][0]}", headers=headers)).json()
    assert gone["personal_data_purged_at"] is not None and gone["narrative"] == ""
    assert gone["subjects"] == [
        {"role": "victim", "sex": "F"},
        {"role": "offender", "age": 41, "sex": "M"},
        {"role": "child"},
    ]
    assert gone["source"] == {"agency_type": "police", "mandated_reporter": True}
    assert gone["status"] == "closed" and gone["categories"] == cast["old"][1]["categories"]
    for name in ("recent", "open"):
        kept = (await client.get(f"/v1/reports/{cast[name][0]}", headers=headers)).json()
        assert kept["personal_data_purged_at"] is None
        assert kept["subjects"] == cast[name][1]["subjects"] and kept["narrative"] == cast[name][1]["narrative"]

    month = NOW.astimezone(TAIPEI).strftime("%Y-%m")
    listed = (await client.get("/v1/high-danger", headers=headers, params={"county": "苗栗縣", "month": month})).json()
    by_id = {r["report_id"]: r for r in listed["reports"]}
    assert [s["name"] for s in by_id[cast["old"][0]]["subjects"]] == [None, None, None]
    assert [s["name"] for s in by_id[cast["recent"][0]]["subjects"]] == [
        s["name"] for s in cast["recent"][1]["subjects"]
    ]

    if settings.database_url.startswith("sqlite"):
        dump = sqlite_dump(settings.database_url.split(":///", 1)[1])
        assert found_in(dump, cast["old"][2] + cast["ancient"][2]) == []


async def test_the_retention_command_counts_and_purges(
    cast: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", database_url)
    assert await cli.run(cli._parser().parse_args(["retention", "run", "--dry-run"])) == 0
    assert capsys.readouterr().out.strip() == (
        "3 closed reports hold personal data, 1 past their county's retention "
        "period, 0 purged (dry run: nothing purged)"
    )
    assert await cli.run(cli._parser().parse_args(["retention", "run"])) == 0
    assert capsys.readouterr().out.strip() == (
        "3 closed reports hold personal data, 1 past their county's retention period, 1 purged"
    )
