"""Referral notifications on SQLite with the real migrations: one per referral per
channel, every attempt recorded, NotificationSent through the outbox, retries."""

from datetime import timedelta

from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels import RecordingChannel
from safetynet.notify.adapters.directory import Endpoint, UnitDirectory
from safetynet.notify.domain import DeliveryResult, Notification, RetryPolicy


class FlakyChannel:
    """Fails `failures` times, then delivers."""

    name = "webhook"

    def __init__(self, failures: int, *, retryable: bool = True, max_attempts: int = 4):
        self.retry = RetryPolicy(max_attempts=max_attempts, base_seconds=10, cap_seconds=60)
        self.failures = failures
        self.retryable = retryable
        self.calls: list[Notification] = []

    async def send(self, notification: Notification) -> DeliveryResult:
        self.calls.append(notification)
        if len(self.calls) <= self.failures:
            return DeliveryResult("failed", f"503 on attempt {notification.attempt}", retryable=self.retryable)
        return DeliveryResult("delivered", "200")


async def test_one_notification_per_referral_even_when_delivered_twice(harness) -> None:
    recording = RecordingChannel()
    harness.boot(channels={"recording": recording})
    event = await harness.referral_assigned("r1", "ref-1", urgent=True)
    await harness.referral_assigned("r1", "ref-1", urgent=True, event_id=event.event_id)  # broker redelivery
    await harness.referral_assigned("r1", "ref-1", urgent=True)  # re-published under a new event id
    await harness.tick()
    await harness.tick()
    [notification] = await harness.rows(orm.notifications)
    assert (notification.referral_id, notification.channel, notification.status, notification.urgent) == (
        "ref-1",
        "recording",
        "delivered",
        True,
    )
    assert len(await harness.rows(orm.deliveries)) == 1
    assert [n.referral_id for n in recording.sent] == ["ref-1"]
    [sent] = await harness.outbox("NotificationSent")
    assert sent["payload"] | {"at": None} == {
        "report_id": "r1",
        "referral_id": "ref-1",
        "unit": "苗栗縣/protection",
        "channel": "recording",
        "urgent": True,
        "at": None,
        "outcome": "recorded",
        "detail": "attempt 1: recorded",
        "attempt": 1,
        "dead_lettered": False,
        "notice": None,  # a referral notification, not an early-intervention notice
    }


async def test_each_referral_and_channel_gets_its_own_notification(harness) -> None:
    directory = UnitDirectory(
        units={
            "苗栗縣/protection": {
                "channels": [
                    Endpoint(channel="recording"),
                    Endpoint(channel="webhook", address="https://dv.example.org"),
                ]
            }
        }
    )
    webhook = FlakyChannel(0)
    harness.boot(directory=directory, channels={"recording": RecordingChannel(), "webhook": webhook})
    await harness.referral_assigned("r1", "ref-1")
    await harness.referral_assigned("r1", "ref-2", unit="苗栗縣/mental_health")
    await harness.tick()
    rows = sorted((n.referral_id, n.channel, n.status) for n in await harness.rows(orm.notifications))
    assert rows == [
        ("ref-1", "recording", "delivered"),
        ("ref-1", "webhook", "delivered"),
        ("ref-2", "recording", "delivered"),
    ]
    assert [n.address for n in webhook.calls] == ["https://dv.example.org"]
    assert sorted(e["payload"]["outcome"] for e in await harness.outbox("NotificationSent")) == [
        "delivered",
        "recorded",
        "recorded",
    ]


async def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_recorded(harness, clock) -> None:
    directory = UnitDirectory(default_channels=[Endpoint(channel="webhook")])
    webhook = FlakyChannel(2)
    harness.boot(directory=directory, channels={"webhook": webhook})
    await harness.referral_assigned("r1", "ref-1")
    await harness.tick()
    assert len(webhook.calls) == 1
    await harness.tick()
    assert len(webhook.calls) == 1  # not due again before its backoff
    for minutes in (1, 2, 3):
        clock.now += timedelta(minutes=minutes)
        await harness.tick()
    assert [n.attempt for n in webhook.calls] == [1, 2, 3]
    attempts = [(d.attempt, d.outcome) for d in await harness.rows(orm.deliveries)]
    assert attempts == [(1, "failed"), (2, "failed"), (3, "delivered")]
    # Every attempt reaches the report's timeline, not only the last one.
    sent = [e["payload"] for e in await harness.outbox("NotificationSent")]
    assert [(p["attempt"], p["outcome"], p["dead_lettered"]) for p in sent] == [
        (1, "failed", False),
        (2, "failed", False),
        (3, "delivered", False),
    ]
    assert sent[0]["detail"].startswith("attempt 1: 503 on attempt 1; retrying in ")
    assert sent[2]["detail"] == "attempt 3: 200"


async def test_dead_letter_after_max_attempts(harness, clock) -> None:
    directory = UnitDirectory(default_channels=[Endpoint(channel="webhook")])
    webhook = FlakyChannel(99, max_attempts=3)
    harness.boot(directory=directory, channels={"webhook": webhook})
    await harness.referral_assigned("r1", "ref-1")
    for _ in range(6):
        await harness.tick()
        clock.now += timedelta(hours=1)
    assert len(webhook.calls) == 3
    [notification] = await harness.rows(orm.notifications)
    assert (notification.status, notification.attempts) == ("failed", 3)
    *retried, dead = [e["payload"] for e in await harness.outbox("NotificationSent")]
    assert [(p["attempt"], p["dead_lettered"]) for p in retried] == [(1, False), (2, False)]
    assert (dead["attempt"], dead["outcome"], dead["dead_lettered"], dead["detail"]) == (
        3,
        "failed",
        True,
        "attempt 3: 503 on attempt 3; dead-lettered after 3 attempts",
    )


async def test_a_permanent_failure_or_missing_channel_is_not_retried(harness, clock) -> None:
    directory = UnitDirectory(default_channels=[Endpoint(channel="webhook"), Endpoint(channel="email")])
    webhook = FlakyChannel(99, retryable=False)
    harness.boot(directory=directory, channels={"webhook": webhook})
    await harness.referral_assigned("r1", "ref-1")
    for _ in range(3):
        await harness.tick()
        clock.now += timedelta(hours=1)
    assert len(webhook.calls) == 1
    outcomes = sorted(
        (e["payload"]["channel"], e["payload"]["outcome"], e["payload"]["dead_lettered"], e["payload"]["detail"])
        for e in await harness.outbox("NotificationSent")
    )
    assert outcomes == [
        ("email", "failed", True, "attempt 1: channel 'email' is not configured; dead-lettered (not retryable)"),
        ("webhook", "failed", True, "attempt 1: 503 on attempt 1; dead-lettered (not retryable)"),
    ]


async def test_a_channel_that_raises_is_retried(harness, clock) -> None:
    class Broken:
        name = "recording"
        retry = RetryPolicy(max_attempts=2, base_seconds=1)

        async def send(self, notification: Notification) -> DeliveryResult:
            raise ConnectionResetError("peer went away")

    harness.boot(channels={"recording": Broken()})
    await harness.referral_assigned("r1", "ref-1")
    await harness.tick()
    clock.now += timedelta(minutes=5)
    await harness.tick()
    details = [(d.outcome, d.detail) for d in await harness.rows(orm.deliveries)]
    assert details == [("failed", "ConnectionResetError: peer went away")] * 2
    [notification] = await harness.rows(orm.notifications)
    assert notification.status == "failed"


async def test_a_send_that_outlives_its_lease_is_not_reported_twice(harness, clock) -> None:
    import asyncio

    from safetynet.notify.entrypoints.loops import DeliveryWorker

    class SlowFirst:
        name = "recording"
        retry = RetryPolicy()

        def __init__(self) -> None:
            self.release = asyncio.Event()
            self.calls = 0

        async def send(self, notification: Notification) -> DeliveryResult:
            self.calls += 1
            if self.calls == 1:
                await self.release.wait()  # stuck past its lease
            return DeliveryResult("delivered")

    channel = SlowFirst()
    stuck = harness.boot(channels={"recording": channel})
    await harness.referral_assigned("r1", "ref-1")
    stuck_worker = next(loop for loop in stuck.loops if isinstance(loop, DeliveryWorker))
    first = asyncio.create_task(stuck_worker.tick())
    while channel.calls == 0:
        await asyncio.sleep(0.01)
    clock.now += timedelta(minutes=3)  # the lease ran out: another worker takes it over
    harness.boot(channels={"recording": channel})
    await harness.tick()
    channel.release.set()
    await first
    assert channel.calls == 2
    assert [d.attempt for d in await harness.rows(orm.deliveries)] == [1, 1]
    assert len(await harness.outbox("NotificationSent")) == 1


async def test_a_breach_escalates_through_a_signed_webhook(harness, clock) -> None:
    import json

    import httpx

    from safetynet.notify.adapters.channels import WebhookChannel
    from safetynet.notify.adapters.channels.webhook import unit_secret, verify

    requests: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200)

    directory = UnitDirectory.model_validate(
        {
            "counties": {
                "苗栗縣": {
                    "dispatch_supervisors": {
                        "苗栗縣/night-lead": {
                            "channels": [{"channel": "webhook", "address": "https://ops.example.org/sla"}]
                        },
                        "苗栗縣/day-lead": {},
                    }
                }
            }
        }
    )
    recording = RecordingChannel()
    webhook = WebhookChannel(secret="s3cret", client=httpx.AsyncClient(transport=httpx.MockTransport(endpoint)))
    harness.boot(directory=directory, channels={"recording": recording, "webhook": webhook})
    await harness.report_received("r1")
    clock.at(hours=24)
    await harness.tick()
    [breach] = await harness.outbox("SlaBreached")
    assert breach["payload"]["escalated_to"] == ["苗栗縣/day-lead", "苗栗縣/night-lead"]
    [request] = requests
    assert str(request.url) == "https://ops.example.org/sla"
    assert verify(
        unit_secret(b"s3cret", "苗栗縣/night-lead").encode(),
        timestamp=request.headers["X-SafetyNet-Timestamp"],
        body=request.content,
        signature=request.headers["X-SafetyNet-Signature"],
    )
    assert json.loads(request.content)["kind"] == "escalation"
    assert [n.recipient for n in recording.sent] == ["苗栗縣/day-lead"]
    assert sorted((d.channel, d.outcome) for d in await harness.rows(orm.deliveries)) == [
        ("recording", "recorded"),
        ("webhook", "delivered"),
    ]
    assert await harness.outbox("NotificationSent") == []  # escalations are not referral notifications
