"""The supervisors' rule page (issue 13, part 6): a candidate rule version is tried on the
county's history through screening (ReplayRequested out, ReplayCompleted back), and the
comparison is shown; only the county's supervisors reach it; a bad form is a 422 with the
message next to the field and everything typed kept."""

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from safetynet.contracts import topics
from safetynet.contracts.envelope import Envelope
from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.projections import EVENT_HANDLERS
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

CANDIDATE = {"version": "v1.0.0-tipvda10", "model": "v1", "risk": {"tipvda_red": 10, "tipvda_orange": 4}}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, secret: str) -> None:
    form = await client.get("/console/sign-in")
    signed_in = await client.post(
        "/console/sign-in", data={"key": secret, "signin_token": hidden(form.text, "signin_token"), "next": "/console"}
    )
    assert signed_in.status_code == 303, signed_in.text


async def ask(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await client.get("/console/rules")
    assert page.status_code == 200, page.text
    data = {"csrf_token": hidden(page.text, "csrf_token"), "from": "2026-11-01", "to": "2026-11-30", **fields}
    return await client.post("/console/rules/replays", data=data)


async def requests_sent(engine: Any) -> list[Envelope]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(orm.outbox.c.topic, orm.outbox.c.value).order_by(orm.outbox.c.id))
        sent = [(row.topic, Envelope.from_bytes(row.value)) for row in rows]
    return [e for topic, e in sent if e.type == "ReplayRequested" and topic == topics.COMMANDS]


def completed(replay_id: str, county: str = "苗栗縣") -> Envelope:
    summary = {
        "candidate": "v1.0.0-tipvda10",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "county": county,
        "reports": 412,
        "recorded_versions": {"v1.0.0": 412},
        "changed": {
            "reports": 17,
            "risk_level": 17,
            "risk_transitions": {"red→orange": 17},
            "destinations": 0,
            "direct_dispatch": 0,
        },
        "changed_report_ids": [],
        "units": [
            {
                "unit": "苗栗縣/protection",
                "before": 300,
                "after": 300,
                "weeks": [
                    {"week": "2026-10-26", "before": 60, "after": 60},
                    {"week": "2026-11-02", "before": 71, "after": 71},
                ],
            }
        ],
        "outcomes": {
            "referrals_with_result": 250,
            "not_sent_not_opened": 23,
            "not_sent_opened": 4,
            "not_sent_still_open": 2,
        },
        "seconds": 0.1,
    }
    payload = {
        "replay_id": replay_id,
        "county": county,
        "status": "done",
        "candidate_version": "v1.0.0-tipvda10",
        "summary": summary,
        "completed_at": datetime.now(UTC).isoformat(),
    }
    return Envelope(type="ReplayCompleted", report_id=replay_id, producer="screening", payload=payload)


async def test_a_supervisor_asks_for_a_replay_and_sees_screenings_answer(
    client: httpx.AsyncClient, engine: Any, mint_key: Any
) -> None:
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county="苗栗縣")
    await sign_in(client, supervisor.secret)
    sent = await ask(client, candidate=json.dumps(CANDIDATE))

    assert sent.status_code == 303, sent.text
    replay_id = sent.headers["location"].removeprefix("/console/rules?replay=")
    [request] = await requests_sent(engine)
    assert request.report_id == replay_id and request.producer == "intake"
    assert request.payload["candidate"] == CANDIDATE and request.payload["county"] == "苗栗縣"
    assert (request.payload["start"], request.payload["end"], request.payload["requested_by"]) == (
        "2026-11-01",
        "2026-11-30",
        "苗栗督導",
    )
    waiting = await client.get(sent.headers["location"])
    assert "試算中" in waiting.text and waiting.headers["refresh"] == "3"

    await EVENT_HANDLERS["ReplayCompleted"](completed(replay_id), IntakeUnitOfWork(engine))
    done = await client.get(sent.headers["location"])
    assert done.status_code == 200 and "refresh" not in done.headers
    text = done.text
    assert "共 412 件" in text and "red→orange 17" in text
    assert '<td class="num">23</td>' in text  # not sent, and not opened by the unit
    assert "70.0 → 70.0" in text  # 300 over the 30 days' 4.3 weeks
    assert "2026-11-02: 71 → 71" in text  # the busiest week


async def test_a_bad_form_is_a_422_naming_the_field_and_keeping_what_was_typed(
    client: httpx.AsyncClient, engine: Any, mint_key: Any
) -> None:
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county="苗栗縣")
    await sign_in(client, supervisor.secret)
    refused = await ask(client, candidate='{"version": "v1.0.0-x",', to="2026-10-01")
    assert refused.status_code == 422
    assert 'id="err-candidate"' in refused.text and "Not JSON" in refused.text
    assert 'id="err-to"' in refused.text and "must not be before from" in refused.text
    assert "{&#34;version&#34;: &#34;v1.0.0-x&#34;," in refused.text  # kept, escaped
    not_an_object = await ask(client, candidate="[1, 2]")
    assert not_an_object.status_code == 422 and "JSON object" in not_an_object.text
    assert await requests_sent(engine) == []


async def test_only_the_countys_supervisors_see_its_replays(
    client: httpx.AsyncClient, engine: Any, mint_key: Any, keys: Any
) -> None:
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county="苗栗縣")
    await sign_in(client, supervisor.secret)
    replay_id = (await ask(client, candidate=json.dumps(CANDIDATE))).headers["location"].split("=")[1]

    assert (await client.get("/console/rules", headers=keys.dispatcher_miaoli.headers)).status_code == 403
    nantou = await mint_key(role="supervisor", name="南投督導", county="南投縣")
    other = await client.get(f"/console/rules?replay={replay_id}", headers=nantou.headers)
    assert other.status_code == 200 and replay_id not in other.text and "v1.0.0-tipvda10" not in other.text
