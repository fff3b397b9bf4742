"""What one service runs: its loops (consumers, timers) and its outbox relay."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import MetaData
from starlette.applications import Starlette

from safetynet.platform.messaging.outbox import OutboxRelay


class Loop(Protocol):
    """Anything a service runs until it is stopped: a consumer loop, a timer. `group`
    names it (the consumer group, or the timer's name) in task names, logs and metrics."""

    @property
    def group(self) -> str: ...

    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass
class ServiceRuntime:
    name: str
    schema: str
    metadata: MetaData
    migrations: Path
    loops: list[Loop] = field(default_factory=list)
    relay: OutboxRelay | None = None
    # The service's own HTTP app (intake's API and console); None: the service has none,
    # and whoever serves it gives it the ops app (liveness and readiness) instead.
    app: Starlette | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; a crashed loop stops the whole service."""
        tasks = [asyncio.create_task(loop.run(stop), name=f"{self.name}:{loop.group}") for loop in self.loops]
        if self.relay is not None:
            tasks.append(asyncio.create_task(self.relay.run(stop), name=f"{self.name}:relay"))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
