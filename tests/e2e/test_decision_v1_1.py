"""Decision model v1.1 through the whole pipeline (issue 14): the default version decides,
a low BSRS-5 screen holds the mental-health destination for a dispatcher while the other
destinations go, a severe score recommends it with its unit (orange), and a severe
child-abuse case carries EARLY_INTERVENTION."""

import pytest

from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


def report(categories: list[str], subjects: list[dict], **indicators: object) -> dict:
    return {
        "county": "苗栗縣",
        "township": "頭份市",
        "categories": categories,
        "subjects": subjects,
        "indicators": indicators,
        "narrative": "測試通報 test report",
    }


async def test_v1_1_decides_bsrs5_and_early_intervention_end_to_end(tmp_path) -> None:
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency", agency_type="hospital")
        dispatcher = await system.key("dispatcher")

        async def decided(body: dict) -> dict:
            posted = await system.client.post("/v1/reports", json=body, headers=agency)
            assert posted.status_code == 202, posted.text
            return await system.wait_for(posted.json()["report_id"], dispatcher, lambda b: b["risk_level"] is not None)

        low = await decided(
            report(
                ["suspected_mental_illness", "vulnerable_family"],
                [{"role": "adult", "age": 44}],
                weapon=True,  # red: everything with a unit is assigned at once
                bsrs5={"items": [1, 0, 1, 0, 1], "suicide": 1},
            )
        )
        assert (low["rule_version"], low["risk_level"], low["bsrs5"]["band"]) == ("v1.1.0", "red", "normal")
        assert low["recommended"] == [
            {"kind": "welfare_center", "unit": "苗栗縣/welfare_center/頭份區"},
            {"kind": "mental_health", "unit": None},
        ]
        assert "MH_LOW_SCREEN" in [r["code"] for r in low["reasons"]]
        low = await system.wait_for(low["report_id"], dispatcher, lambda b: b["referrals"])
        assert [(r["kind"], r["unit"]) for r in low["referrals"]] == [
            ("welfare_center", "苗栗縣/welfare_center/頭份區")
        ]
        assert low["status"] == "awaiting_review"  # the held destination waits for a dispatcher

        severe = await decided(
            report(["other"], [{"role": "adult", "age": 30}], bsrs5={"items": [4, 3, 3, 3, 3], "suicide": 0})
        )
        assert severe["risk_level"] == "orange" and [r["code"] for r in severe["reasons"]] == ["BSRS5_SEVERE"]
        assert severe["recommended"] == [{"kind": "mental_health", "unit": "苗栗縣/mental_health"}]

        abuse = await decided(report(["child_maltreatment"], [{"role": "child", "age": 4}], injury="minor"))
        codes = [r["code"] for r in abuse["reasons"]]
        assert abuse["risk_level"] == "red" and "EARLY_INTERVENTION" in codes
        assert "RED_CHILD_UNDER_6_MALTREATMENT_INJURY" in codes
