"""Decision model v1.1 on the production topology (issue 14): the four `safetynet serve`
processes on real Kafka and PostgreSQL decide a severe BSRS-5 screen, mark a severe
child-abuse case for early intervention, link a report to an open case and to a long-term
care household. The embedded runs of the same rules are tests/e2e/test_decision_v1_1.py,
test_early_intervention.py, test_open_case_link.py and test_long_term_care.py.

Under decision model v1 every part fails: the rule version is "v1" and BSRS-5 is no
reason (part 1), no decision carries EARLY_INTERVENTION and no notice is planned (part 2),
and routing never links a repeat subject's referral to the open one (parts 3 and 4): the
condition waits time out naming the report.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from safetynet.contracts.report import TAIPEI
from safetynet.policy.long_term_care import today_at
from tests.support.cluster import Cluster
from tests.support.scenarios import SCENARIOS, with_fresh_ids

pytestmark = pytest.mark.integration

COUNTY = "苗栗縣"
FAMILY = next(s for s in SCENARIOS if s.name == "vulnerable_family_mapped")  # 竹南鎮 -> 竹南區 center
SEVERE_ABUSE = next(s for s in SCENARIOS if s.name == "child_maltreatment_minor_injury_under_6")
CENTER = "苗栗縣/welfare_center/竹南區"
PROSECUTOR, POLICE = "苗栗縣/prosecutor", "苗栗縣/police"
PATIENCE = 180.0  # seconds: four processes, a broker and a database on a busy 2-core machine

Body = dict[str, Any]


class Desk:
    """The cluster's API as the test's agency, dispatcher and welfare center use it."""

    def __init__(self, cluster: Cluster, client: httpx.AsyncClient):
        self.cluster, self.client = cluster, client
        self.agency = cluster.key(
            "--role", "agency", "--name", "it-hospital", "--county", COUNTY, "--agency-type", "hospital"
        )
        self.dispatcher = cluster.key("--role", "dispatcher", "--name", "it-dispatcher", "--county", COUNTY)
        self.center = cluster.key("--role", "unit", "--name", "it-竹南社福中心", "--county", COUNTY, "--unit", CENTER)

    async def post(self, body: Body) -> str:
        posted = await self.client.post("/v1/reports", json=body, headers=self.agency)
        assert posted.status_code == 202, posted.text
        return str(posted.json()["report_id"])

    async def wait(self, report_id: str, until: Callable[[Body], Any]) -> Body:
        done = await self.cluster.wait_all(self.client, [report_id], self.dispatcher, until, timeout=PATIENCE)
        return done[report_id]

    async def command(self, path: str, headers: dict[str, str], body: Body | None = None) -> None:
        answer = await self.client.post(path, json=body, headers=headers)
        assert answer.status_code == 202, (path, answer.text)

    async def assigned_family_case(self, body: Body) -> tuple[str, str]:
        """Post a family report, confirm it as the dispatcher: (report id, its center referral id)."""
        report_id = await self.post(body)
        await self.wait(report_id, lambda b: b["status"] == "awaiting_review")
        await self.command(f"/v1/reports/{report_id}/confirm", self.dispatcher)
        report = await self.wait(report_id, lambda b: b["referrals"])
        [referral] = report["referrals"]
        assert (referral["kind"], referral["unit"], referral["status"]) == ("welfare_center", CENTER, "assigned")
        return report_id, str(referral["referral_id"])


def codes(body: Body) -> list[str]:
    return [r["code"] for r in body["reasons"]]


def same_subject_again(body: Body) -> Body:
    # Reported from 頭份市, whose own center screening would pick: only the link sends it to 竹南.
    return {**body, "township": "頭份市", "narrative": "同一案家再次通報 integration"}


async def severe_bsrs5_goes_to_mental_health(desk: Desk) -> None:
    body = with_fresh_ids(
        {
            "county": COUNTY,
            "township": "頭份市",
            "categories": ["other"],
            "subjects": [{"role": "adult", "age": 30}],
            "indicators": {"bsrs5": {"items": [4, 3, 3, 3, 3], "suicide": 0}},  # total 16 >= 15
            "narrative": "BSRS-5 severe integration",
        }
    )
    report_id = await desk.post(body)
    report = await desk.wait(report_id, lambda b: b["status"] != "received" and b["risk_level"] is not None)
    # Under v1: rule_version "v1" and no BSRS5_SEVERE, so this line fails.
    assert (report["rule_version"], report["risk_level"], codes(report)) == ("v1.1.0", "orange", ["BSRS5_SEVERE"])
    assert report["recommended"] == [{"kind": "mental_health", "unit": "苗栗縣/mental_health"}]
    # Orange without a direct-dispatch rule: routing holds the destination for a dispatcher.
    assert report["destinations"] == report["recommended"] and report["status"] == "awaiting_review"


async def severe_child_abuse_calls_for_early_intervention(desk: Desk) -> None:
    report_id = await desk.post(with_fresh_ids(SEVERE_ABUSE.body))

    def notices(body: Body) -> list[Body]:
        return [e for e in body["timeline"] if "early-intervention notice" in (e.get("detail") or "")]

    # The cluster configures neither SAFETYNET_WEBHOOK_SECRET nor SAFETYNET_SMTP_URL: the three
    # notices (prosecutor by webhook and e-mail, police by e-mail) are planned and attempted,
    # then dead-lettered at once as "not configured", and each attempt is in the timeline.
    report = await desk.wait(report_id, lambda b: len(notices(b)) == 3)
    # Under v1: no EARLY_INTERVENTION, no notices: the wait above times out first.
    assert "EARLY_INTERVENTION" in codes(report) and report["risk_level"] == "red"
    for entry in notices(report):
        assert entry["event"] == "notification_dead_lettered", entry
        assert "not configured" in entry["detail"], entry
        assert entry["detail"].count(PROSECUTOR) + entry["detail"].count(POLICE) == 1, entry

    month = datetime.fromisoformat(report["received_at"]).astimezone(TAIPEI).strftime("%Y-%m")
    listed = await desk.client.get(
        "/v1/network-meeting", params={"county": COUNTY, "month": month}, headers=desk.dispatcher
    )
    assert listed.status_code == 200, listed.text
    [row] = [r for r in listed.json()["reports"] if r["report_id"] == report_id]
    assert {n["recipient"] for n in row["notices"]} == {PROSECUTOR, POLICE}
    assert row["seconds_to_notice"] is None  # no notice reached anyone


async def a_repeat_subject_joins_the_open_case(desk: Desk) -> None:
    first_body = with_fresh_ids(FAMILY.body, tag="open-case")
    first, open_id = await desk.assigned_family_case(first_body)

    second = await desk.post(same_subject_again(first_body))
    report = await desk.wait(second, lambda b: b["referrals"] and b["linked_to"])
    [linked] = [r for r in report["referrals"] if r["kind"] == "welfare_center"]
    # Under v1: B's referral has no `linked_to`, so the wait above times out first.
    assert (linked["unit"], linked["linked_to"]) == (CENTER, open_id)
    assert report["direct_dispatch"] is True and "DIRECT_OPEN_CASE" in codes(report)

    earlier = await desk.wait(first, lambda b: b["linked_from"])
    assert earlier["linked_from"] == [
        {"referral_id": open_id, "other_report_id": second, "other_referral_id": linked["referral_id"]}
    ]


async def a_repeat_subject_joins_the_long_term_care_household(desk: Desk) -> None:
    first_body = with_fresh_ids(FAMILY.body, tag="long-term")
    first, kept_id = await desk.assigned_family_case(first_body)
    await desk.command(f"/v1/referrals/{kept_id}/acknowledge", desk.center)
    await desk.wait(first, lambda b: b["status"] == "acknowledged")

    review_on = (today_at(datetime.now(UTC)) + timedelta(days=182)).isoformat()  # about six months ahead
    await desk.command(f"/v1/referrals/{kept_id}/long-term-care", desk.center, {"review_on": review_on})
    report = await desk.wait(first, lambda b: b["referrals"][0]["status"] == "long_term_care")
    assert report["referrals"][0]["review_on"] == review_on

    second = await desk.post(same_subject_again(first_body))
    report = await desk.wait(second, lambda b: b["referrals"] and b["linked_to"])
    [linked] = [r for r in report["referrals"] if r["kind"] == "welfare_center"]
    assert (linked["unit"], linked["linked_to"]) == (CENTER, kept_id)
    assert "DIRECT_LONG_TERM_CARE" in codes(report) and "DIRECT_OPEN_CASE" not in codes(report)


async def test_decision_model_v1_1_on_kafka_and_postgresql(cluster: Cluster) -> None:
    cluster.start_all()
    async with httpx.AsyncClient(base_url=cluster.base, timeout=30) as client:
        desk = Desk(cluster, client)
        await severe_bsrs5_goes_to_mental_health(desk)
        await severe_child_abuse_calls_for_early_intervention(desk)
        await a_repeat_subject_joins_the_open_case(desk)
        await a_repeat_subject_joins_the_long_term_care_household(desk)
