"""Linked to an open case (併案, decision model v1.1 rule 1) through the whole system: a
second report naming the subject of a live welfare-center referral goes at once to the
center that holds it, linked to it; the unit's notification says so; the dispatcher sees
the link on both reports (API and console)."""

import re

import pytest
from sqlalchemy import text

from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e

FAMILY = next(s for s in SCENARIOS if s.name == "vulnerable_family_mapped")  # 苗栗縣 竹南鎮 -> 竹南區 center
HOLDER = "苗栗縣/welfare_center/竹南區"


async def test_a_new_report_on_an_open_case_goes_to_its_unit_and_is_linked_both_ways(tmp_path):
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", county="苗栗縣")
        dispatcher = await system.key("dispatcher", name="值班社工", county="苗栗縣")
        center = await system.key("unit", name="竹南社福中心", county="苗栗縣", unit=HOLDER)

        first_body = with_fresh_ids(FAMILY.body)
        posted = await system.client.post("/v1/reports", json=first_body, headers=agency)
        assert posted.status_code == 202, posted.text
        first = posted.json()["report_id"]
        await system.wait_for(first, dispatcher, lambda b: b["status"] == "awaiting_review")
        assert (await system.client.post(f"/v1/reports/{first}/confirm", headers=dispatcher)).status_code == 202
        report = await system.wait_for(first, dispatcher, lambda b: b["referrals"])
        [open_referral] = report["referrals"]
        open_id = open_referral["referral_id"]
        assert (await system.client.post(f"/v1/referrals/{open_id}/acknowledge", headers=center)).status_code == 202
        await system.wait_for(first, dispatcher, lambda b: b["status"] == "acknowledged")

        # The same person, reported from 頭份市: screening picks 頭份's center; rule 1 sends it
        # to the center that holds the open case, at once.
        second_body = {**first_body, "township": "頭份市", "narrative": "同一案家再次通報。"}
        posted = await system.client.post("/v1/reports", json=second_body, headers=agency)
        assert posted.status_code == 202, posted.text
        second = posted.json()["report_id"]
        report = await system.wait_for(second, dispatcher, lambda b: b["referrals"] and b["linked_to"])
        [linked] = report["referrals"]
        assert (linked["unit"], linked["linked_to"], linked["status"]) == (HOLDER, open_id, "assigned")
        assert report["direct_dispatch"] is True
        assert "DIRECT_OPEN_CASE" in [r["code"] for r in report["reasons"]]
        assert report["linked_to"] == [
            {"referral_id": linked["referral_id"], "other_report_id": first, "other_referral_id": open_id}
        ]
        assert report["linked_from"] == []

        # And the other way: the first report shows the later one linked to it.
        earlier = (await system.client.get(f"/v1/reports/{first}", headers=dispatcher)).json()
        assert earlier["linked_from"] == [
            {"referral_id": open_id, "other_report_id": second, "other_referral_id": linked["referral_id"]}
        ]
        assert earlier["linked_to"] == []

        # The console shows both.
        page = await system.client.get(f"/console/reports/{second}", headers=dispatcher)
        assert page.status_code == 200
        assert f"linked to referral {open_id} of report {first}" in page.text
        page = await system.client.get(f"/console/reports/{first}", headers=dispatcher)
        assert re.search(rf"linked from report {second}\b", page.text)

        # The center was told the new referral concerns its open case.
        async def subjects() -> list[str]:
            async with system.engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT subject FROM notify_notifications WHERE referral_id = :r"),
                    {"r": linked["referral_id"]},
                )
                return [row.subject for row in rows]

        await system.wait_for(
            second, dispatcher, lambda b: any(e["event"].startswith("notification_") for e in b["timeline"])
        )
        assert any(f"concerns your open case, referral {open_id}" in s for s in await subjects())
