"""The long-term care review reminder loop (issue 14): every `interval` seconds, remind
the units whose households' review dates have passed. A loop as the SLA scheduler is
(`group`, `run(stop)`), with `tick()` for a test to drive by hand with its own clock."""

import asyncio
from collections.abc import Callable
from datetime import datetime

from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.entrypoints.loops import _every
from safetynet.notify.service_layer.long_term_review import remind_overdue_reviews
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

# Review dates are days: checking once a minute is prompt enough, and cheap (an index).
INTERVAL_SECONDS = 60.0


class ReviewReminder:
    group = "safetynet-notify-reviews"

    def __init__(
        self,
        *,
        uow_factory: Callable[[], NotifyUnitOfWork],
        directory: UnitDirectory,
        clock: Callable[[], datetime],
        interval: float = INTERVAL_SECONDS,
        batch: int = 100,
    ):
        self._uow_factory = uow_factory
        self._directory = directory
        self._clock = clock
        self._interval = interval
        self._batch = batch

    async def tick(self) -> int:
        """Remind every household due now, a batch per transaction; return how many."""
        now, reminded = self._clock(), 0
        while True:
            count = await remind_overdue_reviews(
                now=now, uow=self._uow_factory(), directory=self._directory, limit=self._batch
            )
            reminded += count
            if count < self._batch:
                return reminded

    async def run(self, stop: asyncio.Event) -> None:
        await _every(self._interval, self.tick, stop, name=self.group)
