"""Reports full of recognisable personal data, and a search for it in database dumps."""

import json
import random
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from tests.support.scenarios import random_national_id
from tests.support.system import EmbeddedSystem


def personal_report(
    *, county: str = "苗栗縣", township: str = "頭份市", rng: random.Random | None = None
) -> tuple[dict[str, Any], list[str]]:
    """A valid report (TIPVDA 9, police) whose every personal value is unique, and those
    values: names, national IDs, birth dates, the reporter and the narrative."""
    rng = rng or random.Random()
    tag = secrets.token_hex(4)
    victim, offender, child = (random_national_id(rng) for _ in range(3))
    body = {
        "county": county,
        "township": township,
        "source": {
            "agency_type": "police",
            "agency_name": f"頭份分局{tag}派出所",
            "reporter_name": f"通報人{tag}",
            "reporter_phone": f"0912-{rng.randrange(10**6):06d}-{tag}",
            "mandated_reporter": True,
        },
        "categories": ["intimate_partner_violence", "child_maltreatment"],
        "subjects": [
            {
                "role": "victim",
                "name": f"陳美玲{tag}",
                "national_id": victim,
                "birth_date": f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
                "sex": "F",
            },
            {"role": "offender", "name": f"林大同{tag}", "national_id": offender, "age": 41, "sex": "M"},
            {
                "role": "child",
                "name": f"小明{tag}",
                "national_id": child,
                "birth_date": f"202{rng.randrange(0, 3)}-1{rng.randrange(0, 2)}-2{rng.randrange(0, 9)}",
            },
        ],
        "household": {"children_under_6": 1},
        "indicators": {"tipvda_score": 9, "injury": "minor"},
        "narrative": f"鄰居{tag}報案：夜間聽到爭吵與摔東西的聲音，孩子在哭。secret-narrative-{tag}",
    }
    source = body["source"]
    values = [
        source["agency_name"],
        source["reporter_name"],
        source["reporter_phone"],
        body["narrative"],
        f"鄰居{tag}報案",
        f"secret-narrative-{tag}",
    ]
    for subject in body["subjects"]:
        values += [subject["name"], subject["national_id"]]
        if "birth_date" in subject:
            values.append(subject["birth_date"])
    return body, values


def forms(value: str) -> set[str]:
    """How `value` would show in a dump: as is, JSON-escaped (\\uXXXX, as SQLAlchemy's JSON
    writes it) and hex (a bytea or blob)."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], value.encode().hex()}


def found_in(dump: str, values: list[str]) -> list[str]:
    """The values any form of which is in `dump`, in any letter case."""
    lowered = dump.lower()
    return [v for v in values if any(f.lower() in lowered for f in forms(v))]


def sqlite_dump(database: Path | str) -> str:
    """Every table's schema and rows (SQL text), and the raw bytes of the file and its
    write-ahead log as text, so nothing that reached the disk escapes the search."""
    database = Path(database)
    conn = sqlite3.connect(database)
    try:
        text = "\n".join(conn.iterdump())
    finally:
        conn.close()
    raw = [p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists()]
    decoded = [r.decode("utf-8", errors="replace") for r in raw]
    return "\n".join([text, *decoded])


async def post_and_settle(system: EmbeddedSystem, count: int) -> list[tuple[str, dict[str, Any], list[str]]]:
    """`count` reports posted and routed (so every service has written its rows)."""
    agency = await system.key("agency", name="苗栗縣警察局")
    dispatcher = await system.key("dispatcher")
    posted = []
    for _ in range(count):
        body, values = personal_report()
        response = await system.client.post("/v1/reports", json=body, headers=agency)
        assert response.status_code == 202, response.text
        posted.append((response.json()["report_id"], body, values))
    for report_id, _, _ in posted:
        await system.wait_for(report_id, dispatcher, lambda b: b["status"] == "assigned" and b["referrals"])
    return posted


def assert_dispatcher_reads_everything(report: dict[str, Any], body: dict[str, Any]) -> None:
    assert report["subjects"] == body["subjects"]
    assert report["source"] == body["source"]
    assert report["narrative"] == body["narrative"]
    assert report["personal_data_purged_at"] is None
