"""The webhook channel: the notification as JSON, POSTed to the unit's URL and signed.

What a receiver gets (documented for the units' developers):

    POST <the unit's URL from the unit directory>
    Content-Type: application/json
    X-SafetyNet-Delivery:  the notification id (the body's signed `id`; this header is not signed)
    X-SafetyNet-Attempt:   1, 2, ... (retries back off exponentially, with jitter)
    X-SafetyNet-Timestamp: Unix seconds when the request was signed
    X-SafetyNet-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the unit's own secret>

    {"id": ..., "kind": "referral" | "escalation" | "early_intervention", "report_id": ..., "county": ...,
     "recipient": ..., "urgent": true | false, "subject": ..., "content": {...}}

To verify: recompute the HMAC over the timestamp header, a ".", and the raw body bytes;
compare in constant time (`verify` below does it); reject a timestamp more than five
minutes away from now, so a captured request cannot be replayed later. Then deduplicate
on the body's `id` (signed, the same on every retry), never on a header. Answer 2xx to
accept. 408, 425, 429 and 5xx (and no answer) are retried; other statuses are not.

Each unit has its own secret (`unit_secret`: derived from SAFETYNET_WEBHOOK_SECRET and the
recipient id; `safetynet keys webhook-secret --unit ID` prints it), so one unit's secret
cannot sign, or check, what is sent to another.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from safetynet.notify.domain import DeliveryResult, Notification, RetryPolicy

SIGNATURE_HEADER = "X-SafetyNet-Signature"
TIMESTAMP_HEADER = "X-SafetyNet-Timestamp"
DELIVERY_HEADER = "X-SafetyNet-Delivery"
ATTEMPT_HEADER = "X-SafetyNet-Attempt"
REPLAY_WINDOW_SECONDS = 300
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def unit_secret(master: bytes, recipient: str) -> str:
    """The secret a recipient (unit or supervisor) verifies its webhooks with; its UTF-8
    bytes are the HMAC key."""
    return hmac.new(master, b"safetynet-webhook-unit-v1|" + recipient.encode(), hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-SafetyNet-Signature value for `body` signed at `timestamp`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is fresh."""
    try:
        fresh = abs((time.time() if now is None else now) - int(timestamp)) <= window
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(notification: Notification) -> bytes:
    n = notification
    document = {
        "id": n.notification_id,
        "kind": n.kind,
        "report_id": n.report_id,
        "county": n.county,
        "recipient": n.recipient,
        "urgent": n.urgent,
        "subject": n.subject,
        "content": dict(n.content),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        *,
        secret: str | bytes,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ):
        if not secret:
            raise ValueError("a webhook channel needs a signing secret")
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._client = client
        self._owns_client = client is None  # a client passed in is its owner's to close
        self._timeout = timeout
        self._clock = clock
        # Units' endpoints go down for maintenance: keep trying for about an hour.
        self.retry = retry or RetryPolicy(max_attempts=8, base_seconds=15, cap_seconds=900)

    async def send(self, notification: Notification) -> DeliveryResult:
        if not notification.address:
            return DeliveryResult("failed", f"no webhook URL for {notification.recipient}", retryable=False)
        body = body_of(notification)
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: notification.notification_id,
            ATTEMPT_HEADER: str(notification.attempt),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(unit_secret(self._secret, notification.recipient).encode(), timestamp, body),
        }
        try:
            response = await self._http().post(
                notification.address, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as error:  # refused, reset, timed out: the endpoint may come back
            return DeliveryResult("failed", f"{type(error).__name__}: {error}")
        if response.is_success:
            return DeliveryResult("delivered", f"HTTP {response.status_code}")
        status = response.status_code
        return DeliveryResult("failed", f"HTTP {status}", retryable=status in RETRYABLE_STATUSES or status >= 500)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client this channel opened (the delivery worker does, at shutdown)."""
        if self._client is not None and self._owns_client:
            client, self._client = self._client, None
            await client.aclose()
