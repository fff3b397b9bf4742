"""The two timed loops of the notify service: the SLA scheduler and the delivery worker.

Each has the shape ServiceRuntime runs (`group` and `run(stop)`), and `tick()` for a test
to drive it by hand with its own clock.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from safetynet.notify.adapters.channels import NotificationChannel
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.domain import SlaPolicy
from safetynet.notify.service_layer import delivery, handlers
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

log = logging.getLogger(__name__)


class SlaScheduler:
    """Fires the SLA timers that are due, every `interval` seconds."""

    group = "safetynet-notify-scheduler"

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotifyUnitOfWork],
        policy: SlaPolicy,
        directory: UnitDirectory,
        clock: Callable[[], datetime],
        interval: float = 1.0,
        batch: int = 100,
    ):
        self._uow_factory = uow_factory
        self._policy = policy
        self._directory = directory
        self._clock = clock
        self._interval = interval
        self._batch = batch

    async def tick(self) -> int:
        """Fire every timer due now, a batch per transaction; return how many fired."""
        now, fired = self._clock(), 0
        while True:
            count = await handlers.fire_due_timers(
                now=now, limit=self._batch, uow=self._uow_factory(), policy=self._policy, directory=self._directory
            )
            fired += count
            if count < self._batch:
                return fired

    async def run(self, stop: asyncio.Event) -> None:
        await _every(self._interval, self.tick, stop, name=self.group)


class DeliveryWorker:
    """Sends planned notifications through their channels; woken when some are planned."""

    group = "safetynet-notify-delivery"

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotifyUnitOfWork],
        channels: Mapping[str, NotificationChannel],
        clock: Callable[[], datetime],
        interval: float = 1.0,
        batch: int = 50,
    ):
        self._uow_factory = uow_factory
        self.channels = channels
        self._clock = clock
        self._interval = interval
        self._batch = batch
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def tick(self) -> int:
        """Try every notification due now; return how many were tried."""
        tried = 0
        while True:
            count = await delivery.deliver_due(
                uow_factory=self._uow_factory, channels=self.channels, clock=self._clock, limit=self._batch
            )
            tried += count
            if count < self._batch:
                return tried

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await _every(self._interval, self.tick, stop, name=self.group, wakeup=self._wakeup)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the channels that hold connections (the webhook's HTTP client)."""
        for channel in {id(c): c for c in self.channels.values()}.values():
            close = getattr(channel, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:  # shutting down: note it and close the others
                log.warning("%s: closing channel %s failed", self.group, channel.name, exc_info=True)


async def _every(
    interval: float,
    tick: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    name: str,
    wakeup: asyncio.Event | None = None,
) -> None:
    """Run `tick` every `interval` seconds (sooner when woken) until `stop` is set."""
    wakeup = wakeup or asyncio.Event()
    while not stop.is_set():
        wakeup.clear()
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:  # the database is away or a tick failed: what is due stays due
            log.warning("%s: tick failed; retrying", name, exc_info=True)
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
        try:
            await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()
