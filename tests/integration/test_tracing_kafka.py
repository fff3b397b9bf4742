"""One connected trace per report on real Kafka: the relay writes each event's stored W3C
context (the work that emitted it) into the message headers, and every consumer's span
is that work's child. No client instrumentation, no span per published event."""

import asyncio

import httpx
import pytest

from safetynet.cli import telemetry
from safetynet.cli.services import SERVICE_NAMES, build, settings_for
from safetynet.contracts import topics
from safetynet.platform.messaging.kafka import KafkaBroker
from safetynet.platform.storage import make_engine
from tests.support.cluster import create_database
from tests.support.processes import safetynet
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.traces import check_connected, consumer_groups, report_trace

pytestmark = pytest.mark.integration

RED = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")


async def test_one_connected_trace_across_the_four_services_on_kafka(real_infra, spans):
    url, kafka = real_infra
    database_url = await create_database(url)
    env = {"SAFETYNET_DATABASE_URL": database_url, "SAFETYNET_KAFKA_BOOTSTRAP": kafka}
    await asyncio.to_thread(safetynet, "migrate", env=env)
    overrides = {"database_url": database_url, "kafka_bootstrap": kafka, "subject_hash_key": "tracing-test-" + "0" * 32}
    engine = make_engine(database_url, schemas=SERVICE_NAMES)
    brokers, runtimes, stop = [], [], asyncio.Event()
    try:
        for name in SERVICE_NAMES:
            broker = KafkaBroker(kafka, client_id=f"trace-{name}", partitions=3)
            await broker.ensure_topics(topics.ALL_WITH_DEAD_LETTERS)
            await broker.start()
            brokers.append(broker)
            built = build(name, settings=settings_for(name, **overrides), engine=engine, broker=broker)
            runtimes.append(built)
            if built.app is not None:  # intake's API
                app = built.app
                telemetry.instrument_app(app)
        tasks = [asyncio.create_task(r.run(stop)) for r in runtimes]
        from safetynet.intake.service_layer import handlers
        from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

        _, agency = await handlers.create_key(
            role="agency", name="trace-agency", county="苗栗縣", agency_type="police", uow=IntakeUnitOfWork(engine)
        )
        _, dispatcher = await handlers.create_key(
            role="dispatcher", name="trace-d", county="苗栗縣", uow=IntakeUnitOfWork(engine)
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
            posted = await client.post(
                "/v1/reports", json=with_fresh_ids(RED.body), headers={"Authorization": f"Bearer {agency}"}
            )
            rid = posted.json()["report_id"]
            deadline = asyncio.get_running_loop().time() + 60
            while asyncio.get_running_loop().time() < deadline:
                body = (
                    await client.get(f"/v1/reports/{rid}", headers={"Authorization": f"Bearer {dispatcher}"})
                ).json()
                events = {e["event"] for e in body["timeline"]}
                if {"sla_started", "status_assigned"} <= events and any(e.startswith("notification_") for e in events):
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"the report never settled: {body}")
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for broker in brokers:
            await broker.stop()
        await engine.dispose()

    _, trace_spans = report_trace(spans.get_finished_spans(), rid)
    root = check_connected(trace_spans)
    assert root.name.startswith("POST /v1/reports")
    assert {
        "safetynet-screening",
        "safetynet-routing",
        "safetynet-notify",
        "safetynet-intake-views",
    } <= consumer_groups(trace_spans)
    # Each consumer span hangs off the span of the work that emitted its event: the POST
    # for ReportReceived, another consumer's span for the events that one emitted.
    by_id = {s.context.span_id: s for s in trace_spans}
    consumers = [s for s in trace_spans if s.kind.name == "CONSUMER"]
    assert consumers and not any(s.kind.name == "PRODUCER" for s in trace_spans)
    assert all(
        c.parent is not None and by_id[c.parent.span_id].kind.name in ("SERVER", "CONSUMER", "INTERNAL")
        for c in consumers
    ), [(c.name, c.parent) for c in consumers]
    screening = next(c for c in consumers if c.attributes.get("messaging.consumer.group.name") == "safetynet-screening")
    assert by_id[screening.parent.span_id].name.startswith("POST /v1/reports")  # type: ignore[union-attr]
    assert all(isinstance(c.attributes.get("safetynet.event_age_ms"), int) for c in consumers)
    # No SQL statement spans: one span per unit of work.
    assert not any(s.attributes.get("db.system") for s in trace_spans)
