"""Outcome KPIs checked against a hand count over a generated month.

A seeded RNG writes November 2026's reports (苗栗縣, some 南投縣, some just outside the
month) into intake's tables, and gives each a referral story (assigned; acknowledged;
closed opened or not with a reason; rejected with a reason, then perhaps reassigned to
another unit whose referral has a story of its own). Each step of a story is delivered as
routing delivers it, a ReportStatusChanged snapshot, through intake's projection, some
reports' snapshots shuffled and some delivered twice. The test then counts each figure
again with plain loops over the generated stories, and compares GET /v1/kpis/outcomes.
"""

import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from safetynet.contracts import events
from safetynet.contracts.envelope import Envelope
from safetynet.contracts.report import TAIPEI
from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.api import kpis as kpis_api
from safetynet.intake.service_layer.projections import EVENT_HANDLERS
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

MIAOLI, NANTOU = "苗栗縣", "南投縣"
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=TAIPEI)
NOV, DEC = datetime(2026, 11, 1, tzinfo=TAIPEI), datetime(2026, 12, 1, tzinfo=TAIPEI)
H, US = timedelta(hours=1), timedelta(microseconds=1)
SMI = "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"
DUMP = os.environ.get("SAFETYNET_DUMP_OUTCOMES_PAGE")  # a path: keep the rendered page, to look at it
# kind -> the reason-code sets a decision may give it ([] : a dispatcher chose it)
CODES = {
    "protection": [["DEST_PROTECTION_CATEGORY"]],
    "welfare_center": [["DEST_WELFARE_VULNERABLE_FAMILY"], ["DEST_WELFARE_ECONOMIC_HARDSHIP"], []],
    "mental_health": [[SMI], [SMI, "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE"], ["DEST_MENTAL_HEALTH_SUICIDE_RISK"]],
    "youth_counseling": [["DEST_YOUTH_COUNSELING"]],
}
AGENCIES = ["police", "school", "hospital", "health", "social_welfare"]
CLOSE = ["assessed_no_need", "already_in_service", "referred_elsewhere", "unreachable", "declined", "duplicate"]
REJECT = ["not_our_remit", "wrong_district", "insufficient_information", "duplicate"]


@dataclass
class Story:
    """One referral's truth: the hand count reads these fields only."""

    referral_id: str
    kind: str
    unit: str
    assigned_at: datetime
    acknowledged_at: datetime | None = None
    outcome: str | None = None
    close_reason: str | None = None
    rejection: str | None = None
    reassigned: bool = False
    steps: list[tuple[datetime, str]] = field(default_factory=list)  # (at, status)


@dataclass
class Gen:
    county: str
    received_at: datetime
    agency_type: str
    codes: list[str]  # the decision's reason codes
    stories: list[Story] = field(default_factory=list)
    report_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def story(rng: random.Random, kind: str, unit: str, at: datetime, out: list[Story]) -> None:
    s = Story(str(uuid.uuid4()), kind, unit, at, steps=[(at, "assigned")])
    out.append(s)
    roll = rng.random()
    if roll < 0.15:
        return  # still waiting for its unit
    if roll < 0.35:
        s.rejection = rng.choice(REJECT)
        s.steps.append((at + timedelta(hours=rng.uniform(0.5, 30)), "rejected"))
        if rng.random() < 0.6:  # a dispatcher sends it to another unit of the kind
            moved = s.steps[-1][0] + timedelta(hours=rng.uniform(0.1, 5))
            s.reassigned = True
            s.steps.append((moved, "reassigned"))
            story(rng, kind, unit + "-2" if not unit.endswith("-2") else unit[:-2], moved, out)
        return
    s.acknowledged_at = at + timedelta(seconds=rng.choice([0, 60, rng.uniform(60, 40 * 3600)]))
    s.steps.append((s.acknowledged_at, "acknowledged"))
    if rng.random() < 0.75:
        s.outcome = rng.choice(["opened", "not_opened"])
        s.close_reason = rng.choice(CLOSE) if s.outcome == "not_opened" or rng.random() < 0.2 else None
        s.steps.append((s.acknowledged_at + timedelta(days=rng.uniform(0.5, 25)), "closed"))


def random_report(rng: random.Random, county: str, received_at: datetime) -> Gen:
    kinds = rng.sample(list(CODES), k=rng.choice([1, 1, 2]))
    picked = {kind: rng.choice(CODES[kind]) for kind in kinds}
    codes = ["RED_WEAPON"] * (rng.random() < 0.3) + [c for kind in kinds for c in picked[kind]]
    r = Gen(county, received_at, rng.choice(AGENCIES), codes)
    assigned = received_at + timedelta(minutes=rng.uniform(1, 600))
    for kind in kinds:
        story(rng, kind, f"{county}/{kind}", assigned, r.stories)
    return r


def generate() -> list[Gen]:
    rng = random.Random(20261207)
    span = (DEC - NOV).total_seconds()
    out = [random_report(rng, MIAOLI, NOV + timedelta(seconds=rng.uniform(0, span))) for _ in range(70)]
    out += [random_report(rng, NANTOU, NOV + timedelta(seconds=rng.uniform(0, span))) for _ in range(10)]
    # The Taipei edges of November: the first and last instants are in, the neighbours out.
    out += [random_report(rng, MIAOLI, at) for at in (NOV, NOV - US, DEC - US, DEC)]
    out += [random_report(rng, MIAOLI, NOV - timedelta(days=rng.uniform(1, 20))) for _ in range(5)]
    return out


DATA = generate()


# -- delivery: routing's snapshots, through the projection ------------------------------------------


def snapshots(r: Gen) -> list[events.ReportStatusChanged]:
    """One snapshot per step of the report's stories, in time order, as routing sends them."""
    steps = sorted((at, s.referral_id, status) for s in r.stories for at, status in s.steps)
    by_id = {s.referral_id: s for s in r.stories}
    state: dict[str, events.ReferralSnapshot] = {}
    out = []
    for seq, (at, referral_id, status) in enumerate(steps, start=1):
        s = by_id[referral_id]
        closed, rejected = status == "closed", status in ("rejected", "reassigned")
        state[referral_id] = events.ReferralSnapshot(
            referral_id=referral_id,
            kind=s.kind,
            unit=s.unit,
            status=status,
            urgent=False,
            assigned_at=s.assigned_at,
            updated_at=at,
            outcome=s.outcome if closed else None,
            outcome_reason=s.close_reason if closed else s.rejection if rejected else None,
        )
        out.append(
            events.ReportStatusChanged(
                report_id=r.report_id,
                county=r.county,
                seq=seq,
                status="assigned",
                recommended=[],
                destinations=[],
                referrals=list(state.values()),
                at=at,
                actor="routing",
                reasons=[events.ReasonCode(code=c, text=c) for c in r.codes],
            )
        )
    return out


async def insert_reports(engine: Any) -> None:
    async with engine.begin() as conn:
        for r in DATA:
            await conn.execute(
                orm.reports.insert().values(
                    report_id=r.report_id,
                    county=r.county,
                    township="頭份市",
                    agency_type=r.agency_type,
                    agency_name="generated",
                    key_id="generated",
                    received_at=r.received_at,
                    sla_due_at=r.received_at + 24 * H,
                    categories=["other"],
                    submission={"county": r.county, "township": "頭份市", "categories": ["other"]},
                )
            )
            await conn.execute(
                orm.report_views.insert().values(
                    report_id=r.report_id,
                    status="received",
                    reasons=[],
                    recommended=[],
                    destinations=[],
                    referrals=[],
                    routing_seq=0,
                    sla={"due_at": (r.received_at + 24 * H).isoformat(), "state": "open", "closed_at": None},
                    updated_at=r.received_at,
                )
            )


async def deliver(engine: Any) -> None:
    rng = random.Random(7)
    handle = EVENT_HANDLERS["ReportStatusChanged"]
    for i, r in enumerate(DATA):
        envelopes = [
            Envelope(
                type="ReportStatusChanged", report_id=r.report_id, producer="routing", payload=s.model_dump(mode="json")
            )
            for s in snapshots(r)
        ]
        if i % 3 == 0:
            rng.shuffle(envelopes)  # a redelivery after a rebalance can reorder a report's snapshots
        if i % 4 == 0:
            envelopes += envelopes[:2]  # and deliver some twice
        for envelope in envelopes:
            await handle(envelope, IntakeUnitOfWork(engine))


# -- the hand count: plain loops over the stories ---------------------------------------------------


def hand_count(county: str, first: date, last: date) -> dict[str, Any]:
    start = datetime(first.year, first.month, first.day, tzinfo=TAIPEI)
    end = datetime(last.year, last.month, last.day, tzinfo=TAIPEI) + timedelta(days=1)
    rows = []  # (report, story)
    for r in DATA:
        if r.county == county and start <= r.received_at < end:
            for s in r.stories:
                rows.append((r, s))

    def tally(pairs: list[tuple[Gen, Story]]) -> dict[str, Any]:
        opened = closed = rejected = waiting = 0
        reasons: Counter[str] = Counter()
        not_opened: Counter[str] = Counter()
        waits = []
        for _, s in pairs:
            if s.outcome is not None:
                closed += 1
                if s.outcome == "opened":
                    opened += 1
                else:
                    not_opened[s.close_reason or "unrecorded"] += 1
            if s.rejection is not None:
                rejected += 1
                reasons[s.rejection] += 1
            if (
                s.outcome is None
                and s.rejection is None
                and not s.reassigned
                and not any(status == "closed" for _, status in s.steps)
            ):
                waiting += 1
            if s.acknowledged_at is not None:
                waits.append((s.acknowledged_at - s.assigned_at).total_seconds())
        waits.sort()
        if not waits:
            middle = None
        elif len(waits) % 2:
            middle = waits[len(waits) // 2]
        else:
            middle = (waits[len(waits) // 2 - 1] + waits[len(waits) // 2]) / 2
        return {
            "referred": len(pairs),
            "opening": [opened, closed],
            "rejection": [rejected, len(pairs)],
            "rejection_reasons": dict(reasons),
            "not_opened_reasons": dict(not_opened),
            "median": middle,
            "in_progress": waiting,
        }

    def grouped(key: Any) -> dict[str, Any]:
        groups: dict[str, list[tuple[Gen, Story]]] = {}
        for r, s in rows:
            for k in key(r, s):
                groups.setdefault(k, []).append((r, s))
        return {k: tally(v) for k, v in groups.items()}

    def codes_of(r: Gen, s: Story) -> list[str]:
        mine = [c for c in CODES_OF_KIND[s.kind] if c in r.codes]
        return mine or ["NO_RULE"]

    smi = [(r, s) for r, s in rows if s.kind == "mental_health" and SMI in r.codes]
    return {
        "referrals": len(rows),
        "overall": tally(rows),
        "by_kind": grouped(lambda r, s: [s.kind]),
        "by_unit": grouped(lambda r, s: [s.unit]),
        "by_source": grouped(lambda r, s: [r.agency_type]),
        "by_reason_code": grouped(codes_of),
        "smi": tally(smi)["opening"],
    }


# Written out here, not taken from the policy: the hand count's own idea of which code is whose.
CODES_OF_KIND = {kind: sorted({c for codes in options for c in codes}) for kind, options in CODES.items()}


def simplified(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "referred": figures["referred"],
        "opening": [figures["opening"]["numerator"], figures["opening"]["denominator"]],
        "rejection": [figures["rejection"]["numerator"], figures["rejection"]["denominator"]],
        "rejection_reasons": figures["rejection_reasons"],
        "not_opened_reasons": figures["not_opened_reasons"],
        "median": figures["median_seconds_to_acknowledge"],
        "in_progress": figures["in_progress"],
    }


@pytest.fixture
async def seeded(engine: Any, intake: Any) -> None:
    await insert_reports(engine)
    await deliver(engine)
    intake.app.dependency_overrides[kpis_api.get_now] = lambda: NOW


def test_the_generated_month_exercises_every_rule() -> None:
    expected = hand_count(MIAOLI, date(2026, 11, 1), date(2026, 11, 30))
    assert 80 <= expected["referrals"] <= 200
    overall = expected["overall"]
    for name in ("opening", "rejection"):
        assert 0 < overall[name][0] < overall[name][1], (name, overall)
    assert 0 < expected["smi"][0] < expected["smi"][1]
    assert "NO_RULE" in expected["by_reason_code"] and len(expected["by_unit"]) > 4
    assert any(s.reassigned for r in DATA for s in r.stories)


@pytest.mark.parametrize(
    ("county", "first", "last"),
    [
        (MIAOLI, date(2026, 11, 1), date(2026, 11, 30)),
        (MIAOLI, date(2026, 11, 30), date(2026, 12, 1)),  # the last instant of November, and the first of December
        (NANTOU, date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
async def test_outcome_kpis_match_the_hand_count(
    seeded: None, mint_key: Any, client: httpx.AsyncClient, county: str, first: date, last: date
) -> None:
    key = await mint_key(role="supervisor", name="督導", county=county)
    response = await client.get(
        "/v1/kpis/outcomes",
        params={"county": county, "from": first.isoformat(), "to": last.isoformat()},
        headers=key.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = hand_count(county, first, last)
    assert (body["county"], body["from"], body["to"], body["as_of"]) == (
        county,
        first.isoformat(),
        last.isoformat(),
        NOW.isoformat(),
    )
    assert body["referrals"] == expected["referrals"]
    assert simplified(body["overall"]) == expected["overall"]
    for group in ("by_kind", "by_unit", "by_source", "by_reason_code"):
        assert {k: simplified(v) for k, v in body[group].items()} == expected[group], group
    smi = body["suspected_mental_illness_acceptance"]
    assert [smi["numerator"], smi["denominator"]] == expected["smi"]


async def test_the_console_page_charts_the_same_figures(seeded: None, mint_key: Any, client: httpx.AsyncClient) -> None:
    supervisor = await mint_key(role="supervisor", name="督導", county=MIAOLI)
    page = await client.get(
        "/console/kpis/outcomes", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=supervisor.headers
    )
    assert page.status_code == 200, page.text
    html = page.text
    if DUMP:
        Path(DUMP).write_text(html, "utf-8")
    expected = hand_count(MIAOLI, date(2026, 11, 1), date(2026, 11, 30))
    opened, closed = expected["overall"]["opening"]
    assert f"{100 * opened / closed:.1f}% ({opened}/{closed})" in html
    assert html.count("<svg") == 8  # two charts (opening, rejection) for each of the four groupings
    assert "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS" in html and "家防中心 Protection" in html
    assert "非本單位業務 / Not our remit" in html  # a rejection reason, by its vocabulary label
    smi_opened, smi_closed = expected["smi"]
    assert f"{100 * smi_opened / smi_closed:.1f}% ({smi_opened}/{smi_closed})" in html
    programme = await client.get("/console/kpis", headers=supervisor.headers)
    assert 'href="/console/kpis/outcomes?' in programme.text


async def test_the_console_page_is_for_dispatch_staff_of_their_own_county(
    seeded: None, mint_key: Any, client: httpx.AsyncClient
) -> None:
    unit = await mint_key(role="unit", name="苗栗家防中心", county=MIAOLI, unit="苗栗縣/protection")
    assert (await client.get("/console/kpis/outcomes", headers=unit.headers)).status_code == 403
    nantou = await mint_key(role="dispatcher", name="南投派案員", county=NANTOU)
    page = await client.get(
        "/console/kpis/outcomes", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=nantou.headers
    )
    assert page.status_code == 200 and "南投縣" in page.text
    assert "苗栗縣/protection" not in page.text
    expected = hand_count(NANTOU, date(2026, 11, 1), date(2026, 11, 30))
    assert f"{expected['referrals']} 筆派案" in page.text
    bad = await client.get(
        "/console/kpis/outcomes", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=nantou.headers
    )
    assert bad.status_code == 200 and "must not be before from" in bad.text
