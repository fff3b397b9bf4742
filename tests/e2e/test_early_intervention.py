"""Early intervention by prosecutors and police (檢警早期介入, decision model v1.1 rule 4)
through the whole embedded system: a severe child-abuse report posted to intake is marked
EARLY_INTERVENTION by screening, notify tells the county's designated prosecutor's office
(webhook and e-mail) and police unit (e-mail) through real receivers running in the test,
signed and without the report's names, national ID or narrative; the attempts are in the
report's timeline and the report is on the month's network-meeting list with its time to
notice."""

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from safetynet.contracts.report import TAIPEI
from safetynet.notify.adapters.channels.webhook import unit_secret
from safetynet.platform.counties import PACKAGED_COUNTY_DATA
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e

SEVERE = next(s for s in SCENARIOS if s.name == "child_maltreatment_minor_injury_under_6")  # 苗栗縣, red
SECRET = "e2e-early-intervention-secret"
PROSECUTOR, POLICE = "苗栗縣/prosecutor", "苗栗縣/police"
NAME, NATIONAL_ID, NARRATIVE = "林小華", "F234567898", "幼兒園老師發現孩子手臂有瘀傷"


class Receiver:
    """The prosecutor's webhook endpoint: keeps each request, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline():
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                self.received.append((headers, await reader.readexactly(int(headers.get("content-length", "0")))))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 accepted"


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[Receiver, Inbox, int]]:
    receiver, inbox = Receiver(), Inbox()
    receiver.server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    smtp = await asyncio.get_running_loop().create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    yield receiver, inbox, smtp.sockets[0].getsockname()[1]
    for server in (receiver.server, smtp):
        server.close()
        await server.wait_closed()


def county_data(tmp_path: Path, webhook: str) -> Path:
    """The packaged county files, 苗栗縣's prosecutor reachable at the test's webhook."""
    folder = tmp_path / "county_data"
    folder.mkdir()
    for source in PACKAGED_COUNTY_DATA.glob("*.json"):
        county = json.loads(source.read_text("utf-8"))
        if county["county"] == "苗栗縣":
            county["early_intervention"]["recipients"][0]["webhook"] = webhook
        (folder / source.name).write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    return folder


async def until(check: Any, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_severe_child_abuse_report_tells_prosecutor_and_police_without_personal_data(tmp_path, receivers):
    receiver, inbox, smtp_port = receivers
    body = with_fresh_ids(SEVERE.body)
    body["subjects"][0] |= {"name": NAME, "national_id": NATIONAL_ID}
    body["narrative"] = NARRATIVE
    async with embedded_system(
        tmp_path,
        county_data=county_data(tmp_path, receiver.url),
        webhook_secret=SECRET,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
    ) as system:
        agency = await system.key("agency", county="苗栗縣")
        dispatcher = await system.key("dispatcher", name="值班社工", county="苗栗縣")
        posted = await system.client.post("/v1/reports", json=body, headers=agency)
        assert posted.status_code == 202, posted.text
        rid = posted.json()["report_id"]

        await until(lambda: len(receiver.received) == 1 and len(inbox.messages) == 2)
        headers, hook = receiver.received[0]
        key = unit_secret(SECRET.encode(), PROSECUTOR).encode()
        signed = hmac.new(key, headers["x-safetynet-timestamp"].encode() + b"." + hook, hashlib.sha256).hexdigest()
        assert headers["x-safetynet-signature"] == f"sha256={signed}"
        content = json.loads(hook)["content"]
        assert content["report_id"] == rid and content["reason"] == "EARLY_INTERVENTION"
        assert content["categories"] == ["child_maltreatment"] and content["risk_level"] == "red"
        assert sorted(m.rcpt_tos[0] for m in inbox.messages) == [
            "duty@prosecutor.miaoli.example.org",
            "wcpd@police.miaoli.example.org",
        ]
        for text in [hook.decode(), *(m.content.decode("utf-8", "replace") for m in inbox.messages)]:
            for personal in (NAME, NATIONAL_ID, NARRATIVE):
                assert personal not in text

        def notices_in_timeline(b: dict[str, Any]) -> bool:
            told = [e for e in b["timeline"] if "early-intervention notice" in (e.get("detail") or "")]
            return len([e for e in told if e["event"] == "notification_delivered"]) == 3

        report = await system.wait_for(rid, dispatcher, notices_in_timeline)
        assert "EARLY_INTERVENTION" in [r["code"] for r in report["reasons"]]

        month = datetime.fromisoformat(report["received_at"]).astimezone(TAIPEI).strftime("%Y-%m")
        listed = await system.client.get(
            "/v1/network-meeting", params={"county": "苗栗縣", "month": month}, headers=dispatcher
        )
        assert listed.status_code == 200, listed.text
        [row] = listed.json()["reports"]
        assert row["report_id"] == rid and row["seconds_to_notice"] is not None
        assert {n["recipient"] for n in row["notices"]} == {PROSECUTOR, POLICE}
        assert listed.json()["notice_times"]["notified"] == 1
