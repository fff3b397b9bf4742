"""The notification channels against real receivers running in the test: an HTTP server
that checks webhook signatures the way services/notify/README.md tells units to, and an
SMTP server (aiosmtpd). The channels are the ones `bootstrap` builds from the settings,
as `safetynet serve notify` and `safetynet dev` do; the dead-letter test replays through
the real `safetynet notify replay` command."""

import asyncio
import email
import email.policy
import hashlib
import hmac
import itertools
import json
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from sqlalchemy import select

from safetynet.contracts import events, topics
from safetynet.contracts.envelope import Envelope
from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels import EmailChannel, RecordingChannel, WebhookChannel
from safetynet.notify.adapters.channels.webhook import unit_secret, verify
from safetynet.notify.bootstrap import bootstrap, channels_from
from safetynet.notify.domain import Notification, Recipient, referral_notifications
from safetynet.notify.entrypoints.loops import DeliveryWorker
from safetynet.notify.settings import NotifySettings
from safetynet.platform.messaging.sqlbus import SqlLogBroker

SECRET = "unit-shared-secret-0123456789"
UNIT = "苗栗縣/protection"
COUNTY = "苗栗縣"


# -- the receiver's side, exactly as the README documents it -----------------------------------


def receiver_verifies(secret: bytes, headers: dict[str, str], body: bytes, *, now: float | None = None) -> bool:
    """The verification in services/notify/README.md, written here independently of
    notify's code so that a change to the signing breaks this test."""
    timestamp = headers.get("x-safetynet-timestamp", "")
    signature = headers.get("x-safetynet-signature", "")
    if not timestamp.isdigit() or not signature.startswith("sha256="):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.removeprefix("sha256="))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    valid: bool
    status: int


class WebhookReceiver:
    """A unit's webhook endpoint: a real HTTP/1.1 server on 127.0.0.1. It answers 401 to
    a request whose signature does not verify, 503 to the next `fail_next` valid ones,
    and 200 afterwards."""

    def __init__(self, secret: str, *, fail_next: int = 0):
        self.secret = unit_secret(secret.encode(), UNIT).encode()  # the unit's own secret, from the master
        self.fail_next = fail_next
        self.received: list[Received] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/safetynet/hook"

    async def start(self) -> "WebhookReceiver":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request_line := await reader.readline():
                method, path, _ = request_line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                valid = method == "POST" and receiver_verifies(self.secret, headers, body)
                if not valid:
                    status = 401
                elif self.fail_next > 0:
                    self.fail_next -= 1
                    status = 503
                else:
                    status = 200
                self.received.append(Received(path, headers, body, valid, status))
                reason = {200: "OK", 401: "Unauthorized", 503: "Service Unavailable"}[status]
                writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(SECRET).start()
    yield r
    await r.close()


# -- a real SMTP server --------------------------------------------------------------------------


class Inbox:
    """aiosmtpd's handler: keeps what it accepts; can answer 451 to the first RCPTs."""

    def __init__(self, *, refuse_first: int = 0):
        self.refuse_first = refuse_first
        self.envelopes: list[Any] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.refuse_first > 0:
            self.refuse_first -= 1
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> AuthResult:
        assert isinstance(auth, LoginPassword)
        self.logins.append((auth.login, auth.password))
        # handled=False: aiosmtpd answers 535 itself (its default, handled=True, answers nothing).
        return AuthResult(success=(auth.login, auth.password) == (b"dispatch@county", b"p@ss:w/rd"), handled=False)


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()

    def session() -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS: fine on 127.0.0.1 in a test
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(
                inbox,
                hostname="relay.test",
                authenticator=inbox.authenticate,
                auth_required=True,
                auth_require_tls=False,
            )

    server = await asyncio.get_running_loop().create_server(session, "127.0.0.1", 0)
    yield inbox, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


# -- helpers -------------------------------------------------------------------------------------


def notify_settings(
    base: NotifySettings, tmp_path: Path, *, directory: dict[str, Any], **notify: Any
) -> NotifySettings:
    """The test database's settings plus notify's, every notify field given so that no
    SAFETYNET_* variable in the environment changes the test."""
    path = tmp_path / "unit_directory.json"
    path.write_text(json.dumps(directory, ensure_ascii=False), "utf-8")
    fields: dict[str, Any] = (
        dict(webhook_secret=None, smtp_url=None, smtp_sender="safetynet@county.example", notify_max_attempts=5) | notify
    )
    return NotifySettings(
        database_url=base.database_url,
        sla_seconds=base.sla_seconds,
        sla_warn_seconds=base.sla_warn_seconds,
        notify_directory=path,
        **fields,
    )


def unit_on(*endpoints: dict[str, str]) -> dict[str, Any]:
    return {"units": {UNIT: {"channels": list(endpoints)}}}


def referral(report_id: str, referral_id: str, *, urgent: bool, at: datetime) -> events.ReferralChanged:
    return events.ReferralChanged(
        report_id=report_id,
        referral_id=referral_id,
        county=COUNTY,
        kind="protection",
        unit=UNIT,
        status="assigned",
        urgent=urgent,
        at=at,
        actor="system",
    )


async def rows(engine: Any, table: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(table))).all())


async def attempts(engine: Any) -> list[tuple[int, str, str | None]]:
    async with engine.connect() as conn:
        found = (await conn.execute(select(orm.deliveries).order_by(orm.deliveries.c.id))).all()
    return [(d.attempt, d.outcome, d.detail) for d in found]


def boot(harness: Any, settings: NotifySettings) -> Any:
    """Boot conftest's harness on `settings`: channels and directory from the settings."""
    harness.settings = settings
    harness.clock.now = datetime.now(UTC)
    # The webhook signs with the real time and the replay command stamps the real time,
    # so the service's clock starts at the real time and the test moves it from there.
    return harness.boot()


# -- webhook: three failures, then delivered --------------------------------------------------


async def test_a_receiver_that_fails_three_times_gets_the_fourth_attempt_signed_and_delivered(
    engine, settings, tmp_path, clock, receiver
) -> None:
    receiver.fail_next = 3
    settings = notify_settings(
        settings, tmp_path, webhook_secret=SECRET, directory=unit_on({"channel": "webhook", "address": receiver.url})
    )
    broker = SqlLogBroker(engine)
    await broker.start()
    clock.now = datetime.now(UTC)
    runtime = bootstrap(settings=settings, engine=engine, broker=broker, clock=clock, tick_seconds=0.02)
    worker = next(loop for loop in runtime.loops if isinstance(loop, DeliveryWorker))
    webhook = worker.channels["webhook"]
    assert isinstance(webhook, WebhookChannel)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        envelope = Envelope(
            type="ReferralAssigned",
            report_id="r1",
            producer="routing",
            payload=referral("r1", "ref-1", urgent=True, at=clock()).model_dump(mode="json"),
        )
        await broker.publish(topics.REFERRALS, key="r1", value=envelope.to_bytes(), headers=[])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            [*found] = await rows(engine, orm.notifications)
            if found and found[0].status != "pending":
                break
            clock.now += timedelta(seconds=5)  # the service's time runs fast: backoff passes
            await asyncio.sleep(0.01)
        client = webhook._client
        assert client is not None and not client.is_closed
    finally:
        stop.set()
        await task
        await broker.stop()
    assert client.is_closed, "the delivery worker closes the webhook's HTTP client when it stops"

    # The receiver: four requests, every one signed as documented, the same delivery id.
    assert [r.status for r in receiver.received] == [503, 503, 503, 200]
    assert all(r.valid for r in receiver.received)
    assert [r.headers["x-safetynet-attempt"] for r in receiver.received] == ["1", "2", "3", "4"]
    [notification] = await rows(engine, orm.notifications)
    assert {r.headers["x-safetynet-delivery"] for r in receiver.received} == {notification.notification_id}
    assert {r.path for r in receiver.received} == {"/safetynet/hook"}
    document = json.loads(receiver.received[-1].body)
    assert (document["kind"], document["urgent"], document["content"]["referral_id"]) == ("referral", True, "ref-1")
    assert document["subject"].startswith("[URGENT] ")

    # notify: every attempt and its result kept, the last delivered, with backoff between.
    assert (notification.status, notification.attempts) == ("delivered", 4)
    assert await attempts(engine) == [
        (1, "failed", "HTTP 503"),
        (2, "failed", "HTTP 503"),
        (3, "failed", "HTTP 503"),
        (4, "delivered", "HTTP 200"),
    ]
    times = sorted(d.attempted_at for d in await rows(engine, orm.deliveries))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    floors = [webhook.retry.delay(n, rand=lambda: 0.0) for n in (1, 2, 3)]  # backoff without jitter
    assert all(gap >= floor for gap, floor in zip(gaps, floors)), (gaps, floors)

    # The report's timeline hears of every attempt (intake projects NotificationSent).
    sent = [e["payload"] for e in await published(engine, "NotificationSent")]
    assert [(p["attempt"], p["outcome"], p["dead_lettered"], p["urgent"]) for p in sent] == [
        (1, "failed", False, True),
        (2, "failed", False, True),
        (3, "failed", False, True),
        (4, "delivered", False, True),
    ]
    assert sent[1]["detail"].startswith("attempt 2: HTTP 503; retrying in ")
    assert sent[3]["detail"] == "attempt 4: HTTP 200"


async def published(engine: Any, type_: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = (await conn.execute(select(orm.outbox).order_by(orm.outbox.c.id))).all()
    return [e for e in (json.loads(r.value) for r in found) if e["type"] == type_]


# -- webhook: a wrong signature is detectable --------------------------------------------------


def one_notification(address: str, *, channel: str = "webhook") -> Notification:
    [n] = referral_notifications(
        report_id="r1",
        referral_id="ref-1",
        county=COUNTY,
        kind="protection",
        unit=UNIT,
        urgent=True,
        assigned_at=datetime(2026, 11, 20, tzinfo=UTC),
        recipients=[Recipient(UNIT, channel, address)],
    )
    return n


async def test_the_receiver_detects_a_tampered_body_a_wrong_secret_and_a_stale_request(receiver) -> None:
    channel = WebhookChannel(secret=SECRET)
    try:
        result = await channel.send(one_notification(receiver.url))
    finally:
        await channel.aclose()
    assert (result.outcome, result.detail) == ("delivered", "HTTP 200")
    [request] = receiver.received
    headers, body = request.headers, request.body
    secret = unit_secret(SECRET.encode(), UNIT).encode()  # the unit's own secret
    assert receiver_verifies(secret, headers, body)
    assert verify(
        secret, timestamp=headers["x-safetynet-timestamp"], body=body, signature=headers["x-safetynet-signature"]
    )  # notify's helper agrees

    tampered = body.replace(b'"urgent":true', b'"urgent":false')
    assert tampered != body
    assert not receiver_verifies(secret, headers, tampered)
    assert not receiver_verifies(b"another-units-secret-0123", headers, body)
    moved = headers | {"x-safetynet-timestamp": str(int(headers["x-safetynet-timestamp"]) - 1)}
    assert not receiver_verifies(secret, moved, body)  # the timestamp is signed too
    assert not receiver_verifies(secret, headers, body, now=time.time() + 301)  # a replayed capture
    forged = (
        "sha256="
        + hmac.new(
            b"guessed-secret-0123456789", headers["x-safetynet-timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert not receiver_verifies(secret, headers | {"x-safetynet-signature": forged}, body)


async def test_a_service_with_the_wrong_secret_is_refused_and_not_retried(
    harness, settings, tmp_path, clock, receiver
) -> None:
    settings = notify_settings(
        settings,
        tmp_path,
        webhook_secret="not-the-units-secret-0123",
        directory=unit_on({"channel": "webhook", "address": receiver.url}),
    )
    boot(harness, settings)
    await harness.referral_assigned("r1", "ref-1")
    for _ in range(3):
        await harness.tick()
        clock.now += timedelta(hours=1)
    assert [(r.valid, r.status) for r in receiver.received] == [(False, 401)]
    [notification] = await harness.rows(orm.notifications)
    assert (notification.status, notification.attempts) == ("failed", 1)
    [sent] = [e["payload"] for e in await harness.outbox("NotificationSent")]
    assert (sent["dead_lettered"], sent["detail"]) == (True, "attempt 1: HTTP 401; dead-lettered (not retryable)")


# -- email through a real SMTP server -------------------------------------------------------------


async def test_an_urgent_referral_is_mailed_through_a_real_smtp_server(
    harness, engine, settings, tmp_path, smtp
) -> None:
    inbox, port = smtp
    settings = notify_settings(
        settings,
        tmp_path,
        smtp_url=f"smtp://dispatch%40county:p%40ss%3Aw%2Frd@127.0.0.1:{port}",
        directory=unit_on({"channel": "email", "address": "intake@dv.example.org, duty@dv.example.org"}),
    )
    boot(harness, settings)
    await harness.referral_assigned("r1", "ref-1", urgent=True)
    await harness.tick()  # at once: no waiting for a later tick

    assert inbox.logins == [(b"dispatch@county", b"p@ss:w/rd")]  # credentials from the URL, decoded
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "safetynet@county.example"
    assert envelope.rcpt_tos == ["intake@dv.example.org", "duty@dv.example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    [notification] = await harness.rows(orm.notifications)
    assert message["Subject"] == f"[URGENT] New protection referral ref-1 for {UNIT}"
    assert (message["Importance"], message["X-Priority"]) == ("high", "1")
    assert message["X-SafetyNet-Notification"] == notification.notification_id
    assert "referral_id: ref-1" in message.get_content()
    assert (notification.status, notification.attempts) == ("delivered", 1)
    assert [(a, o) for a, o, _ in await attempts(engine)] == [(1, "delivered")]
    [sent] = [e["payload"] for e in await harness.outbox("NotificationSent")]
    assert (sent["channel"], sent["outcome"], sent["urgent"]) == ("email", "delivered", True)


async def test_a_busy_mailbox_is_retried_and_wrong_credentials_are_not(smtp) -> None:
    inbox, port = smtp
    inbox.refuse_first = 1
    channel = EmailChannel.from_url(
        f"smtp://dispatch%40county:p%40ss%3Aw%2Frd@127.0.0.1:{port}", sender="safetynet@county.example", timeout=5
    )
    busy = await channel.send(one_notification("intake@dv.example.org", channel="email"))
    assert (busy.outcome, busy.retryable) == ("failed", True) and "451" in (busy.detail or "")
    assert (await channel.send(one_notification("intake@dv.example.org", channel="email"))).outcome == "delivered"

    wrong = EmailChannel.from_url(
        f"smtp://dispatch%40county:guess@127.0.0.1:{port}", sender="safetynet@county.example", timeout=5
    )
    refused = await wrong.send(one_notification("intake@dv.example.org", channel="email"))
    assert (refused.outcome, refused.retryable) == ("failed", False) and "535" in (refused.detail or "")
    assert len(inbox.envelopes) == 1


# -- dead letter, then `safetynet notify replay` -----------------------------------------------


async def run_cli(monkeypatch: Any, tmp_path: Path, settings: NotifySettings, *argv: str) -> int:
    from safetynet.cli import main as cli

    monkeypatch.chdir(tmp_path)  # the CLI makes ./var for SQLite
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SAFETYNET_NOTIFY_DIRECTORY", str(settings.notify_directory))
    return await cli.run(cli._parser().parse_args(list(argv)))


async def test_a_dead_letter_is_replayed_by_the_command_and_delivered(
    harness, engine, settings, tmp_path, clock, receiver, monkeypatch, capsys
) -> None:
    receiver.fail_next = 99
    settings = notify_settings(
        settings,
        tmp_path,
        webhook_secret=SECRET,
        notify_max_attempts=3,
        directory=unit_on({"channel": "webhook", "address": receiver.url}),
    )
    boot(harness, settings)
    await harness.referral_assigned("r1", "ref-1", urgent=True)
    for _ in range(6):
        await harness.tick()
        clock.now += timedelta(hours=1)
    [notification] = await harness.rows(orm.notifications)
    assert (notification.status, notification.attempts) == ("failed", 3)  # dead-lettered after N = 3
    assert len(receiver.received) == 3

    receiver.fail_next = 1  # the unit's endpoint is back, but still flaky
    assert await run_cli(monkeypatch, tmp_path, settings, "notify", "replay", "--all-dead") == 0
    out = capsys.readouterr().out
    assert (
        f"replayed {notification.notification_id} (referral of report r1 to {UNIT} by webhook): "
        "replayed after 3 attempts" in out
    )
    assert out.splitlines()[-1] == "1 notification replayed"

    for _ in range(3):
        await harness.tick()
        clock.now += timedelta(hours=1)
    [notification] = await harness.rows(orm.notifications)
    # A fresh round: attempt 4 fails and is retried (not dead again at once), 5 delivers.
    assert (notification.status, notification.attempts) == ("delivered", 5)
    assert [(a, o) for a, o, _ in await attempts(engine)] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "failed"),
        (5, "delivered"),
    ]
    assert [r.headers["x-safetynet-attempt"] for r in receiver.received] == ["1", "2", "3", "4", "5"]
    sent = [e["payload"] for e in await harness.outbox("NotificationSent")]
    assert [(p["attempt"], p["outcome"], p["dead_lettered"]) for p in sent] == [
        (1, "failed", False),
        (2, "failed", False),
        (3, "failed", True),
        (4, "failed", False),
        (5, "delivered", False),
    ]

    # Only dead letters are replayed.
    assert (
        await run_cli(
            monkeypatch,
            tmp_path,
            settings,
            "notify",
            "replay",
            "--notification-id",
            notification.notification_id,
            "--notification-id",
            "nope",
        )
        == 1
    )
    out = capsys.readouterr().out
    assert (
        f"not replayed: {notification.notification_id} (referral of report r1 to {UNIT} by webhook): "
        "not dead-lettered (delivered)" in out
    )
    assert "not replayed: nope: no such notification" in out
    assert await run_cli(monkeypatch, tmp_path, settings, "notify", "replay", "--all-dead") == 0
    assert capsys.readouterr().out.strip() == "0 notifications replayed (none is dead-lettered)"
    assert len(receiver.received) == 5


async def test_a_replay_goes_to_the_address_the_directory_now_gives(
    harness, engine, settings, tmp_path, clock, receiver, monkeypatch, capsys
) -> None:
    gone = await WebhookReceiver(SECRET).start()
    old_url = gone.url
    await gone.close()  # a URL where nothing listens any more
    settings = notify_settings(
        settings,
        tmp_path,
        webhook_secret=SECRET,
        notify_max_attempts=2,
        directory=unit_on({"channel": "webhook", "address": old_url}),
    )
    boot(harness, settings)
    await harness.referral_assigned("r1", "ref-1")
    for _ in range(3):
        await harness.tick()
        clock.now += timedelta(hours=1)
    [notification] = await harness.rows(orm.notifications)
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert all("ConnectError" in (detail or "") for _, _, detail in await attempts(engine))

    assert settings.notify_directory is not None  # the operator corrects the unit's URL
    settings.notify_directory.write_text(json.dumps(unit_on({"channel": "webhook", "address": receiver.url})))
    assert (
        await run_cli(
            monkeypatch, tmp_path, settings, "notify", "replay", "--notification-id", notification.notification_id
        )
        == 0
    )
    assert f"now to {receiver.url}" in capsys.readouterr().out
    harness.boot()  # the service restarts with the corrected directory
    await harness.tick()
    [notification] = await harness.rows(orm.notifications)
    assert (notification.status, notification.attempts, notification.address) == ("delivered", 3, receiver.url)
    assert [r.status for r in receiver.received] == [200]


# -- wiring from the settings -------------------------------------------------------------------


def test_the_settings_choose_the_channels(settings, tmp_path) -> None:
    plain = notify_settings(settings, tmp_path, directory={})
    assert set(channels_from(plain)) == {"recording"}
    full = notify_settings(
        settings,
        tmp_path,
        directory={},
        webhook_secret=SECRET,
        notify_max_attempts=7,
        smtp_url="smtps://dispatch:hunter2-smtp-pw@mail.example",
    )
    channels = channels_from(full)
    assert set(channels) == {"recording", "webhook", "email"}
    assert isinstance(channels["recording"], RecordingChannel)
    assert {c.retry.max_attempts for c in channels.values()} == {7}
    assert isinstance(channels["email"], EmailChannel) and channels["email"]._smtp["use_tls"] is True
    assert "hunter2" not in repr(full) and SECRET not in repr(full)
