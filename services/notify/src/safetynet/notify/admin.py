"""What the `safetynet` command may do to notify, and all it reaches of it: migrations,
replaying dead-lettered notifications, and each unit's webhook signing secret.

Each function takes what the command opened (the engine) and the settings, and returns
what it did for the command to print. Refused, a ValueError, says why a command cannot
run as asked.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.notify.adapters import orm
from safetynet.notify.adapters.channels.webhook import unit_secret
from safetynet.notify.adapters.directory import UnitDirectory
from safetynet.notify.bootstrap import MIGRATIONS
from safetynet.notify.service_layer import handlers
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork
from safetynet.notify.settings import NotifySettings
from safetynet.platform.migrations import upgrade

Replay = handlers.Replay


class Refused(ValueError):
    """The command cannot run as asked; the message says why."""


async def migrate(*, engine: AsyncEngine) -> None:
    """Bring notify's tables to the newest migration."""
    await upgrade(engine, schema=orm.SCHEMA, script_location=MIGRATIONS)


async def replay_dead_letters(
    *, engine: AsyncEngine, settings: NotifySettings, notification_ids: Sequence[str] = (), all_dead: bool = False
) -> list[Replay]:
    """Put dead-lettered notifications back in the queue, to the unit directory's current addresses."""
    # The running delivery worker sends them at its next tick, with a fresh round of attempts.
    return await handlers.replay_notifications(
        notification_ids=notification_ids,
        all_dead=all_dead,
        directory=UnitDirectory.load(settings.notify_directory),
        now=datetime.now(UTC),
        uow=NotifyUnitOfWork(engine),
    )


def webhook_secret(*, settings: NotifySettings, unit: str) -> str:
    """A unit's own webhook signing secret, derived from SAFETYNET_WEBHOOK_SECRET."""
    if settings.webhook_secret is None:
        raise Refused("set SAFETYNET_WEBHOOK_SECRET first: each unit's secret is derived from it")
    return unit_secret(settings.webhook_secret.get_secret_value().encode(), unit)
