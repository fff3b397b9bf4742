"""The interface every notification channel implements."""

from typing import Protocol

from safetynet.notify.domain import DeliveryResult, Notification, RetryPolicy


class NotificationChannel(Protocol):
    """Delivers one attempt of a notification. A channel does not retry by itself: it
    reports what happened and the delivery worker, which keeps every attempt in the
    database, decides when to try again (`retry`) and when to give up."""

    name: str  # as the unit directory names it: "recording", "webhook", "email"
    retry: RetryPolicy

    async def send(self, notification: Notification) -> DeliveryResult:
        """Try once. Return a failed result rather than raise for an expected failure
        (a refused connection, a 5xx); an exception counts as a retryable failure."""
        ...

    # A channel that holds a connection pool may also have `async def aclose(self)`: the
    # delivery worker calls it when it stops.
