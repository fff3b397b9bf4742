"""How long `safetynet rules replay` takes over a year of one county (issue 13: under a minute
for about 5,000 reports).

    flock /tmp/safetynet-heavy.lock .venv/bin/python -m bench.replay [--url URL] [--reports 5000]

Stores --reports decided reports of one county, spread over a year, with a referral and a
result for each destination, straight through screening's repository (decided by v1, as
screening would), into a fresh database: a new SQLite file by default, or --url (an empty
PostgreSQL database). Then replays a candidate (TIPVDA red at 10, suspected mental illness
alone no longer sent to mental health) over the year through the admin surface the CLI
uses, and prints the wall time and what changed.
"""

import argparse
import asyncio
import copy
import random
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from safetynet.contracts import events
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.storage import make_engine
from safetynet.screening import admin, domain
from safetynet.screening.adapters import orm
from safetynet.screening.adapters.contracts import stored_input, to_screening_input
from safetynet.screening.settings import ScreeningSettings

COUNTY = "南投縣"
TOWNSHIPS = ("南投市", "草屯鎮", "埔里鎮", "竹山鎮", "集集鎮", "不存在鄉")
CATEGORIES = (
    ["intimate_partner_violence"],
    ["child_maltreatment"],
    ["vulnerable_family"],
    ["suicide_risk"],
    ["elder_abuse"],
    ["youth_deviance"],
    ["other"],
)
RESULTS = ("opened", "not_opened", "not_opened", "rejected", None)


def report_event(rng: random.Random, n: int, received: datetime) -> events.ReportReceived:
    indicators: dict[str, Any] = {"injury": rng.choice(["none", "none", "minor", "severe"])}
    if rng.random() < 0.6:
        indicators["tipvda_score"] = rng.randint(0, 15)
    for name, share in (("weapon", 0.08), ("suspected_mental_illness", 0.25), ("suicide_ideation", 0.1)):
        if rng.random() < share:
            indicators[name] = True
    subjects = [
        {"role": "victim", "age": rng.randint(1, 80), "subject_hash": f"{rng.getrandbits(64):016x}"},
        {"role": "offender", "age": rng.randint(18, 70), "subject_hash": None},
    ]
    return events.ReportReceived.model_validate(
        {
            "report_id": f"bench-{n:06d}",
            "county": COUNTY,
            "township": rng.choice(TOWNSHIPS),
            "agency_type": "police",
            "received_at": received,
            "sla_due_at": received + timedelta(hours=24),
            "categories": rng.choice(CATEGORIES),
            "subjects": subjects,
            "household": {"children_under_6": rng.choice([None, 0, 1])},
            "indicators": indicators,
        }
    )


async def load(engine: Any, count: int) -> None:
    rng = random.Random(13)
    directory = CountyDirectory.load()
    start = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 in Taipei
    step = timedelta(days=365) / count
    decisions, referrals = [], []
    for n in range(count):
        event = report_event(rng, n, start + step * n)
        decision = domain.decide(to_screening_input(event), directory=directory)
        decisions.append(
            dict(
                report_id=event.report_id,
                county=COUNTY,
                rule_version=decision.rule_version,
                risk_level=decision.risk_level,
                decision=asdict(decision),
                decided_at=event.received_at,
                input=stored_input(event),
                received_at=event.received_at,
            )
        )
        for k, destination in enumerate(d for d in decision.destinations if d.unit is not None):
            result = rng.choice(RESULTS)
            referrals.append(
                dict(
                    referral_id=f"{event.report_id}-{k}",
                    report_id=event.report_id,
                    kind=destination.kind,
                    unit=destination.unit,
                    status="rejected" if result == "rejected" else "closed" if result else "assigned",
                    outcome=result if result in ("opened", "not_opened") else None,
                    outcome_reason=None,
                    updated_at=event.received_at,
                )
            )
    async with engine.begin() as conn:
        await conn.execute(orm.decisions.insert(), decisions)
        await conn.execute(orm.referral_outcomes.insert(), referrals)


def candidate() -> dict[str, Any]:
    document = copy.deepcopy(domain.SHIPPED_DOCUMENTS[domain.DEFAULT_VERSION].model_dump(mode="json"))
    document["version"] = "v1.0.0-bench"
    document["risk"]["tipvda_red"] = 10
    document["disabled_rules"] = ["DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"]
    return document


async def main(url: str | None, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url or f"sqlite+aiosqlite:///{folder}/bench.sqlite", schemas=("screening",))
        try:
            await admin.migrate(engine=engine)
            began = time.perf_counter()
            await load(engine, count)
            print(f"stored {count} decided reports in {time.perf_counter() - began:.1f} s")
            began = time.perf_counter()
            run = await admin.replay_rule_version(
                engine=engine,
                candidate=candidate(),
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                county=COUNTY,
                settings=ScreeningSettings(),
            )
            wall = time.perf_counter() - began
            result = admin.replay_as_dict(run=run)
            print(f"replayed {result['reports']} reports in {wall:.2f} s (the replay's own figure {run.seconds:.2f} s)")
            print(f"changed: {result['changed']}")
            print(f"outcomes: {result['outcomes']}")
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--reports", type=int, default=5000)
    options = parser.parse_args()
    asyncio.run(main(options.url, options.reports))
