"""The dispatcher's desk through the API: confirm, change, reassign, and the units'
acknowledge, reject and close, with every decision and actor kept."""

import pytest

from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e

ELDER = next(s for s in SCENARIOS if s.name == "elder_abuse_no_injury")  # 南投縣, awaiting review
CO_CASE = next(s for s in SCENARIOS if s.name == "ipv_with_mental_illness")  # 苗栗縣, two destinations
UNMAPPED = next(s for s in SCENARIOS if s.name == "vulnerable_family_unmapped_county")  # 新竹縣, no unit


def status_is(*wanted):
    return lambda body: body["status"] in wanted


async def post(system, scenario, agency, dispatcher, body=None):
    posted = await system.client.post("/v1/reports", json=body or with_fresh_ids(scenario.body), headers=agency)
    assert posted.status_code == 202, posted.text
    return await system.wait_for(
        posted.json()["report_id"], dispatcher, lambda b: b["risk_level"] is not None and b["status"] != "received"
    )


async def test_confirm_acknowledge_close_walks_the_whole_lifecycle(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="南投縣")
        dispatcher = await system.key("dispatcher", name="值班社工", county="南投縣")
        unit = await system.key("unit", name="南投家防中心", county="南投縣", unit="南投縣/protection")
        report = await post(system, ELDER, agency, dispatcher)
        rid = report["report_id"]
        assert report["status"] == "awaiting_review" and report["referrals"] == []

        queue = (await system.client.get("/v1/queue", headers=dispatcher)).json()
        assert [i["report_id"] for i in queue if i["queue"] == "review"] == [rid]

        confirmed = await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)
        assert confirmed.status_code == 202, confirmed.text
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        [referral] = report["referrals"]
        assert (referral["kind"], referral["unit"], referral["status"]) == (
            "protection",
            "南投縣/protection",
            "assigned",
        )

        ack = await system.client.post(f"/v1/referrals/{referral['referral_id']}/acknowledge", headers=unit)
        assert ack.status_code == 202, ack.text
        report = await system.wait_for(rid, dispatcher, status_is("acknowledged"))
        report = await system.wait_for(rid, dispatcher, lambda b: b["sla"]["state"] == "met")
        assert report["sla"]["closed_at"] is not None

        closed = await system.client.post(
            f"/v1/referrals/{referral['referral_id']}/close",
            headers=unit,
            json={"outcome": "opened", "note": "開案服務 / case opened"},
        )
        assert closed.status_code == 202, closed.text
        report = await system.wait_for(rid, dispatcher, status_is("closed"))
        events = [e["event"] for e in report["timeline"]]
        for expected in (
            "received",
            "screened",
            "requested_confirm_destinations",
            "referral_assigned",
            "referral_acknowledged",
            "sla_met",
            "referral_closed",
        ):
            assert expected in events, events
        actors = {e["event"]: e["actor"] for e in report["timeline"]}
        assert actors["requested_confirm_destinations"] == "dispatcher:值班社工"
        assert actors["referral_acknowledged"] == "unit:南投家防中心"


async def test_a_change_keeps_both_decisions_and_needs_a_reason(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        report = await post(system, CO_CASE, agency, dispatcher)
        rid = report["report_id"]
        no_reason = await system.client.post(
            f"/v1/reports/{rid}/destinations",
            headers=dispatcher,
            json={"destinations": [{"kind": "protection", "unit": "苗栗縣/protection"}]},
        )
        assert no_reason.status_code == 422
        assert ["body", "reason"] in [e["loc"] for e in no_reason.json()["detail"]]

        changed = await system.client.post(
            f"/v1/reports/{rid}/destinations",
            headers=dispatcher,
            json={
                "destinations": [{"kind": "protection", "unit": "苗栗縣/protection"}],
                "reason": "精神科已在案 / already followed by psychiatry",
            },
        )
        assert changed.status_code == 202, changed.text
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        assert {(d["kind"], d["unit"]) for d in report["recommended"]} == set(CO_CASE.destinations)
        assert [(d["kind"], d["unit"]) for d in report["destinations"]] == [("protection", "苗栗縣/protection")]
        assert any("already followed by psychiatry" in (e["detail"] or "") for e in report["timeline"])


async def test_a_rejected_referral_goes_back_to_the_queue_until_reassigned(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="新竹縣")
        dispatcher = await system.key("dispatcher", county="新竹縣")
        竹北 = await system.key("unit", name="竹北社福中心", county="新竹縣", unit="新竹縣/welfare_center/竹北")
        report = await post(system, UNMAPPED, agency, dispatcher)
        rid = report["report_id"]
        conflict = await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)
        assert conflict.status_code == 409  # no recommended destination has a unit

        await system.client.post(
            f"/v1/reports/{rid}/destinations",
            headers=dispatcher,
            json={
                "destinations": [{"kind": "welfare_center", "unit": "新竹縣/welfare_center/竹北"}],
                "reason": "住竹北市 / lives in Zhubei",
            },
        )
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        [first] = report["referrals"]

        rejected = await system.client.post(
            f"/v1/referrals/{first['referral_id']}/reject",
            headers=竹北,
            json={"reason": "wrong_district", "note": "非本轄 / not our district"},
        )
        assert rejected.status_code == 202, rejected.text
        report = await system.wait_for(rid, dispatcher, status_is("awaiting_review"))
        assert report["referrals"][0]["status"] == "rejected"
        queue = (await system.client.get("/v1/queue", headers=dispatcher)).json()
        assert rid in [i["report_id"] for i in queue]

        reassigned = await system.client.post(
            f"/v1/referrals/{first['referral_id']}/reassign",
            headers=dispatcher,
            json={"unit": "新竹縣/welfare_center/竹東", "reason": "改派竹東"},
        )
        assert reassigned.status_code == 202, reassigned.text
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        statuses = {r["unit"]: r["status"] for r in report["referrals"]}
        assert statuses == {"新竹縣/welfare_center/竹北": "reassigned", "新竹縣/welfare_center/竹東": "assigned"}


async def test_roles_and_scopes_of_actions(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        other_county = await system.key("dispatcher", county="南投縣")
        other_unit = await system.key("unit", county="苗栗縣", unit="苗栗縣/mental_health")
        scenario = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")  # red: assigned at once
        report = await post(system, scenario, agency, dispatcher)
        report = await system.wait_for(report["report_id"], dispatcher, status_is("assigned"))
        referral = report["referrals"][0]["referral_id"]
        assert (await system.client.post(f"/v1/referrals/{referral}/acknowledge", headers=agency)).status_code == 403
        assert (
            await system.client.post(f"/v1/referrals/{referral}/acknowledge", headers=other_unit)
        ).status_code == 404
        assert (
            await system.client.post(f"/v1/referrals/{referral}/acknowledge", headers=other_county)
        ).status_code == 404
        assert (
            await system.client.post(f"/v1/reports/{report['report_id']}/confirm", headers=dispatcher)
        ).status_code == 409
        assert (
            await system.client.post(f"/v1/referrals/{referral}/close", headers=dispatcher, json={"outcome": "opened"})
        ).status_code == 403
        assert (await system.client.post("/v1/referrals/nope/acknowledge", headers=dispatcher)).status_code == 404
        # A dispatcher may record the unit's acknowledgement, e.g. after a phone call.
        assert (
            await system.client.post(f"/v1/referrals/{referral}/acknowledge", headers=dispatcher)
        ).status_code == 202
        await system.wait_for(report["report_id"], dispatcher, status_is("acknowledged"))


async def test_a_re_report_right_after_closure_goes_back_to_the_same_unit(tmp_path):
    # Routing, which owns closures, applies the re-report rule (screening learns closures
    # only as outcomes for replay, and decides without them): the rule must hold whatever
    # the timing, since the closure was committed first.
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="南投縣")
        dispatcher = await system.key("dispatcher", county="南投縣")
        unit = await system.key("unit", county="南投縣", unit="南投縣/protection")
        body = with_fresh_ids(ELDER.body)
        report = await post(system, ELDER, agency, dispatcher, body=body)
        rid = report["report_id"]
        await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)
        report = await system.wait_for(rid, dispatcher, status_is("assigned"))
        referral = report["referrals"][0]["referral_id"]
        await system.client.post(f"/v1/referrals/{referral}/acknowledge", headers=unit)
        await system.wait_for(rid, dispatcher, status_is("acknowledged"))
        await system.client.post(f"/v1/referrals/{referral}/close", headers=unit, json={"outcome": "opened"})
        await system.wait_for(rid, dispatcher, status_is("closed"))  # committed by routing

        again = await post(system, ELDER, agency, dispatcher, body=body)
        again = await system.wait_for(again["report_id"], dispatcher, status_is("assigned"))
        assert again["direct_dispatch"] is True
        codes = [r["code"] for r in again["reasons"]]
        assert {"DIRECT_RECENT_CLOSED_REFERRAL", "DIRECT_EARLIER_REPORT", "REREPORT_PREVIOUS_UNIT"} <= set(codes)
        assert [(d["kind"], d["unit"]) for d in again["recommended"]] == [("protection", "南投縣/protection")]
        assert [(r["kind"], r["unit"]) for r in again["referrals"]] == [("protection", "南投縣/protection")]
