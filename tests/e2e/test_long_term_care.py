"""Long-term care households (長期關懷戶, decision model v1.1 rule 2) through the API: a
welfare center keeps an acknowledged referral in long-term care with a review date, renews
it and finally closes it; the SLA counts it as acknowledged; a bad date is a 422 naming
`review_on`; a unit of another kind, or a dispatcher, is refused with 403."""

from datetime import UTC, datetime, timedelta

import pytest

from safetynet.policy.long_term_care import latest_review_on, today_at
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e

FAMILY = next(s for s in SCENARIOS if s.name == "vulnerable_family_mapped")  # 苗栗縣, 竹南區 welfare center
CENTER = "苗栗縣/welfare_center/竹南區"


def referral_is(status, **fields):
    def holds(body):
        return any(r["status"] == status and all(r.get(k) == v for k, v in fields.items()) for r in body["referrals"])

    return holds


async def test_a_welfare_center_keeps_renews_and_closes_a_household(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="苗栗縣")
        dispatcher = await system.key("dispatcher", name="值班社工", county="苗栗縣")
        center = await system.key("unit", name="竹南社福中心", county="苗栗縣", unit=CENTER)
        posted = await system.client.post("/v1/reports", json=with_fresh_ids(FAMILY.body), headers=agency)
        assert posted.status_code == 202, posted.text
        rid = posted.json()["report_id"]
        await system.wait_for(rid, dispatcher, lambda b: b["status"] == "awaiting_review")
        assert (await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)).status_code == 202
        report = await system.wait_for(rid, dispatcher, referral_is("assigned"))
        [referral] = report["referrals"]
        ref = referral["referral_id"]
        url = f"/v1/referrals/{ref}/long-term-care"
        today = today_at(datetime.now(UTC))

        # Not before it is acknowledged: the lifecycle starts long-term care from acknowledged.
        early = await system.client.post(url, json={"review_on": today.isoformat()}, headers=center)
        assert early.status_code == 409, early.text
        assert (await system.client.post(f"/v1/referrals/{ref}/acknowledge", headers=center)).status_code == 202
        await system.wait_for(rid, dispatcher, lambda b: b["sla"]["state"] == "met")

        # Bad dates: 422 naming the field, and nothing sent.
        for bad in (today - timedelta(days=1), latest_review_on(today) + timedelta(days=1)):
            answer = await system.client.post(url, json={"review_on": bad.isoformat()}, headers=center)
            assert answer.status_code == 422, answer.text
            assert answer.json()["detail"][0]["loc"] == ["body", "review_on"]
        for body in ({}, {"review_on": "next spring"}):
            answer = await system.client.post(url, json=body, headers=center)
            assert answer.status_code == 422 and "review_on" in answer.json()["detail"][0]["loc"], answer.text
        # A dispatcher may not: it is the unit's decision.
        refused = await system.client.post(url, json={"review_on": today.isoformat()}, headers=dispatcher)
        assert refused.status_code == 403, refused.text

        first = today + timedelta(days=90)
        placed = await system.client.post(
            url, json={"review_on": first.isoformat(), "note": "獨居，每季訪視"}, headers=center
        )
        assert placed.status_code == 202, placed.text
        report = await system.wait_for(rid, dispatcher, referral_is("long_term_care", review_on=first.isoformat()))
        # Counts as acknowledged: the report is dispatched, its SLA stays met.
        assert report["status"] == "acknowledged" and report["sla"]["state"] == "met"

        renewed_on = latest_review_on(today)
        renewed = await system.client.post(url, json={"review_on": renewed_on.isoformat()}, headers=center)
        assert renewed.status_code == 202, renewed.text
        report = await system.wait_for(rid, dispatcher, referral_is("long_term_care", review_on=renewed_on.isoformat()))
        events = [e["event"] for e in report["timeline"]]
        assert events.count("requested_place_in_long_term_care") == 2
        assert events.count("referral_long_term_care") == 2

        # The unit's inbox lists the household with its review date.
        inbox = await system.client.get("/console/inbox", headers=center)
        assert inbox.status_code == 200 and renewed_on.isoformat() in inbox.text and "long-term-table" in inbox.text

        # Each change is on the audit trail, with the review date (not the note).
        supervisor = await system.key("supervisor", county="苗栗縣")
        trail = (await system.client.get("/v1/audit", params={"report_id": rid}, headers=supervisor)).json()
        placements = [e for e in reversed(trail["records"]) if e["action"] == "PlaceInLongTermCare"]
        assert [e["detail"]["review_on"] for e in placements] == [first.isoformat(), renewed_on.isoformat()]
        assert all("獨居" not in str(e) for e in placements)

        closed = await system.client.post(
            f"/v1/referrals/{ref}/close", json={"outcome": "opened", "note": "穩定，結案"}, headers=center
        )
        assert closed.status_code == 202, closed.text
        report = await system.wait_for(rid, dispatcher, lambda b: b["status"] == "closed")


async def test_only_a_welfare_center_keeps_a_household(tmp_path):
    async with embedded_system(tmp_path) as system:
        protection = await system.key("unit", name="苗栗家防中心", county="苗栗縣", unit="苗栗縣/protection")
        agency = await system.key("agency", county="苗栗縣")
        dispatcher = await system.key("dispatcher", county="苗栗縣")
        co_case = next(s for s in SCENARIOS if s.name == "ipv_with_mental_illness")
        posted = await system.client.post("/v1/reports", json=with_fresh_ids(co_case.body), headers=agency)
        rid = posted.json()["report_id"]
        report = await system.wait_for(rid, dispatcher, lambda b: b["status"] != "received" and b["risk_level"])
        if not report["referrals"]:
            assert (await system.client.post(f"/v1/reports/{rid}/confirm", headers=dispatcher)).status_code == 202
            report = await system.wait_for(rid, dispatcher, lambda b: b["referrals"])
        [ref] = [r["referral_id"] for r in report["referrals"] if r["kind"] == "protection"]
        assert (await system.client.post(f"/v1/referrals/{ref}/acknowledge", headers=protection)).status_code == 202
        await system.wait_for(rid, dispatcher, referral_is("acknowledged", kind="protection"))
        review_on = (today_at(datetime.now(UTC)) + timedelta(days=30)).isoformat()
        answer = await system.client.post(
            f"/v1/referrals/{ref}/long-term-care", json={"review_on": review_on}, headers=protection
        )
        assert answer.status_code == 403 and "welfare center" in answer.json()["detail"], answer.text
