"""Early intervention (v1.1 rule 4) in intake: the decision marking a severe child-abuse case
and notify's NotificationSent for its notice, projected in either order, make the month's
network-meeting list (GET /v1/network-meeting, /console/network-meeting) and the KPI
"time from receipt to notice", checked here against a hand count."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import TAIPEI
from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.projections import EVENT_HANDLERS
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

MIAOLI, NANTOU = "苗栗縣", "南投縣"
PROSECUTOR, POLICE = f"{MIAOLI}/prosecutor", f"{MIAOLI}/police"


async def project(engine: Any, envelope: Envelope) -> None:
    await EVENT_HANDLERS[envelope.type](envelope, IntakeUnitOfWork(engine))


def screened(report_id: str, county: str, received_at: datetime, *codes: str) -> Envelope:
    payload = events.ReportScreened(
        report_id=report_id,
        county=county,
        received_at=received_at,
        rule_version="v1.1",
        risk_level="red",
        urgent=True,
        direct_dispatch=False,
        needs_review=False,
        sla_due_at=received_at + timedelta(hours=4),
        reasons=[events.ReasonCode(code=c, text=c) for c in codes],
        recommended=[events.DestinationRef(kind="protection", unit=f"{county}/protection")],
        subject_hashes=[],
        categories=["child_maltreatment"],
    )
    return Envelope(
        type="ReportScreened", report_id=report_id, producer="screening", payload=payload.model_dump(mode="json")
    )


def sent(report_id: str, at: datetime, recipient: str, channel: str, outcome: str, **kw: Any) -> Envelope:
    payload = events.NotificationSent(
        report_id=report_id,
        referral_id="",
        unit=recipient,
        channel=channel,
        urgent=True,
        at=at,
        outcome=outcome,  # type: ignore[arg-type]
        detail=f"attempt 1: {outcome}",
        attempt=1,
        dead_lettered=kw.get("dead_lettered", False),
        notice="early_intervention",
    )
    return Envelope(
        type="NotificationSent", report_id=report_id, producer="notify", payload=payload.model_dump(mode="json")
    )


async def received(engine: Any, report_id: str) -> datetime:
    async with engine.connect() as conn:
        at = (
            await conn.execute(select(orm.reports.c.received_at).where(orm.reports.c.report_id == report_id))
        ).scalar()
    assert at is not None
    return at


async def test_the_network_meeting_list_and_the_time_to_notice_by_hand_count(
    client: httpx.AsyncClient, engine: Any, keys: Any, post_report: Any, report: Any
) -> None:
    ids = []
    for _ in range(4):
        posted = await post_report(report(categories=["child_maltreatment"]))
        assert posted.status_code == 202, posted.text
        ids.append(posted.json()["report_id"])
    nantou = await post_report(
        report(county=NANTOU, township="南投市", source={**report()["source"], "agency_type": "school"}),
        key=keys.school,
    )
    r1, r2, r3, r4 = ids
    at = {r: await received(engine, r) for r in ids}
    s = timedelta(seconds=1)

    # r1: police's first attempt fails; told everyone at +120 s (police), the prosecutor earlier.
    await project(engine, screened(r1, MIAOLI, at[r1], "RED_INJURY_SEVERE", "EARLY_INTERVENTION"))
    await project(engine, sent(r1, at[r1] + 10 * s, POLICE, "email", "failed"))
    await project(engine, sent(r1, at[r1] + 30 * s, PROSECUTOR, "email", "delivered"))
    await project(engine, sent(r1, at[r1] + 60 * s, PROSECUTOR, "webhook", "delivered"))
    late = sent(r1, at[r1] + 120 * s, POLICE, "email", "delivered")
    await project(engine, late)
    await project(engine, late)  # redelivered: counted once
    # r2: the notices are projected before the decision; everyone told at +600 s.
    await project(engine, sent(r2, at[r2] + 600 * s, POLICE, "email", "delivered"))
    await project(engine, sent(r2, at[r2] + 300 * s, PROSECUTOR, "webhook", "delivered"))
    await project(engine, screened(r2, MIAOLI, at[r2], "EARLY_INTERVENTION"))
    # r3: the police notice is dead-lettered, so the notice is not complete.
    await project(engine, screened(r3, MIAOLI, at[r3], "EARLY_INTERVENTION"))
    await project(engine, sent(r3, at[r3] + 20 * s, PROSECUTOR, "webhook", "delivered"))
    await project(engine, sent(r3, at[r3] + 40 * s, POLICE, "email", "failed", dead_lettered=True))
    # r4: not a severe case; the Nantou one is another county's.
    await project(engine, screened(r4, MIAOLI, at[r4], "RED_INJURY_SEVERE"))
    assert nantou.status_code == 202, nantou.text
    n5 = nantou.json()["report_id"]
    await project(engine, screened(n5, NANTOU, await received(engine, n5), "EARLY_INTERVENTION"))

    month = at[r1].astimezone(TAIPEI).strftime("%Y-%m")
    answer = await client.get(
        "/v1/network-meeting", params={"county": MIAOLI, "month": month}, headers=keys.dispatcher_miaoli.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    by_id = {r["report_id"]: r for r in body["reports"]}
    assert set(by_id) == {r1, r2, r3}
    assert by_id[r1]["seconds_to_notice"] == 120 and by_id[r2]["seconds_to_notice"] == 600
    assert by_id[r3]["seconds_to_notice"] is None and by_id[r3]["notified_at"] is None
    assert [n["recipient"] for n in by_id[r1]["notices"]] == [POLICE, PROSECUTOR]
    assert by_id[r1]["notices"][1]["delivered_at"] == (at[r1] + 30 * s).astimezone(TAIPEI).isoformat()
    assert by_id[r3]["notices"][0] == {"recipient": POLICE, "delivered_at": None}
    assert by_id[r1]["categories"] == ["child_maltreatment"] and by_id[r1]["township"] == "頭份市"
    # Hand count: notified in 120 s and 600 s; median (120 + 600) / 2; p90 the 2nd of 2 (nearest rank).
    assert body["notice_times"] == {
        "reports": 3,
        "notified": 2,
        "not_notified": 1,
        "median_seconds": 360,
        "p90_seconds": 600,
    }
    # No personal data: the report's names, IDs and narrative are nowhere in the answer.
    for personal in ["王小明", "陳美玲", "A223456781", "A123456789", "鄰居報案"]:
        assert personal not in answer.text

    page = await client.get("/console/network-meeting", params={"month": month}, headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200
    assert r1[:8] in page.text and r4[:8] not in page.text and "6 min" in page.text  # the median


async def test_the_list_is_for_the_keys_county_dispatch_staff_and_names_a_bad_month(
    client: httpx.AsyncClient, keys: Any
) -> None:
    month = datetime.now(UTC).astimezone(TAIPEI).strftime("%Y-%m")
    other = await client.get(
        "/v1/network-meeting", params={"county": MIAOLI, "month": month}, headers=keys.dispatcher_nantou.headers
    )
    assert other.status_code == 403
    agency = await client.get(
        "/v1/network-meeting", params={"county": MIAOLI, "month": month}, headers=keys.police.headers
    )
    assert agency.status_code == 403
    for bad in ["2026-13", "26-01", "2026-1", "next month"]:
        answer = await client.get(
            "/v1/network-meeting", params={"county": MIAOLI, "month": bad}, headers=keys.dispatcher_miaoli.headers
        )
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "month"], bad
    empty = await client.get(
        "/v1/network-meeting", params={"county": MIAOLI, "month": month}, headers=keys.dispatcher_miaoli.headers
    )
    assert empty.json()["reports"] == [] and empty.json()["notice_times"]["median_seconds"] is None
