"""`safetynet migrate [--service NAME]…`: apply the services' migrations, a separate step
from starting them (production never migrates on start)."""

import argparse

from safetynet.cli.database import open_engine
from safetynet.cli.services import SERVICE_NAMES, admin_module
from safetynet.platform.settings import PlatformSettings


async def run(args: argparse.Namespace) -> int:
    settings = PlatformSettings()
    async with open_engine(settings) as engine:
        for name in args.service or SERVICE_NAMES:
            await admin_module(name).migrate(engine=engine)
            print(f"migrated {name}")
    return 0
