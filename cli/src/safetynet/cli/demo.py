"""`safetynet dev --demo`: demo keys (printed) and, on an empty database, a realistic day
of reports in every configured county, so a new user's console shows something at once.

The reports go through intake's own HTTP app (in process, with real agency keys), so
screening, routing and notify process them as any other: every view is real. Names are
made up and there are no national IDs (a random valid ID may be someone's).
"""

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake import admin as intake
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.counties import CountyDirectory

REPORTS_PER_COUNTY = 9
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴徐"
GIVEN = ["淑芬", "志明", "美玲", "建宏", "雅婷", "俊傑", "秀英", "家豪", "怡君", "冠宇", "素貞", "宗翰", "佩珊", "文雄"]


@dataclass(frozen=True)
class Kind:
    """One kind of report as the center receives it, with who usually sends it."""

    agency_type: str
    agency: str  # the sending office, after the county's name
    categories: tuple[str, ...]
    roles: tuple[tuple[str, int, int, str], ...]  # role, youngest, oldest, sex ("" = either)
    narrative: str
    indicators: tuple[tuple[str, Any], ...] = ()
    household: tuple[tuple[str, int], ...] = ()


# Roughly the center's mix: family violence from the police first, then schools and hospitals.
KINDS = [
    Kind(
        "police",
        "政府警察局",
        ("intimate_partner_violence",),
        (("victim", 25, 45, "F"), ("offender", 28, 50, "M")),
        "鄰居報案，聽到爭吵與摔東西聲，案妻臉部有瘀傷，案夫揚言再犯。",
        (("tipvda_score", 9), ("injury", "minor"), ("offender_lives_with_victim", True)),
        (("children_under_6", 1),),
    ),
    Kind(
        "police",
        "政府警察局",
        ("intimate_partner_violence",),
        (("victim", 22, 40, "F"), ("offender", 24, 45, "M")),
        "同居人酒後口角推擠，被害人自行報案，目前已分開居住。",
        (("tipvda_score", 3),),
    ),
    Kind(
        "school",
        "教育處",
        ("child_maltreatment",),
        (("child", 6, 11, ""),),
        "導師發現學童手臂有多處瘀青，學童表示被家長用衣架打。",
        (("injury", "minor"),),
        (("children_under_18", 2),),
    ),
    Kind(
        "hospital",
        "醫院",
        ("suicide_risk",),
        (("adult", 19, 60, ""),),
        "急診通報：案主服藥過量送醫，已清醒，表示仍有輕生念頭。",
        (("suicide_attempt", True), ("suicide_ideation", True)),
    ),
    Kind(
        "hospital",
        "醫院",
        ("elder_abuse",),
        (("victim", 70, 92, ""), ("offender", 40, 60, "")),
        "長者就醫時表示遭同住子女言語恐嚇、拿走存款，身上無明顯外傷。",
    ),
    Kind(
        "social_welfare",
        "社會處",
        ("vulnerable_family",),
        (("adult", 30, 55, "F"),),
        "單親家庭，主要照顧者失業，房租積欠三個月，兩名子女就學中。",
        (("economic_hardship", True),),
        (("children_under_18", 2),),
    ),
    Kind(
        "school",
        "教育處",
        ("youth_deviance",),
        (("youth", 13, 17, "M"),),
        "少年多次深夜未歸，涉及竊盜，家長無力管教。",
        (("youth_law_violation", True),),
    ),
    Kind(
        "police",
        "政府警察局",
        ("suspected_mental_illness",),
        (("adult", 25, 65, ""),),
        "里長通報：案主近日在社區大聲喊叫、疑似有被害妄想，家屬無法處理。",
        (("suspected_mental_illness", True),),
    ),
    Kind(
        "hospital",
        "醫院",
        ("sexual_assault",),
        (("victim", 14, 30, "F"),),
        "急診驗傷通報，被害人表示昨晚遭熟識者性侵，已報警。",
        (("injury", "minor"),),
    ),
]


def demo_keys(directory: CountyDirectory) -> list[dict[str, Any]]:
    """The printed keys: a dispatcher per county, and for the first county a supervisor,
    its protection unit and its police (each with what it is for)."""
    first = directory.counties[0]
    keys = [
        dict(role="dispatcher", name=f"示範派案人員 {county}", county=county, use=f"sign in at /console ({county})")
        for county in directory.counties
    ]
    unit = directory.county(first).units.get("protection")
    keys.append(
        dict(role="supervisor", name=f"示範督導 {first}", county=first, use="console KPIs and ops view, GET /v1/audit")
    )
    if unit is not None:
        keys.append(
            dict(
                role="unit",
                name=unit.name,
                county=first,
                unit=unit.id,
                use="acknowledge, reject or close this unit's referrals (API)",
            )
        )
    keys.append(
        dict(role="agency", name=f"{first}政府警察局", county=first, agency_type="police", use="POST /v1/reports")
    )
    return keys


def townships(directory: CountyDirectory, county: str) -> list[str]:
    found = [t for centre in directory.county(county).welfare_centers for t in centre.townships]
    return found or [county]


def reports_for(
    directory: CountyDirectory, county: str, rng: random.Random, now: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """(agency type, body) for one county's day: every kind once, then random ones."""
    kinds = KINDS + [rng.choice(KINDS) for _ in range(max(0, REPORTS_PER_COUNTY - len(KINDS)))]
    return [
        (kind.agency_type, _body(kind, county, rng.choice(townships(directory, county)), rng, now))
        for kind in kinds[:REPORTS_PER_COUNTY]
    ]


def _body(kind: Kind, county: str, township: str, rng: random.Random, now: datetime) -> dict[str, Any]:
    occurred = now - timedelta(hours=rng.uniform(1, 20))
    subjects = [
        {
            "role": role,
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "age": rng.randint(low, high),
            "sex": sex or rng.choice("FM"),
        }
        for role, low, high, sex in kind.roles
    ]
    return {
        "county": county,
        "township": township,
        "categories": list(kind.categories),
        "subjects": subjects,
        "occurred_at": occurred.isoformat(),
        "narrative": kind.narrative,
        "source": {
            "agency_type": kind.agency_type,
            "agency_name": f"{county}{kind.agency}",
            "reporter_name": rng.choice(SURNAMES) + "承辦人",
            "mandated_reporter": True,
        },
        "indicators": dict(kind.indicators),
        "household": dict(kind.household),
    }


async def create_key(engine: AsyncEngine, settings: IntakeSettings, **fields: Any) -> str:
    fields = {k: v for k, v in fields.items() if k != "use"}
    created = await intake.create_key(engine=engine, settings=settings, command="dev --demo", **fields)
    return created.secret


async def prepare(
    *, engine: AsyncEngine, app: Any, directory: CountyDirectory, settings: IntakeSettings, seed: int = 12
) -> tuple[list[dict[str, Any]], int]:
    """Mint the demo keys (fresh ones every run: only a hash of a key is stored) and, when
    the database holds no report yet, post the day's reports. Returns the keys and how
    many reports were posted."""
    printed = [{**k, "key": await create_key(engine, settings, **k)} for k in demo_keys(directory)]
    if await intake.holds_reports(engine=engine):
        return printed, 0
    rng, now = random.Random(seed), datetime.now(UTC)
    senders: dict[tuple[str, str], str] = {}
    posted = 0
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per in-process request says nothing
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        for county in directory.counties:
            for agency_type, body in reports_for(directory, county, rng, now):
                if (county, agency_type) not in senders:
                    senders[county, agency_type] = await create_key(
                        engine,
                        settings,
                        role="agency",
                        name=body["source"]["agency_name"],
                        county=county,
                        agency_type=agency_type,
                    )
                response = await client.post(
                    "/v1/reports",
                    json=body,
                    headers={
                        "Authorization": f"Bearer {senders[county, agency_type]}",
                        "Idempotency-Key": f"demo-{posted}",
                    },
                )
                if response.status_code != 202:
                    raise RuntimeError(f"demo report refused ({response.status_code}): {response.text}")
                posted += 1
    return printed, posted
