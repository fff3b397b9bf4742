"""The webhook and email channels against an in-process HTTP endpoint and SMTP server."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from safetynet.notify.adapters.channels import EmailChannel, WebhookChannel
from safetynet.notify.adapters.channels.webhook import sign, unit_secret, verify
from safetynet.notify.domain import Notification, Recipient, referral_notifications

SECRET = b"unit-shared-secret"
NOW = 1_795_000_000.0


def notification(address: str | None, *, urgent: bool = True, channel: str = "webhook") -> Notification:
    [n] = referral_notifications(
        report_id="r1",
        referral_id="ref-1",
        county="苗栗縣",
        kind="protection",
        unit="苗栗縣/protection",
        urgent=urgent,
        assigned_at=datetime(2026, 11, 20, tzinfo=UTC),
        recipients=[Recipient("苗栗縣/protection", channel, address)],
    )
    return n


def webhook(handler) -> WebhookChannel:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WebhookChannel(secret=SECRET, client=client, clock=lambda: NOW)


# Webhook


async def test_webhook_posts_signed_json() -> None:
    seen: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    n = notification("https://dv.example.org/hook")
    result = await webhook(endpoint).send(n)
    assert (result.outcome, result.detail) == ("delivered", "HTTP 202")
    [request] = seen
    body = request.content
    assert json.loads(body) == {
        "id": n.notification_id,
        "kind": "referral",
        "report_id": "r1",
        "county": "苗栗縣",
        "recipient": "苗栗縣/protection",
        "urgent": True,
        "subject": n.subject,
        "content": dict(n.content),
    }
    headers = request.headers
    assert headers["X-SafetyNet-Delivery"] == n.notification_id and headers["X-SafetyNet-Attempt"] == "1"
    assert headers["X-SafetyNet-Timestamp"] == str(int(NOW))
    own = unit_secret(SECRET, "苗栗縣/protection").encode()  # the unit's own secret, not the master
    assert headers["X-SafetyNet-Signature"] == sign(own, str(int(NOW)), body)
    assert verify(
        own,
        timestamp=headers["X-SafetyNet-Timestamp"],
        body=body,
        signature=headers["X-SafetyNet-Signature"],
        now=NOW + 10,
    )
    assert json.loads(body)["id"] == headers["X-SafetyNet-Delivery"]  # dedupe on the signed id


async def test_each_unit_has_its_own_webhook_secret() -> None:
    """Issue 11: all units shared one secret, so any unit could forge another's webhooks."""
    seen: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    channel = webhook(endpoint)
    for unit in ("苗栗縣/protection", "苗栗縣/welfare_center_toufen"):
        [n] = referral_notifications(
            report_id="r1",
            referral_id=f"ref-{unit}",
            county="苗栗縣",
            kind="protection",
            unit=unit,
            urgent=False,
            assigned_at=datetime(2026, 11, 20, tzinfo=UTC),
            recipients=[Recipient(unit, "webhook", "https://unit.example.org/hook")],
        )
        await channel.send(n)
    first, second = seen
    secrets = [
        unit_secret(SECRET, "苗栗縣/protection").encode(),
        unit_secret(SECRET, "苗栗縣/welfare_center_toufen").encode(),
    ]
    assert secrets[0] != secrets[1]
    for request, own, other in ((first, secrets[0], secrets[1]), (second, secrets[1], secrets[0])):
        args = {
            "timestamp": request.headers["X-SafetyNet-Timestamp"],
            "body": request.content,
            "signature": request.headers["X-SafetyNet-Signature"],
            "now": NOW,
        }
        assert verify(own, **args)
        assert not verify(other, **args) and not verify(SECRET, **args)


def test_verify_rejects_tampering_a_wrong_secret_and_replays() -> None:
    body, ts = b'{"id":"x"}', str(int(NOW))
    good = sign(SECRET, ts, body)
    assert verify(SECRET, timestamp=ts, body=body, signature=good, now=NOW)
    assert not verify(SECRET, timestamp=ts, body=b'{"id":"y"}', signature=good, now=NOW)
    assert not verify(b"other", timestamp=ts, body=body, signature=good, now=NOW)
    assert not verify(SECRET, timestamp=str(int(NOW) + 1), body=body, signature=good, now=NOW)
    assert not verify(SECRET, timestamp=ts, body=body, signature=good, now=NOW + 301)
    assert not verify(SECRET, timestamp="soon", body=body, signature=good, now=NOW)


@pytest.mark.parametrize(
    "status, retryable",
    [(500, True), (503, True), (429, True), (408, True), (400, False), (401, False), (404, False), (410, False)],
)
async def test_webhook_failures_say_whether_to_retry(status: int, retryable: bool) -> None:
    result = await webhook(lambda request: httpx.Response(status)).send(notification("https://x.example"))
    assert (result.outcome, result.detail, result.retryable) == ("failed", f"HTTP {status}", retryable)


async def test_webhook_unreachable_is_retried_and_a_missing_url_is_not() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    unreachable = await webhook(refuse).send(notification("https://x.example"))
    assert unreachable.outcome == "failed" and unreachable.retryable and "ConnectError" in (unreachable.detail or "")
    missing = await webhook(refuse).send(notification(None))
    assert missing.outcome == "failed" and not missing.retryable


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        WebhookChannel(secret="")


# Email


class TinySmtpServer:
    """Just enough SMTP to accept (or refuse) one message per connection."""

    def __init__(self, *, rcpt_reply: bytes = b"250 OK"):
        self.rcpt_reply = rcpt_reply
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: bytes) -> None:
            writer.write(line + b"\r\n")

        reply(b"220 tiny ESMTP")
        sender, rcpts = "", []
        while line := await reader.readline():
            verb = line.decode().strip()
            upper = verb.upper()
            if upper.startswith("EHLO"):
                reply(b"250-tiny\r\n250 8BITMIME")
            elif upper.startswith("MAIL FROM:"):
                sender = verb[10:].strip(" <>").split(">")[0]
                reply(b"250 OK")
            elif upper.startswith("RCPT TO:"):
                rcpts.append(verb[8:].strip(" <>"))
                reply(self.rcpt_reply)
            elif upper == "DATA":
                reply(b"354 go ahead")
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                self.messages.append((sender, rcpts, data))
                reply(b"250 queued")
            elif upper == "QUIT":
                reply(b"221 bye")
                await writer.drain()
                break
            else:
                reply(b"250 OK")
            await writer.drain()
        writer.close()


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[TinySmtpServer, int]]:
    server = TinySmtpServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    yield server, port
    listener.close()
    await listener.wait_closed()


async def test_email_is_sent_through_the_relay(smtp) -> None:
    server, port = smtp
    channel = EmailChannel(hostname="127.0.0.1", port=port, sender="safetynet@example.org", start_tls=False)
    n = notification("intake@dv.example.org, duty@dv.example.org", channel="email")
    result = await channel.send(n)
    assert result.outcome == "delivered"
    [(sender, rcpts, data)] = server.messages
    assert sender == "safetynet@example.org"
    assert rcpts == ["intake@dv.example.org", "duty@dv.example.org"]
    text = data.decode()
    assert f"X-SafetyNet-Notification: {n.notification_id}" in text and "Importance: high" in text
    assert "referral_id: ref-1" in text


async def test_email_refused_for_good_is_not_retried(smtp) -> None:
    server, port = smtp
    server.rcpt_reply = b"550 no such mailbox"
    channel = EmailChannel(hostname="127.0.0.1", port=port, sender="safetynet@example.org", start_tls=False)
    result = await channel.send(notification("nobody@dv.example.org", channel="email"))
    assert result.outcome == "failed" and not result.retryable


async def test_email_relay_down_is_retried() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    channel = EmailChannel(hostname="127.0.0.1", port=port, sender="safetynet@example.org", timeout=2)
    result = await channel.send(notification("a@b.example", channel="email"))
    assert result.outcome == "failed" and result.retryable
    missing = await channel.send(notification(None, channel="email"))
    assert missing.outcome == "failed" and not missing.retryable
