"""`safetynet crypto rotate`: seal every report's personal data under the newest key of
SAFETYNET_KEY_RING (intake's), in batches, safe while the services run."""

import argparse

from safetynet.cli.database import open_engine
from safetynet.intake import admin as intake
from safetynet.intake.settings import IntakeSettings


async def run(args: argparse.Namespace) -> int:
    settings = IntakeSettings()
    async with open_engine(settings) as engine:
        done = await intake.rotate_personal_data_key(engine=engine, settings=settings, batch_size=args.batch_size)
    counts = done.counts
    print(
        f"key {done.key_id}: {counts.resealed} reports sealed again, {counts.encrypted} sealed for the "
        f"first time, {counts.skipped} changed meanwhile (left), in {counts.batches} batches"
    )
    if done.failure:
        print(f"stopped: {done.failure}")
        return 1
    return 0
