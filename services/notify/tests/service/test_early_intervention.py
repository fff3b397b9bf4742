"""Early intervention (decision model v1.1 rule 4): a ReportScreened carrying the reason
EARLY_INTERVENTION tells the county's designated prosecutor's office and police unit at
once, through real receivers running in the test (an HTTP server checking signatures as
services/notify/README.md tells receivers to, and an aiosmtpd SMTP server): signed, with
no personal data, once per recipient per channel whatever is redelivered or restarted,
and every attempt in the report's timeline (NotificationSent)."""

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from safetynet.contracts import events, topics
from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels.webhook import unit_secret
from safetynet.notify.settings import NotifySettings
from safetynet.platform.counties import CountyDirectory

SECRET = "early-intervention-master-secret"
COUNTY = "苗栗縣"
PROSECUTOR = f"{COUNTY}/prosecutor"
POLICE = f"{COUNTY}/police"
# What the report said about the people in it: none of it may reach a notice. (Notify
# never gets these; the subject hash is the nearest thing it does get, and that stays too.)
SUBJECT_HASH = "f" * 64
PERSONAL = ["王小明", "A123456789", "父親以皮帶抽打", SUBJECT_HASH]


@dataclass
class Hook:
    recipient_header: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook endpoint on 127.0.0.1 answering 503 to the first `fail_next` requests."""

    def __init__(self, *, fail_next: int = 0) -> None:
        self.fail_next = fail_next
        self.received: list[Hook] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/early-intervention"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline():
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Hook(headers.get("x-safetynet-delivery", ""), headers, body))
                status = 503 if self.fail_next > 0 else 200
                self.fail_next -= 1
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
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
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    r._server = await asyncio.start_server(r._handle, "127.0.0.1", 0)
    yield r
    r._server.close()
    await r._server.wait_closed()


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    yield inbox, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def county_folder(tmp_path: Path, webhook: str) -> Path:
    """The packaged county file of the test's county, its prosecutor reachable by the
    test's webhook and e-mail and its police unit by e-mail only."""
    folder = tmp_path / "county_data"
    folder.mkdir()
    county = CountyDirectory.load().county(COUNTY).model_dump(mode="json")
    county["early_intervention"]["recipients"] = [
        {
            "id": PROSECUTOR,
            "name": "苗栗地方檢察署",
            "role": "prosecutor",
            "webhook": webhook,
            "email": "duty@p.example.org",
        },
        {"id": POLICE, "name": "苗栗縣警察局婦幼警察隊", "role": "police", "email": "wcpd@police.example.org"},
    ]
    (folder / "miaoli.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    return folder


def screened(report_id: str, *, reasons: list[str], at: datetime) -> events.ReportScreened:
    return events.ReportScreened(
        report_id=report_id,
        county=COUNTY,
        received_at=at,
        rule_version="v1.1",
        risk_level="red",
        urgent=True,
        direct_dispatch=False,
        needs_review=False,
        sla_due_at=at + timedelta(hours=24),
        reasons=[events.ReasonCode(code=code, text=code) for code in reasons],
        recommended=[events.DestinationRef(kind="protection", unit=f"{COUNTY}/protection")],
        subject_hashes=[SUBJECT_HASH],
        categories=["child_maltreatment"],
    )


@pytest.fixture
def booted(harness: Any, settings: NotifySettings, tmp_path: Path, receiver: Receiver, smtp: Any) -> Any:
    _, port = smtp
    harness.settings = NotifySettings(
        database_url=settings.database_url,
        sla_seconds=settings.sla_seconds,
        sla_warn_seconds=settings.sla_warn_seconds,
        county_data=county_folder(tmp_path, receiver.url),
        webhook_secret=SECRET,
        smtp_url=f"smtp://127.0.0.1:{port}",
        smtp_sender="safetynet@county.example",
        notify_max_attempts=5,
    )
    harness.clock.now = datetime.now(UTC)  # the webhook signs with the real time
    harness.boot()
    return harness


async def deliver_until(harness: Any, done: Any) -> None:
    """Run the delivery worker, the clock moving past each backoff, until `done()`."""
    for _ in range(20):
        await harness.tick()
        if await done():
            return
        harness.clock.now += timedelta(hours=1)
    raise AssertionError("the notices were not delivered")


async def test_the_notice_reaches_the_webhook_and_the_mailboxes_signed_and_without_personal_data(
    booted: Any, receiver: Receiver, smtp: Any
) -> None:
    inbox, _ = smtp
    await booted.deliver(
        "ReportScreened",
        screened("r1", reasons=["RED_INJURY_SEVERE", "EARLY_INTERVENTION"], at=booted.clock()),
        topic=topics.DECISIONS,
    )
    await booted.tick()

    assert len(receiver.received) == 1 and len(inbox.messages) == 2
    hook = receiver.received[0]
    # Signed under the prosecutor's own secret, over "<timestamp>.<body>", as receivers check it.
    key = unit_secret(SECRET.encode(), PROSECUTOR).encode()
    expected = hmac.new(key, hook.headers["x-safetynet-timestamp"].encode() + b"." + hook.body, hashlib.sha256)
    assert hook.headers["x-safetynet-signature"] == f"sha256={expected.hexdigest()}"
    document = json.loads(hook.body)
    assert document["kind"] == "early_intervention" and document["recipient"] == PROSECUTOR
    assert document["content"] == {
        "event": "early_intervention",
        "reason": "EARLY_INTERVENTION",
        "report_id": "r1",
        "county": COUNTY,
        "categories": ["child_maltreatment"],
        "risk_level": "red",
        "protection_unit": f"{COUNTY}/protection",
        "center_name": "苗栗縣集中篩派案中心",
        "center_phone": "+886-3-555-0100",
        "center_email": "center@miaoli.example.org",
        "decided_at": document["content"]["decided_at"],
    }
    mails = {m.rcpt_tos[0]: email.message_from_bytes(m.content, policy=email.policy.default) for m in inbox.messages}
    assert set(mails) == {"duty@p.example.org", "wcpd@police.example.org"}
    for mail in mails.values():
        text = mail.get_content()
        assert "report_id: r1" in text and "categories: child_maltreatment" in text
        assert "protection_unit: 苗栗縣/protection" in text and "center_phone: +886-3-555-0100" in text
        assert mail["Importance"] == "high"
    for sent in [hook.body.decode(), *(m.content.decode("utf-8", "replace") for m in inbox.messages)]:
        assert not [p for p in PERSONAL if p in sent], sent


async def test_redelivery_and_a_restart_tell_each_recipient_once(booted: Any, receiver: Receiver, smtp: Any) -> None:
    inbox, _ = smtp
    decision = screened("r2", reasons=["EARLY_INTERVENTION"], at=booted.clock())
    first = await booted.deliver("ReportScreened", decision, topic=topics.DECISIONS)
    await booted.deliver("ReportScreened", decision, topic=topics.DECISIONS, event_id=first.event_id)
    booted.boot()  # a restart: a fresh service on the same database
    await booted.deliver("ReportScreened", decision, topic=topics.DECISIONS)  # re-published under a new id
    for _ in range(3):
        await booted.tick()

    notices = [r for r in await booted.rows(orm.notifications) if r.kind == "early_intervention"]
    assert sorted((r.recipient, r.channel) for r in notices) == [
        (POLICE, "email"),
        (PROSECUTOR, "email"),
        (PROSECUTOR, "webhook"),
    ]
    assert len(receiver.received) == 1 and len(inbox.messages) == 2


async def test_a_failed_attempt_is_retried_and_every_attempt_is_in_the_timeline(
    booted: Any, receiver: Receiver, smtp: Any
) -> None:
    receiver.fail_next = 1
    await booted.deliver(
        "ReportScreened", screened("r3", reasons=["EARLY_INTERVENTION"], at=booted.clock()), topic=topics.DECISIONS
    )

    async def webhook_delivered() -> bool:
        return any(r.status == "delivered" and r.channel == "webhook" for r in await booted.rows(orm.notifications))

    await deliver_until(booted, webhook_delivered)
    timeline = [e["payload"] for e in await booted.outbox("NotificationSent")]
    assert all(p["notice"] == "early_intervention" and p["referral_id"] == "" for p in timeline)
    assert [(p["unit"], p["channel"], p["attempt"], p["outcome"]) for p in timeline if p["channel"] == "webhook"] == [
        (PROSECUTOR, "webhook", 1, "failed"),
        (PROSECUTOR, "webhook", 2, "delivered"),
    ]
    assert sorted((p["unit"], p["outcome"]) for p in timeline if p["channel"] == "email") == [
        (POLICE, "delivered"),
        (PROSECUTOR, "delivered"),
    ]
    assert any("retrying in" in (p["detail"] or "") for p in timeline)


async def test_a_decision_without_the_reason_tells_no_one(booted: Any, receiver: Receiver, smtp: Any) -> None:
    inbox, _ = smtp
    await booted.deliver(
        "ReportScreened", screened("r4", reasons=["RED_INJURY_SEVERE"], at=booted.clock()), topic=topics.DECISIONS
    )
    await booted.tick()
    assert not [r for r in await booted.rows(orm.notifications) if r.kind == "early_intervention"]
    assert receiver.received == [] and inbox.messages == []


async def test_a_protection_destination_without_a_unit_is_pending(booted: Any, receiver: Receiver) -> None:
    decision = screened("r5", reasons=["EARLY_INTERVENTION"], at=booted.clock()).model_copy(
        update={"recommended": [events.DestinationRef(kind="protection", unit=None)]}
    )
    await booted.deliver("ReportScreened", decision, topic=topics.DECISIONS)
    await booted.tick()
    assert json.loads(receiver.received[0].body)["content"]["protection_unit"] == "pending"


async def test_a_malformed_contact_in_a_county_file_stops_notify_at_start(
    harness: Any, settings: NotifySettings, tmp_path: Path
) -> None:
    folder = county_folder(tmp_path, "https://prosecutor.example.org/hook")
    county = json.loads((folder / "miaoli.json").read_text("utf-8"))
    county["early_intervention"]["recipients"][1]["email"] = "police at example.org"
    (folder / "miaoli.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    harness.settings = settings.model_copy(update={"county_data": folder})
    with pytest.raises(ValueError, match=r"miaoli\.json") as refused:
        harness.boot()
    assert "not one e-mail address" in str(refused.value)
