"""The four services as separate processes on real Kafka and PostgreSQL: nothing lost,
nothing duplicated, whatever crashes."""

import asyncio
from collections import Counter

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.cluster import Cluster, fetch
from tests.support.scenarios import generate

pytestmark = pytest.mark.integration


def settled(body: dict) -> bool:
    return body["status"] != "received" and body["risk_level"] is not None


async def post_all(client: httpx.AsyncClient, bodies: list[dict], headers: dict, *, pause: float = 0.0) -> list[str]:
    ids = []
    for body in bodies:
        response = await client.post("/v1/reports", json=body, headers=headers)
        assert response.status_code == 202, response.text
        ids.append(response.json()["report_id"])
        if pause:
            await asyncio.sleep(pause)
    return ids


async def assert_routed_once(cluster: Cluster, report_ids: list[str]) -> None:
    """One routing case per report, one referral per destination, one notification each."""
    cases = await fetch(
        cluster.database_url, "SELECT report_id FROM routing.routing_cases WHERE report_id = ANY($1)", report_ids
    )
    assert Counter(r["report_id"] for r in cases) == Counter(report_ids)
    referrals = await fetch(
        cluster.database_url,
        "SELECT report_id, kind, count(*) AS n FROM routing.routing_referrals "
        "WHERE report_id = ANY($1) GROUP BY report_id, kind",
        report_ids,
    )
    assert all(r["n"] == 1 for r in referrals), [dict(r) for r in referrals if r["n"] != 1]
    decisions = await fetch(
        cluster.database_url,
        "SELECT report_id FROM screening.screening_decisions WHERE report_id = ANY($1)",
        report_ids,
    )
    assert Counter(r["report_id"] for r in decisions) == Counter(report_ids)


def check_decisions(scenarios, bodies_by_id: dict[str, dict]) -> None:
    for (scenario, _), (report_id, report) in zip(scenarios, bodies_by_id.items()):
        assert report["risk_level"] == scenario.risk_level, (scenario.name, report_id)
        assert report["direct_dispatch"] == scenario.direct_dispatch, scenario.name
        assert {(d["kind"], d["unit"]) for d in report["destinations"]} == set(scenario.destinations), scenario.name
        assert report["status"] == scenario.status, scenario.name


async def test_200_reports_end_to_end(cluster):
    cluster.start_all()
    agency = cluster.key("--role", "agency", "--name", "it-agency", "--county", "苗栗縣", "--agency-type", "police")
    dispatchers = {
        c: cluster.key("--role", "dispatcher", "--name", f"it-{c}", "--county", c)
        for c in ("苗栗縣", "南投縣", "新竹縣", "屏東縣")
    }
    reports = generate(200, seed=200)
    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        ids = await post_all(client, [b for _, b in reports], agency)
        results = {}
        for county, headers in dispatchers.items():
            mine = [i for i, (_, b) in zip(ids, reports) if b["county"] == county]
            results.update(await cluster.wait_all(client, mine, headers, settled))
    ordered = {i: results[i] for i in ids}
    check_decisions(reports, ordered)
    await assert_routed_once(cluster, ids)


async def test_a_consumer_killed_mid_stream_loses_and_duplicates_nothing(cluster):
    cluster.start_all()
    agency = cluster.key("--role", "agency", "--name", "it-agency", "--county", "苗栗縣", "--agency-type", "police")
    dispatcher = cluster.key("--role", "dispatcher", "--name", "it-d", "--county", "苗栗縣")
    reports = [(s, b) for s, b in generate(400, seed=11) if b["county"] == "苗栗縣"][:60]
    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        first = await post_all(client, [b for _, b in reports[:30]], agency, pause=0.02)
        cluster.processes["routing"].kill()  # kill -9, mid-stream
        cluster.processes["screening"].kill()
        second = await post_all(client, [b for _, b in reports[30:]], agency)
        cluster.start("routing")
        cluster.start("screening")
        ids = first + second
        results = await cluster.wait_all(client, ids, dispatcher, settled, timeout=180)
    check_decisions(reports, {i: results[i] for i in ids})
    await assert_routed_once(cluster, ids)


async def test_intake_keeps_accepting_while_the_broker_is_down(cluster):
    import subprocess

    cluster.start_all()
    agency = cluster.key("--role", "agency", "--name", "it-agency", "--county", "苗栗縣", "--agency-type", "police")
    dispatcher = cluster.key("--role", "dispatcher", "--name", "it-d", "--county", "苗栗縣")
    reports = [(s, b) for s, b in generate(200, seed=5) if b["county"] == "苗栗縣"][:20]
    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        subprocess.run(["scripts/infra", "kafka-stop"], check=True, capture_output=True)
        try:
            started = asyncio.get_running_loop().time()
            ids = await post_all(client, [b for _, b in reports], agency, pause=0.3)
            await asyncio.sleep(max(0.0, 10 - (asyncio.get_running_loop().time() - started)))
        finally:
            subprocess.run(["scripts/infra", "kafka-start"], check=True, capture_output=True)
        results = await cluster.wait_all(client, ids, dispatcher, settled, timeout=180)
    check_decisions(reports, {i: results[i] for i in ids})
    await assert_routed_once(cluster, ids)


async def test_two_screening_replicas_split_the_partitions(cluster):
    cluster.start_all()
    cluster.start("screening", replica="-2")
    agency = cluster.key("--role", "agency", "--name", "it-agency", "--county", "苗栗縣", "--agency-type", "police")
    dispatcher = cluster.key("--role", "dispatcher", "--name", "it-d", "--county", "苗栗縣")
    reports = [(s, b) for s, b in generate(300, seed=9) if b["county"] == "苗栗縣"][:60]
    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        await asyncio.sleep(3)  # let the group settle on two members
        ids = await post_all(client, [b for _, b in reports], agency)
        results = await cluster.wait_all(client, ids, dispatcher, settled)
    check_decisions(reports, {i: results[i] for i in ids})
    await assert_routed_once(cluster, ids)
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.env["SAFETYNET_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups(["safetynet-screening"])
    finally:
        await admin.close()
    # (error_code, group_id, state, protocol_type, protocol, members, …)
    group = response.groups[0]
    members = next(field for field in group if isinstance(field, list))
    assert group[2] == "Stable" and len(members) == 2, group
