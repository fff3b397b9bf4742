"""`safetynet notify replay`: send dead-lettered notifications again (notify's). The
running delivery worker sends them at its next tick, to the unit directory's current
addresses; exit 1 when any asked for was not replayed."""

import argparse

from safetynet.cli.database import open_engine
from safetynet.notify import admin as notify
from safetynet.notify.settings import NotifySettings


async def run(args: argparse.Namespace) -> int:
    settings = NotifySettings()
    async with open_engine(settings) as engine:
        results = await notify.replay_dead_letters(
            engine=engine, settings=settings, notification_ids=args.notification_id or [], all_dead=args.all_dead
        )
    for result in results:
        print(("replayed " if result.replayed else "not replayed: ") + result.describe())
    replayed = sum(r.replayed for r in results)
    print(
        f"{replayed} notification{'s' if replayed != 1 else ''} replayed"
        + ("" if results or not args.all_dead else " (none is dead-lettered)")
    )
    return 0 if all(r.replayed for r in results) else 1
