"""KPIs computed over a generated month of reports are checked against a hand count.

A seeded RNG writes November 2026 (about 100 reports in 苗栗縣, some in 南投縣), the year
before it (closed protection referrals) and the months after it (later protection
reports) straight into intake's migrated tables, with boundary cases placed by hand. The
test counts each indicator again with plain loops over the generated list, and checks
the API's answer, its access rules, its 422s and the high-danger CSV.
"""

import csv
import io
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from safetynet.contracts.events import ReferralSnapshot
from safetynet.contracts.report import PROTECTION_CATEGORIES, TAIPEI, Category
from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.api import kpis as kpis_api

MIAOLI, NANTOU = "苗栗縣", "南投縣"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=TAIPEI)
DAY, HOUR, SEC = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)
CATEGORIES = list(Category.__args__)
FIRSTS = [
    "intimate_partner_violence",
    "child_maltreatment",
    "vulnerable_family",
    "vulnerable_family",
    "other_family_violence",
    "sexual_assault",
    "elder_abuse",
    "social_assistance",
    "suicide_risk",
    "other",
]
AGENCIES = ["police", "school", "hospital", "health", "social_welfare", "ngo", "public"]
POOL = [f"subject-{i:02d}" for i in range(30)]
HEADER = [
    "report_id",
    "received_at",
    "township",
    "categories",
    "tipvda_score",
    "risk_level",
    "status",
    "referral_units",
    "subjects",
]


@dataclass
class Gen:
    county: str
    received_at: datetime
    categories: list[str]
    hashes: list[str | None]  # one per subject; None: no national ID
    report_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    township: str = "頭份市"
    agency_type: str = "police"
    risk_level: str | None = None
    tipvda: int | None = None
    due_at: datetime | None = None
    dispatched_at: datetime | None = None
    referrals: list[dict[str, Any]] = field(default_factory=list)  # kind, status, updated_at (datetime)


def random_report(rng: random.Random, county: str, start: datetime, end: datetime) -> Gen:
    at = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))
    categories = list(dict.fromkeys([rng.choice(FIRSTS)] + ([rng.choice(CATEGORIES)] if rng.random() < 0.3 else [])))
    r = Gen(
        county,
        at,
        categories,
        [rng.choice(POOL) if rng.random() < 0.85 else None for _ in range(rng.randint(1, 3))],
        agency_type=rng.choice(AGENCIES),
        risk_level=rng.choice(["red", "orange", "yellow", "green", None]),
        tipvda=rng.randint(0, 15) if rng.random() < 0.6 else None,
    )
    r.due_at = at + (4 * HOUR if r.risk_level == "red" else 24 * HOUR)
    if rng.random() > 0.1:
        offset = (
            rng.choice([24 * HOUR, 24 * HOUR + SEC, 4 * HOUR])
            if rng.random() < 0.15
            else timedelta(seconds=rng.uniform(600, 36 * 3600))
        )
        r.dispatched_at = at + offset if at + offset <= NOW else None
    kinds = ["protection"] * (not set(categories).isdisjoint(PROTECTION_CATEGORIES)) + ["welfare_center"] * (
        "vulnerable_family" in categories
    )
    for kind in kinds:
        if r.dispatched_at is None:
            r.referrals.append({"kind": kind, "status": "assigned", "updated_at": at})
            continue
        closing = r.dispatched_at + timedelta(seconds=rng.uniform(3600, 200 * 86400))
        if rng.random() < 0.1:
            r.referrals.append({"kind": kind, "status": "reassigned", "updated_at": r.dispatched_at})
        elif rng.random() < 0.6 and closing <= NOW:
            r.referrals.append({"kind": kind, "status": "closed", "updated_at": closing})
        else:
            r.referrals.append({"kind": kind, "status": "acknowledged", "updated_at": r.dispatched_at})
    return r


def generate() -> list[Gen]:
    rng = random.Random(20261130)
    nov, dec = datetime(2026, 11, 1, tzinfo=TAIPEI), datetime(2026, 12, 1, tzinfo=TAIPEI)
    out = [random_report(rng, MIAOLI, nov, dec) for _ in range(100)]
    out += [random_report(rng, NANTOU, nov, dec) for _ in range(20)]
    out += [
        random_report(rng, rng.choice([MIAOLI, NANTOU]), datetime(2025, 10, 1, tzinfo=TAIPEI), nov) for _ in range(60)
    ]
    out += [
        random_report(rng, rng.choice([MIAOLI, NANTOU]), dec, datetime(2027, 3, 15, tzinfo=TAIPEI)) for _ in range(40)
    ]
    ipv, vf = ["intimate_partner_violence"], ["vulnerable_family"]
    first, last = datetime(2026, 11, 1, tzinfo=TAIPEI), datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=TAIPEI)

    def closed_before(subject: str, when: datetime) -> Gen:
        old = Gen(MIAOLI, when - 30 * DAY, ipv, [subject], tipvda=3)
        old.referrals.append({"kind": "protection", "status": "closed", "updated_at": when})
        return old

    out += [
        # Taipei date edges of the period, each dispatched exactly 24 h after receipt.
        Gen(
            MIAOLI,
            first,
            ipv,
            ["edge-365"],
            risk_level="red",
            tipvda=8,
            due_at=first + 4 * HOUR,
            dispatched_at=first + 24 * HOUR,
        ),
        Gen(MIAOLI, first - timedelta(microseconds=1), ipv, ["edge-365"], tipvda=12),
        Gen(MIAOLI, last, vf, ["edge-90"], tipvda=9),
        Gen(MIAOLI, last + timedelta(microseconds=1), ipv, ["edge-out"], tipvda=10),
        Gen(MIAOLI, NOW - 24 * HOUR, ["other"], [None]),  # undispatched, due exactly at NOW: counted
        Gen(MIAOLI, first + 2 * DAY, ipv, ["edge-365b"]),
        Gen(MIAOLI, first + 3 * DAY, vf, ["edge-90b"]),
        # Closed exactly 365×24 h before (no re-report), and one second less (a re-report).
        closed_before("edge-365", first - 365 * DAY),
        closed_before("edge-365b", first + 2 * DAY - 365 * DAY + SEC),
        # Protection reports exactly 90×24 h after (not counted) and one second less (counted).
        Gen(NANTOU, last + 90 * DAY, ipv, ["edge-90"]),
        Gen(NANTOU, first + 3 * DAY + 90 * DAY - SEC, ["child_maltreatment"], ["edge-90b"]),
    ]
    for r in out:
        r.due_at = r.due_at or r.received_at + 24 * HOUR
    return out


DATA = generate()


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def insert(engine: Any, reports: list[Gen]) -> None:
    async with engine.begin() as conn:
        for r in reports:
            assert r.due_at is not None
            subjects = [
                {"role": "victim", "name": f"名{i}", **({"national_id": f"ID-{h}"} if h else {})}
                for i, h in enumerate(r.hashes)
            ]
            submission = {
                "county": r.county,
                "township": r.township,
                "categories": r.categories,
                "subjects": subjects,
                "narrative": "…",
                "indicators": {"tipvda_score": r.tipvda} if r.tipvda is not None else {},
            }
            await conn.execute(
                orm.reports.insert().values(
                    report_id=r.report_id,
                    county=r.county,
                    township=r.township,
                    agency_type=r.agency_type,
                    agency_name="generated",
                    key_id="generated",
                    received_at=r.received_at,
                    sla_due_at=r.due_at,
                    categories=r.categories,
                    submission=submission,
                )
            )
            for h in sorted({h for h in r.hashes if h}):
                await conn.execute(
                    orm.subject_index.insert().values(subject_hash=h, report_id=r.report_id, received_at=r.received_at)
                )
            done = r.dispatched_at
            state = ("met" if done <= r.due_at else "breached") if done else ("breached" if r.due_at <= NOW else "open")
            referrals = [
                ReferralSnapshot(
                    referral_id=str(uuid.uuid4()),
                    kind=f["kind"],
                    unit=f"{r.county}/{f['kind']}",
                    status=f["status"],
                    urgent=False,
                    assigned_at=r.received_at,
                    updated_at=f["updated_at"],
                ).model_dump(mode="json")
                for f in r.referrals
            ]
            await conn.execute(
                orm.report_views.insert().values(
                    report_id=r.report_id,
                    status="assigned",
                    risk_level=r.risk_level,
                    reasons=[],
                    recommended=[],
                    destinations=[],
                    referrals=referrals,
                    routing_seq=1,
                    sla={"due_at": iso(r.due_at), "state": state, "closed_at": iso(done)},
                    updated_at=NOW,
                )
            )


# -- the hand count: plain loops, nothing shared with the production code ----------------------


def hand_count(county: str, first: date, last: date, now: datetime) -> dict[str, Any]:
    start = datetime(first.year, first.month, first.day, tzinfo=TAIPEI)
    end = datetime(last.year, last.month, last.day, tzinfo=TAIPEI) + DAY
    mine = [r for r in DATA if r.county == county and start <= r.received_at < end]
    dispatch = [0, 0, 0]
    for r in mine:
        if r.dispatched_at is None and r.due_at > now:
            dispatch[2] += 1
            continue
        dispatch[1] += 1
        if r.dispatched_at is not None and (r.dispatched_at - r.received_at).total_seconds() <= 24 * 3600:
            dispatch[0] += 1
    rereport = [0, 0]
    for p in mine:
        if not any(c in PROTECTION_CATEGORIES for c in p.categories):
            continue
        rereport[1] += 1
        found = False
        for other in DATA:
            shared = [h for h in p.hashes if h is not None and h in other.hashes]
            for f in other.referrals:
                seconds = (p.received_at - f["updated_at"]).total_seconds()
                if (
                    other is not p
                    and shared
                    and f["kind"] == "protection"
                    and f["status"] == "closed"
                    and 0 < seconds < 365 * 24 * 3600
                ):
                    found = True
        rereport[0] += found
    vulnerable = [0, 0, 0]
    for v in mine:
        if "vulnerable_family" not in v.categories:
            continue
        vulnerable[1] += 1
        vulnerable[2] += v.received_at + 90 * DAY > now
        found = False
        for other in DATA:
            shared = [h for h in v.hashes if h is not None and h in other.hashes]
            seconds = (other.received_at - v.received_at).total_seconds()
            if (
                other is not v
                and shared
                and any(c in PROTECTION_CATEGORIES for c in other.categories)
                and 0 < seconds < 90 * 24 * 3600
            ):
                found = True
        vulnerable[0] += found
    return {
        "reports": len(mine),
        "dispatch": dispatch,
        "rereport": rereport,
        "vulnerable": vulnerable,
        "by_category": Counter(c for r in mine for c in r.categories),
        "by_source": Counter(r.agency_type for r in mine),
        "by_risk": Counter(r.risk_level or "unscreened" for r in mine),
    }


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def seeded(engine: Any, intake: Any) -> None:
    await insert(engine, DATA)
    intake.app.dependency_overrides[kpis_api.get_now] = lambda: NOW


@pytest.fixture
async def staff(mint_key: Any) -> dict[str, Any]:
    return {
        "supervisor": await mint_key(role="supervisor", name="苗栗督導", county=MIAOLI),
        "dispatcher": await mint_key(role="dispatcher", name="苗栗派案員", county=MIAOLI),
        "nantou": await mint_key(role="dispatcher", name="南投派案員", county=NANTOU),
        "agency": await mint_key(role="agency", name="苗栗縣政府警察局", county=MIAOLI, agency_type="police"),
        "unit": await mint_key(role="unit", name="苗栗家防中心", county=MIAOLI, unit="苗栗縣/protection"),
        "admin": await mint_key(role="admin", name="管理者", county=MIAOLI),
    }


# -- KPIs against the hand count ---------------------------------------------------------------


def test_the_generated_month_exercises_every_rule() -> None:
    expected = hand_count(MIAOLI, date(2026, 11, 1), date(2026, 11, 30), NOW)
    assert 100 <= expected["reports"] <= 110
    for name in ("dispatch", "rereport", "vulnerable"):
        numerator, denominator = expected[name][:2]
        assert 0 < numerator < denominator, (name, expected[name])
    assert expected["dispatch"][2] > 0  # some deadlines are still ahead at NOW


@pytest.mark.parametrize(
    "county, first, last, now",
    [
        (MIAOLI, date(2026, 11, 1), date(2026, 11, 30), NOW),
        (NANTOU, date(2026, 11, 1), date(2026, 11, 30), NOW),
        (MIAOLI, date(2026, 11, 1), date(2026, 11, 1), NOW),
        (MIAOLI, date(2026, 11, 30), date(2026, 11, 30), NOW),
        (MIAOLI, date(2026, 11, 10), date(2026, 11, 20), datetime(2026, 11, 18, 12, tzinfo=TAIPEI)),
        (MIAOLI, date(2025, 12, 1), date(2026, 11, 30), NOW),
        (NANTOU, date(2026, 1, 1), date(2026, 12, 31), datetime(2027, 4, 1, tzinfo=TAIPEI)),
    ],
)
async def test_kpis_match_the_hand_count(
    seeded: None,
    staff: dict[str, Any],
    intake: Any,
    client: httpx.AsyncClient,
    county: str,
    first: date,
    last: date,
    now: datetime,
) -> None:
    intake.app.dependency_overrides[kpis_api.get_now] = lambda: now
    key = staff["supervisor" if county == MIAOLI else "nantou"]
    response = await client.get(
        "/v1/kpis", params={"county": county, "from": first.isoformat(), "to": last.isoformat()}, headers=key.headers
    )
    assert response.status_code == 200, response.text
    got, expected = response.json(), hand_count(county, first, last, now)
    assert (got["county"], got["from"], got["to"]) == (county, first.isoformat(), last.isoformat())
    assert got["reports"] == expected["reports"]
    d, r, v = got["dispatch_within_24h"], got["protection_rereport"], got["vulnerable_family_to_protection_90d"]
    assert [d["numerator"], d["denominator"], d["pending"]] == expected["dispatch"]
    assert [r["numerator"], r["denominator"]] == expected["rereport"]
    assert [v["numerator"], v["denominator"], v["window_open"]] == expected["vulnerable"]
    for rate in (d, r, v):
        assert rate["rate"] == (rate["numerator"] / rate["denominator"] if rate["denominator"] else None)
    assert nonzero(got["counts"]["by_category"]) == expected["by_category"]
    assert nonzero(got["counts"]["by_source"]) == expected["by_source"]
    assert nonzero(got["counts"]["by_risk_level"]) == expected["by_risk"]


async def test_a_period_without_reports_has_null_rates(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/v1/kpis",
        params={"county": MIAOLI, "from": "2030-01-01", "to": "2030-01-31"},
        headers=staff["dispatcher"].headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["reports"] == 0 and body["dispatch_within_24h"] == {
        "numerator": 0,
        "denominator": 0,
        "rate": None,
        "pending": 0,
    }


# -- access and parameters ---------------------------------------------------------------------

PERIOD = {"county": MIAOLI, "from": "2026-11-01", "to": "2026-11-30"}
HIGH_DANGER = {"county": MIAOLI, "month": "2026-11"}


@pytest.mark.parametrize(
    "path, params",
    [("/v1/kpis", PERIOD), ("/v1/high-danger", HIGH_DANGER), ("/v1/high-danger", {**HIGH_DANGER, "format": "csv"})],
)
async def test_only_dispatch_staff_of_the_county(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    assert (await client.get(path, params=params)).status_code == 401
    for role in ("agency", "unit", "admin", "nantou"):  # other roles, and another county's dispatcher
        response = await client.get(path, params=params, headers=staff[role].headers)
        assert response.status_code == 403, (role, response.text)
        assert "陳" not in response.text and "名" not in response.text
    for role in ("supervisor", "dispatcher"):
        assert (await client.get(path, params=params, headers=staff[role].headers)).status_code == 200


@pytest.mark.parametrize(
    "params, loc",
    [
        ({"from": "2026-13-01"}, ["from"]),
        ({"from": "20261101"}, ["from"]),
        ({"from": "2026-11-1"}, ["from"]),
        ({"from": ""}, ["from"]),
        ({"to": "2026-02-30"}, ["to"]),
        ({"to": "2026-11-30T00:00"}, ["to"]),
        ({"from": "x", "to": "y"}, ["from", "to"]),
        ({"from": "2026-12-01"}, ["to"]),  # from after to
        ({"from": "2025-11-29"}, ["to"]),  # 367 days
        ({"from": "0001-01-01"}, ["from"]),
        ({"to": "9999-12-31", "from": "9999-12-01"}, ["from", "to"]),
        ({"county": None}, ["county"]),
        ({"from": None}, ["from"]),
        ({"to": None}, ["to"]),
    ],
)
async def test_bad_kpi_parameters_are_422_naming_them(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient, params: dict[str, Any], loc: list[str]
) -> None:
    query = {k: v for k, v in {**PERIOD, **params}.items() if v is not None}
    response = await client.get("/v1/kpis", params=query, headers=staff["supervisor"].headers)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", name] for name in loc]


async def test_a_366_day_period_is_accepted(seeded: None, staff: dict[str, Any], client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/kpis", params={**PERIOD, "from": "2025-11-30"}, headers=staff["supervisor"].headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "params, loc",
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-1"}, "month"),
        ({"month": "2026-11-01"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"month": ""}, "month"),
        ({"month": None}, "month"),
        ({"format": "xlsx"}, "format"),
        ({"county": None}, "county"),
    ],
)
async def test_bad_high_danger_parameters_are_422(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient, params: dict[str, Any], loc: str
) -> None:
    query = {k: v for k, v in {**HIGH_DANGER, **params}.items() if v is not None}
    response = await client.get("/v1/high-danger", params=query, headers=staff["dispatcher"].headers)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["query", loc]]


# -- the high-danger list ----------------------------------------------------------------------


def hand_high_danger(county: str) -> list[Gen]:
    start, end = datetime(2026, 11, 1, tzinfo=TAIPEI), datetime(2026, 12, 1, tzinfo=TAIPEI)
    found = [
        r
        for r in DATA
        if r.county == county and start <= r.received_at < end and r.tipvda is not None and r.tipvda >= 8
    ]
    return sorted(found, key=lambda r: (r.received_at, r.report_id))


async def test_high_danger_json_lists_tipvda_8_and_more(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient
) -> None:
    response = await client.get("/v1/high-danger", params=HIGH_DANGER, headers=staff["dispatcher"].headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    rows, expected = response.json()["reports"], hand_high_danger(MIAOLI)
    assert 10 < len(expected) < 60
    assert [r["report_id"] for r in rows] == [r.report_id for r in expected]
    assert [r["tipvda_score"] for r in rows] == [r.tipvda for r in expected]
    assert [datetime.fromisoformat(r["received_at"]) for r in rows] == [r.received_at for r in expected]
    assert all(r["received_at"].endswith("+08:00") for r in rows)
    assert rows[0]["received_at"] == "2026-11-01T00:00:00+08:00"  # the first instant of the month
    assert "ID-" not in response.text  # names, never national IDs


async def test_high_danger_csv_for_excel(seeded: None, staff: dict[str, Any], client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/high-danger", params={**HIGH_DANGER, "format": "csv"}, headers=staff["supervisor"].headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == HEADER
    expected = hand_high_danger(MIAOLI)
    assert [line[0] for line in table[1:]] == [r.report_id for r in expected]
    first = table[1]
    assert first[1] == "2026-11-01T00:00:00+08:00" and first[2] == "頭份市" and first[4] == "8"
    assert first[3] == "intimate_partner_violence" and first[8] == "victim:名0"
    assert "ID-" not in text


async def test_another_month_and_county_have_their_own_lists(
    seeded: None, staff: dict[str, Any], client: httpx.AsyncClient
) -> None:
    response = await client.get(
        "/v1/high-danger", params={"county": NANTOU, "month": "2026-11"}, headers=staff["nantou"].headers
    )
    assert [r["report_id"] for r in response.json()["reports"]] == [r.report_id for r in hand_high_danger(NANTOU)]
    empty = await client.get(
        "/v1/high-danger",
        params={**HIGH_DANGER, "month": "2030-01", "format": "csv"},
        headers=staff["dispatcher"].headers,
    )
    assert empty.content.decode("utf-8-sig").splitlines() == [",".join(HEADER)]
