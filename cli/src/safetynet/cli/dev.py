"""`safetynet dev [--demo]`: all four services in one process, on SQLite (or the database
SAFETYNET_DATABASE_URL names) and the embedded broker: the first run and the fast tests."""

import argparse
from typing import cast

from safetynet.cli import telemetry, welcome
from safetynet.cli.database import open_engine, quiet_migrations
from safetynet.cli.serve import instrument, run_until_signal
from safetynet.cli.services import SERVICE_NAMES, admin_module, build, settings_for
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.messaging.sqlbus import SqlLogBroker


async def run(args: argparse.Namespace) -> int:
    # dev runs on the embedded broker even where SAFETYNET_KAFKA_BOOTSTRAP is set, and so
    # takes the embedded mode's defaults (plain-HTTP cookies on 127.0.0.1, among others).
    every = {name: settings_for(name, kafka_bootstrap=None) for name in SERVICE_NAMES}
    # The process's own (database, metrics port, the welcome's keys): intake's, a superset of the platform's.
    settings = cast(IntakeSettings, every["intake"])
    telemetry.setup("dev")
    async with open_engine(settings) as engine:
        telemetry.instrument_engine(engine)
        broker = SqlLogBroker(engine, partitions=settings.kafka_partitions)
        await broker.start()
        try:
            with quiet_migrations():  # the embedded mode may migrate on start; production does not
                for name in SERVICE_NAMES:
                    await admin_module(name).migrate(engine=engine)
            runtimes = [build(name, settings=every[name], engine=engine, broker=broker) for name in SERVICE_NAMES]
            # One HTTP app serves the process: intake's API and console.
            app = next(runtime.app for runtime in runtimes if runtime.app is not None)
            instrument(app, runtimes)
            await welcome.announce(
                settings,
                engine=engine,
                app=app,
                directory=CountyDirectory.load(settings.county_data),
                host=args.host,
                port=args.port,
                demo=args.demo,
            )
            await run_until_signal(
                runtimes, app=app, host=args.host, port=args.port, metrics_port=settings.metrics_port
            )
        finally:
            await broker.stop()
    return 0
