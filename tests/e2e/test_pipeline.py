"""A report's whole path in one process: intake → screening → routing → notify."""

import pytest

from tests.support.scenarios import SCENARIOS, generate, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


def _settled(body: dict) -> bool:
    return body["status"] != "received" and body["risk_level"] is not None


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_each_scenario_gets_its_decision_model_v1_outcome(tmp_path, scenario):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county=scenario.body["county"])
        dispatcher = await system.key("dispatcher", county=scenario.body["county"])
        body = with_fresh_ids(scenario.body)
        posted = await system.client.post("/v1/reports", json=body, headers=agency)
        assert posted.status_code == 202, posted.text
        report = await system.wait_for(posted.json()["report_id"], dispatcher, _settled)

        assert report["risk_level"] == scenario.risk_level
        assert report["urgent"] == (scenario.risk_level == "red")
        assert report["direct_dispatch"] == scenario.direct_dispatch
        assert {(d["kind"], d["unit"]) for d in report["destinations"]} == set(scenario.destinations)
        assert report["status"] == scenario.status
        assert report["rule_version"]
        assigned_now = scenario.risk_level == "red" or scenario.direct_dispatch
        expected_referrals = {(k, u) for k, u in scenario.destinations if u} if assigned_now else set()
        assert {(r["kind"], r["unit"]) for r in report["referrals"]} == expected_referrals
        assert all(r["status"] == "assigned" for r in report["referrals"])


async def test_a_repeat_report_on_the_same_person_is_a_direct_dispatch(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        [(_, first)] = [x for x in generate(40) if x[0].name == "elder_abuse_no_injury"][:1]
        first = {**first, "county": "苗栗縣", "township": "苗栗市"}
        one = (await system.client.post("/v1/reports", json=first, headers=agency)).json()
        report = await system.wait_for(one["report_id"], dispatcher, _settled)
        assert report["direct_dispatch"] is False and report["status"] == "awaiting_review"

        two = (await system.client.post("/v1/reports", json=first, headers=agency)).json()
        again = await system.wait_for(two["report_id"], dispatcher, _settled)
        assert again["direct_dispatch"] is True
        assert again["risk_level"] == "orange"  # named in an earlier report within 365 days
        assert "DIRECT_EARLIER_REPORT" in {r["code"] for r in again["reasons"]}
        assert again["status"] == "assigned"
        assert [(r["kind"], r["unit"]) for r in again["referrals"]] == [("protection", "苗栗縣/protection")]


async def test_the_reporting_agency_sees_progress_but_not_units(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", name="苗栗縣警察局")
        [(_, body)] = generate(1)
        posted = (await system.client.post("/v1/reports", json=body, headers=agency)).json()
        seen = await system.wait_for(posted["report_id"], agency, lambda b: b["status"] == "assigned")
        assert seen["destinations"] == [{"kind": "protection"}]
        assert "referrals" not in seen and "reasons" not in seen


async def test_every_assigned_referral_gets_one_notification(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        [(_, body)] = generate(1)  # red: assigned at once
        posted = (await system.client.post("/v1/reports", json=body, headers=agency)).json()
        report = await system.wait_for(
            posted["report_id"],
            dispatcher,
            lambda b: any(e["event"].startswith("notification_") for e in b["timeline"]),
        )
        notes = [e for e in report["timeline"] if e["event"].startswith("notification_")]
        assert len(notes) == len(report["referrals"]) == 1
        assert "苗栗縣/protection" in notes[0]["detail"]
