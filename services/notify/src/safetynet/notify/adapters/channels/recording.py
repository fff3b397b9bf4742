"""The default channel: records the notification and logs it. It never fails, which is
what the embedded mode and the tests want; real units get webhook or email."""

import logging
from collections import deque

from safetynet.notify.domain import DeliveryResult, Notification, RetryPolicy

log = logging.getLogger(__name__)


class RecordingChannel:
    name = "recording"

    def __init__(self, *, keep: int = 1000):
        self.retry = RetryPolicy()
        # The most recent notifications, for a dev console or a test to look at; bounded
        # so a long-running embedded process does not grow without end.
        self.sent: deque[Notification] = deque(maxlen=keep)

    async def send(self, notification: Notification) -> DeliveryResult:
        self.sent.append(notification)
        log.info(
            "notification %s to %s: %s", notification.notification_id, notification.recipient, notification.subject
        )
        return DeliveryResult(outcome="recorded")
