"""What one service runs: its consumer loops and its outbox relay."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData

from safetynet.contracts.messaging.consumer import ConsumerLoop
from safetynet.contracts.messaging.outbox import OutboxRelay


@dataclass
class ServiceRuntime:
    name: str
    schema: str
    metadata: MetaData
    migrations: Path
    loops: list[ConsumerLoop] = field(default_factory=list)
    relay: OutboxRelay | None = None

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
