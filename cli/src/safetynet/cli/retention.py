"""`safetynet retention run [--dry-run]`: purge the personal data of reports closed longer
ago than their county's retention_days (intake's)."""

import argparse

from safetynet.cli.database import open_engine
from safetynet.intake import admin as intake
from safetynet.intake.settings import IntakeSettings


async def run(args: argparse.Namespace) -> int:
    settings = IntakeSettings()
    async with open_engine(settings) as engine:
        counts = await intake.run_retention(
            engine=engine, settings=settings, dry_run=args.dry_run, batch_size=args.batch_size
        )
    print(
        f"{counts.closed} closed reports hold personal data, {counts.due} past their county's retention period, "
        f"{counts.purged} purged" + (" (dry run: nothing purged)" if args.dry_run else "")
    )
    return 0
