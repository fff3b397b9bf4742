"""One trace per report, from the intake HTTP span through the outbox, the broker and
every service (the embedded mode)."""

import pytest

from safetynet.cli import telemetry
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system
from tests.support.traces import check_connected, consumer_groups, report_trace

pytestmark = pytest.mark.e2e

RED = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")
ALL_GROUPS = {"safetynet-screening", "safetynet-routing", "safetynet-notify", "safetynet-intake-views"}


async def test_a_report_is_one_connected_trace_across_the_four_services(tmp_path, spans):
    async with embedded_system(tmp_path) as system:
        telemetry.instrument_app(system.app)
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        body = with_fresh_ids(RED.body)
        posted = await system.client.post("/v1/reports", json=body, headers=agency)
        rid = posted.json()["report_id"]
        await system.wait_for(
            rid,
            dispatcher,
            lambda b: any(
                e["event"] == "notification_recorded" or e["event"] == "notification_delivered" for e in b["timeline"]
            ),
        )
        await system.wait_for(rid, dispatcher, lambda b: any(e["event"] == "sla_started" for e in b["timeline"]))

    _, trace_spans = report_trace(spans.get_finished_spans(), rid)
    root = check_connected(trace_spans)
    assert root.name.startswith("POST /v1/reports")
    assert consumer_groups(trace_spans) >= ALL_GROUPS
    screening = next(
        s for s in trace_spans if s.attributes.get("messaging.consumer.group.name") == "safetynet-screening"
    )
    assert screening.attributes["safetynet.county"] == "苗栗縣"
    # No personal data in spans: names and national IDs never appear in any attribute.
    secrets = {s["national_id"] for s in body["subjects"]} | {s["name"] for s in body["subjects"]}
    for span in spans.get_finished_spans():
        flat = " ".join(str(v) for v in (span.attributes or {}).values()) + span.name
        assert not any(secret in flat for secret in secrets), span.name


async def test_a_dispatcher_action_links_to_the_report_trace(tmp_path, spans):
    elder = next(s for s in SCENARIOS if s.name == "elder_abuse_no_injury")
    async with embedded_system(tmp_path) as system:
        telemetry.instrument_app(system.app)
        agency = await system.key("agency", county="南投縣")
        dispatcher = await system.key("dispatcher", county="南投縣")
        rid = (await system.client.post("/v1/reports", json=with_fresh_ids(elder.body), headers=agency)).json()[
            "report_id"
        ]
        await system.wait_for(rid, dispatcher, lambda b: b["status"] == "awaiting_review")
        report_trace_id, _ = report_trace(spans.get_finished_spans(), rid)
        await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)
        await system.wait_for(rid, dispatcher, lambda b: b["status"] == "assigned")
    [action] = [s for s in spans.get_finished_spans() if s.name == "action ConfirmDestinations"]
    assert [link.context.trace_id for link in action.links] == [report_trace_id]
