"""Phone and walk-in reports (issue 13, part 5): a dispatcher keys a report into the
console form, checked by the same contract as POST /v1/reports; refusals come back in
Chinese next to their fields with everything typed kept; a double submit makes one
report; the report records how it came in, and who keyed it in is audited."""

import re
from typing import Any

import httpx
from sqlalchemy import func, select

from safetynet.intake.adapters import orm
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

CHILD_ID = "A123456789"


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


async def blank_form(client: httpx.AsyncClient) -> dict[str, str]:
    page = await client.get("/console/reports/new")
    assert page.status_code == 200, page.text
    return {name: hidden(page.text, name) for name in ("csrf_token", "submission_token", "subject_rows")}


def filled(tokens: dict[str, str], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        **tokens,
        "source.channel": "hotline_113",
        "source.agency_type": "school",
        "source.agency_name": "頭份國小",
        "source.reporter_name": "林老師",
        "source.reporter_phone": "037-111111",
        "source.mandated_reporter": "true",
        "township": "頭份市",
        "occurred_at": "2026-12-01T08:30",
        "categories": ["child_maltreatment"],
        "subjects.0.role": "child",
        "subjects.0.name": "王小華",
        "subjects.0.national_id": CHILD_ID,
        "subjects.0.age": "5",
        "indicators.injury": "minor",
        "indicators.tipvda_score": "",
        "household.children_under_6": "1",
        "narrative": "老師來電：學童手臂有瘀青，表示被父親打。",
    }
    data.update(changes)
    return data


async def reports_stored(engine: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(orm.reports)) or 0)


async def test_a_phone_report_is_accepted_as_the_api_would_and_records_how_it_came_in(
    client: httpx.AsyncClient, engine: Any, keys: Any
) -> None:
    await sign_in(client, keys.dispatcher_miaoli.secret)
    sent = await client.post("/console/reports/new", data=filled(await blank_form(client)))

    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    found = re.fullmatch(r"/console/reports/([0-9a-f-]{36})\?done=keyed_in", location)
    assert found, location
    rid = found.group(1)
    assert "已登錄電話／臨櫃通報" in (await client.get(location)).text

    body = (await client.get(f"/v1/reports/{rid}", headers=keys.dispatcher_miaoli.headers)).json()
    assert body["county"] == "苗栗縣" and body["township"] == "頭份市"
    assert body["source"] == {
        "channel": "hotline_113",
        "agency_type": "school",
        "agency_name": "頭份國小",
        "reporter_name": "林老師",
        "reporter_phone": "037-111111",
        "mandated_reporter": True,
    }
    assert body["subjects"] == [{"role": "child", "name": "王小華", "national_id": CHILD_ID, "age": 5}]
    assert body["occurred_at"] == "2026-12-01T08:30:00+08:00"
    assert body["indicators"] == {"injury": "minor"} and body["household"] == {"children_under_6": 1}
    assert body["timeline"][0]["actor"] == "dispatcher:苗栗派案員"
    async with engine.connect() as conn:
        row = (await conn.execute(select(orm.reports).where(orm.reports.c.report_id == rid))).one()
    assert (row.key_id, row.agency_type) == (keys.dispatcher_miaoli.principal.key_id, "school")
    async with IntakeUnitOfWork(engine) as uow:
        records = await uow.audit.query(county="苗栗縣", report_id=rid)
    [keyed_in] = [r.entry for r in records if r.entry.action == "key_in_report"]
    assert keyed_in.actor.name == "苗栗派案員" and keyed_in.detail["channel"] == "hotline_113"


async def test_a_refused_field_comes_back_in_chinese_next_to_it_with_everything_kept(
    client: httpx.AsyncClient, engine: Any, keys: Any
) -> None:
    await sign_in(client, keys.dispatcher_miaoli.secret)
    data = filled(
        await blank_form(client),
        **{"subjects.0.national_id": "A123456788", "township": "", "indicators.tipvda_score": "20"},
    )

    refused = await client.post("/console/reports/new", data=data)

    assert refused.status_code == 422
    html = refused.text
    for field, message in (
        ("subjects-0-national_id", "身分證字號不正確"),
        ("township", "必填"),
        ("indicators-tipvda_score", "數值太大"),
    ):
        error = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)', html)
        assert error and message in error.group(1), field
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true" aria-describedby="err-{field}"', html), field
        assert f'href="#f-{field}"' in html  # the summary links to the field
    # Everything typed is still there, the refused values included.
    for name, value in (
        ("subjects.0.name", "王小華"),
        ("subjects.0.national_id", "A123456788"),
        ("source.reporter_phone", "037-111111"),
        ("indicators.tipvda_score", "20"),
    ):
        assert f'name="{name}" value="{value}"' in html, name
    assert "學童手臂有瘀青" in html
    assert 'value="child_maltreatment" id="category-child_maltreatment" checked' in html
    assert re.search(r'<option value="child" selected>', html)
    assert 'value="school" selected' in html and 'value="hotline_113" id="channel-hotline_113" checked' in html
    assert hidden(html, "submission_token") == data["submission_token"]  # still the same form
    assert await reports_stored(engine) == 0


async def test_a_double_submit_makes_one_report(client: httpx.AsyncClient, engine: Any, keys: Any) -> None:
    await sign_in(client, keys.dispatcher_miaoli.secret)
    data = filled(await blank_form(client))

    first = await client.post("/console/reports/new", data=data)
    again = await client.post("/console/reports/new", data=data)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert await reports_stored(engine) == 1
    # The same form, changed and sent again, is not silently taken as the first report.
    changed = await client.post("/console/reports/new", data={**data, "narrative": "補充：另有一名手足。"})
    assert changed.status_code == 409 and "已送出" in changed.text and "補充：另有一名手足。" in changed.text
    assert hidden(changed.text, "submission_token") != data["submission_token"]
    assert await reports_stored(engine) == 1
    # A new form is a new report.
    other = await client.post("/console/reports/new", data=filled(await blank_form(client)))
    assert other.status_code == 303 and other.headers["location"] != first.headers["location"]
    assert await reports_stored(engine) == 2


async def test_adding_a_person_row_keeps_what_was_typed(client: httpx.AsyncClient, keys: Any) -> None:
    await sign_in(client, keys.dispatcher_miaoli.secret)
    data = filled(await blank_form(client), add_subject="1")

    page = await client.post("/console/reports/new", data=data)

    assert page.status_code == 200
    assert hidden(page.text, "subject_rows") == "4" and 'name="subjects.3.name"' in page.text
    assert 'name="subjects.0.name" value="王小華"' in page.text and "學童手臂有瘀青" in page.text


async def test_only_dispatch_staff_key_in_reports_and_partners_cannot_claim_a_channel(
    client: httpx.AsyncClient, keys: Any, report: Any
) -> None:
    for key in (keys.police,):
        assert (await client.get("/console/reports/new", headers=key.headers)).status_code == 403
        assert (await client.post("/console/reports/new", headers=key.headers, data={})).status_code == 403
    assert (await client.get("/console/reports/new")).status_code == 303  # to the sign-in page
    body = report()
    body["source"]["channel"] = "walk_in"
    refused = await client.post("/v1/reports", json=body, headers=keys.police.headers)
    assert refused.status_code == 422
    assert [d["loc"] for d in refused.json()["detail"]] == [["body", "source", "channel"]]
