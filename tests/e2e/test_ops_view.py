"""The ops view: open SLAs soonest first, where each report waits, and its trace."""

import pytest

from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


def scenario(name):
    return next(s for s in SCENARIOS if s.name == name)


async def test_open_slas_soonest_first_with_the_waiting_stage_and_a_trace_link(tmp_path, spans):
    async with embedded_system(tmp_path, trace_url_template="https://jaeger.example/trace/{trace_id}") as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        supervisor = await system.key("supervisor")
        review = (
            await system.client.post(
                "/v1/reports", json=with_fresh_ids(scenario("ipv_with_mental_illness").body), headers=agency
            )
        ).json()["report_id"]
        red = (
            await system.client.post(
                "/v1/reports", json=with_fresh_ids(scenario("ipv_high_tipvda").body), headers=agency
            )
        ).json()["report_id"]
        await system.wait_for(review, dispatcher, lambda b: b["status"] == "awaiting_review")
        await system.wait_for(red, dispatcher, lambda b: b["status"] == "assigned")

        response = await system.client.get("/v1/ops/slas", headers=supervisor)
        assert response.status_code == 200, response.text
        items = {i["report_id"]: i for i in response.json()}
        assert items[review]["waiting_on"]["stage"] == "dispatcher"
        assert items[red]["waiting_on"] == {"stage": "unit", "who": "苗栗縣/protection"}
        assert [i["due_at"] for i in response.json()] == sorted(i["due_at"] for i in response.json())
        assert 0 < items[red]["seconds_left"] <= 24 * 3600
        trace_id = items[red]["trace_id"]
        assert len(trace_id) == 32 and items[red]["trace_url"] == f"https://jaeger.example/trace/{trace_id}"
        # The link leads to the report's trace: the one its spans are in.
        report_spans = [s for s in spans.get_finished_spans() if s.attributes.get("safetynet.report_id") == red]
        assert {format(s.context.trace_id, "032x") for s in report_spans} == {trace_id}

        assert (await system.client.get("/v1/ops/slas", headers=agency)).status_code == 403


async def test_the_console_ops_page_lists_open_slas_with_trace_links(tmp_path):
    async with embedded_system(tmp_path, trace_url_template="https://jaeger.example/trace/{trace_id}") as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        red = (
            await system.client.post(
                "/v1/reports", json=with_fresh_ids(scenario("ipv_high_tipvda").body), headers=agency
            )
        ).json()["report_id"]
        await system.wait_for(red, dispatcher, lambda b: b["status"] == "assigned")
        page = await system.client.get("/console/ops", headers=dispatcher)
        assert page.status_code == 200, page.text
        assert f'href="/console/reports/{red}"' in page.text
        assert "https://jaeger.example/trace/" in page.text
        # The queue's labels, not the API's codes: unit names, statuses and risk lights.
        html = page.text.split("<main", 1)[1]
        assert "苗栗縣家庭暴力及性侵害防治中心" in html and "苗栗縣/protection" not in html
        assert "已派案 Assigned" in html and ">assigned<" not in html
        assert "待單位簽收" in html and '<span class="risk risk-red">' in html
        assert page.headers["cache-control"] == "no-store"
