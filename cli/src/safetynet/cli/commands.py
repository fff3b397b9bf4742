"""The CLI's commands. The only place that composes the four services."""

import argparse
import asyncio
import importlib
import signal
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn

from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.messaging.broker import Broker
from safetynet.contracts.messaging.kafka import KafkaBroker
from safetynet.contracts.messaging.readiness import AfterDependencies, Dependencies, database_answers, gate_readiness
from safetynet.contracts.messaging.runtime import ServiceRuntime
from safetynet.contracts.messaging.sqlbus import SqlLogBroker
from safetynet.contracts.migrations import upgrade
from safetynet.contracts.settings import Settings
from safetynet.contracts.storage import is_sqlite, make_engine
from safetynet.contracts import topics
from safetynet.cli import telemetry
from safetynet.cli.metrics import metrics_server, watch_runtimes
from safetynet.cli import welcome
from safetynet.cli.keys import audit_command, keys_command, quiet_upgrade
from safetynet.cli.ops import ops_app
from safetynet.cli.schemas import export_schemas

SERVICE_NAMES = ("intake", "screening", "routing", "notify")


class UsageError(Exception):
    """The command cannot run as asked."""


def service_module(name: str) -> ModuleType:
    return importlib.import_module(f"safetynet.{name}.bootstrap")


async def run(args: argparse.Namespace) -> int:
    if args.command == "contracts":
        for path in export_schemas(Path(args.out)):
            print(path)
        return 0
    settings = Settings()
    if is_sqlite(settings.database_url):
        Path("var").mkdir(exist_ok=True)
    if args.command == "migrate":
        await migrate(settings, args.service or SERVICE_NAMES)
        return 0
    if args.command == "keys":
        return await keys_command(settings, args)
    if args.command == "audit":
        return await audit_command(settings, args)
    if args.command == "notify":
        return await notify_replay(settings, notification_ids=args.notification_id or [], all_dead=args.all_dead)
    if args.command == "crypto":
        return await crypto_rotate(settings, batch_size=args.batch_size)
    if args.command == "retention":
        return await retention_run(settings, dry_run=args.dry_run, batch_size=args.batch_size)
    if args.command == "dev":
        return await dev(settings, host=args.host, port=args.port, demo=args.demo)
    if args.command == "serve":
        return await serve(settings, args.service, host=args.host, port=args.port)
    raise UsageError(f"unknown command {args.command}")


async def migrate(settings: Settings, services: Any) -> None:
    engine = make_engine(settings.database_url)
    try:
        for name in services:
            module = service_module(name)
            await upgrade(engine, schema=name, script_location=module.MIGRATIONS)
            print(f"migrated {name}")
    finally:
        await engine.dispose()


async def notify_replay(settings: Settings, *, notification_ids: list[str], all_dead: bool) -> int:
    """Put dead-lettered notifications back in notify's queue; the running delivery
    worker sends them at its next tick, to the unit directory's current addresses."""
    from datetime import datetime, timezone

    from safetynet.notify.adapters.directory import UnitDirectory
    from safetynet.notify.service_layer import handlers
    from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

    directory = UnitDirectory.load(settings.notify_directory)
    engine = make_engine(settings.database_url)
    try:
        results = await handlers.replay_notifications(
            notification_ids=notification_ids, all_dead=all_dead, directory=directory,
            now=datetime.now(timezone.utc), uow=NotifyUnitOfWork(engine))
    finally:
        await engine.dispose()
    for result in results:
        print(("replayed " if result.replayed else "not replayed: ") + result.describe())
    replayed = sum(r.replayed for r in results)
    print(f"{replayed} notification{'s' if replayed != 1 else ''} replayed"
          + ("" if results or not all_dead else " (none is dead-lettered)"))
    return 0 if all(r.replayed for r in results) else 1


async def crypto_rotate(settings: Settings, *, batch_size: int) -> int:
    """Seal every report's personal data under the key ring's newest key."""
    from safetynet.contracts.crypto import DEV_KEY
    from safetynet.intake.adapters.crypto import ReportCipher
    from safetynet.intake.service_layer import privacy
    from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

    ring = settings.key_ring_keys()
    if ring.holds(DEV_KEY) and not is_sqlite(settings.database_url):
        raise UsageError("set SAFETYNET_KEY_RING: the development key is not for production")
    cipher = ReportCipher(ring)
    engine = make_engine(settings.database_url)
    try:
        counts = await privacy.rotate_keys(uow=lambda: IntakeUnitOfWork(engine, cipher=cipher), batch_size=batch_size)
        code, failure = 0, ""
    except privacy.RotationFailed as error:
        counts, code, failure = error.counts, 1, str(error)
    finally:
        await engine.dispose()
    print(f"key {ring.active_id}: {counts.resealed} reports sealed again, {counts.encrypted} sealed for the "
          f"first time, {counts.skipped} changed meanwhile (left), in {counts.batches} batches")
    if failure:
        print(f"stopped: {failure}")
    return code


async def retention_run(settings: Settings, *, dry_run: bool, batch_size: int) -> int:
    """Purge the personal data of reports past their county's retention period."""
    from datetime import datetime, timezone

    from safetynet.intake.service_layer import privacy
    from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

    directory = CountyDirectory.load(settings.county_data)
    engine = make_engine(settings.database_url)
    try:
        counts = await privacy.run_retention(uow=lambda: IntakeUnitOfWork(engine), directory=directory,
                                             now=datetime.now(timezone.utc), dry_run=dry_run, batch_size=batch_size)
    finally:
        await engine.dispose()
    print(f"{counts.closed} closed reports hold personal data, {counts.due} past their county's retention period, "
          f"{counts.purged} purged" + (" (dry run: nothing purged)" if dry_run else ""))
    return 0


def build(name: str, *, settings: Settings, engine: Any, broker: Broker) -> Any:
    return service_module(name).bootstrap(settings=settings, engine=engine, broker=broker)


async def dev(settings: Settings, *, host: str, port: int, demo: bool = False) -> int:
    """Everything in one process: the first run and the fast tests."""
    # dev runs on the embedded broker even where SAFETYNET_KAFKA_BOOTSTRAP is set, and so
    # takes the embedded mode's defaults (plain-HTTP cookies on 127.0.0.1, among others).
    settings = settings.model_copy(update={"kafka_bootstrap": None})
    telemetry.setup("dev")
    engine = make_engine(settings.database_url)
    telemetry.instrument_engine(engine)
    broker = SqlLogBroker(engine, partitions=settings.kafka_partitions)
    await broker.start()
    for name in SERVICE_NAMES:  # the embedded mode may migrate on start; production does not
        await quiet_upgrade(engine, schema=name, script_location=service_module(name).MIGRATIONS)
    intake = build("intake", settings=settings, engine=engine, broker=broker)
    runtimes = [intake.runtime] + [build(n, settings=settings, engine=engine, broker=broker)
                                   for n in SERVICE_NAMES[1:]]
    serve_metrics(intake.app, runtimes, settings.metrics_port)
    try:
        await welcome.announce(settings, intake=intake, host=host, port=port, demo=demo)
        await run_until_signal(runtimes, app=intake.app, host=host, port=port)
    finally:
        await broker.stop()
        await engine.dispose()
    return 0


async def serve(settings: Settings, name: str, *, host: str, port: int) -> int:
    """One service as its own process, as production runs it."""
    settings.require_production(personal_data=name == "intake")
    if is_sqlite(settings.database_url):
        raise UsageError("set SAFETYNET_DATABASE_URL to PostgreSQL for the production services")
    telemetry.setup(name)
    broker = KafkaBroker(settings.kafka_bootstrap or "", client_id=f"safetynet-{name}",
                         partitions=settings.kafka_partitions)
    engine = make_engine(settings.database_url)
    telemetry.instrument_engine(engine)
    # Waited out with backoff (readiness.py) rather than exiting when one is down.
    dependencies = Dependencies(name, [
        ("postgresql", lambda: database_answers(engine)),
        ("kafka topics", lambda: broker.ensure_topics(
            topics.ALL_WITH_DEAD_LETTERS, replication_factor=settings.kafka_replication_factor)),
        ("kafka", broker.start)])
    built = build(name, settings=settings, engine=engine, broker=broker)
    runtime, app = (built.runtime, built.app) if name == "intake" else (built, ops_app(name, engine))
    gate_readiness(app, dependencies)
    serve_metrics(app, [runtime], settings.metrics_port)
    try:
        await run_until_signal([AfterDependencies(runtime, dependencies)], app=app, host=host, port=port)
    finally:
        await broker.stop()
        await engine.dispose()
    return 0


def serve_metrics(app: Any, runtimes: list[ServiceRuntime], port: int | None) -> None:
    """The HTTP spans on the process's HTTP app; /metrics for Prometheus on a port of its
    own (SAFETYNET_METRICS_PORT), never the API's: run_until_signal serves it."""
    watch_runtimes(runtimes)
    app.state.metrics_port = port
    telemetry.instrument_app(app)


async def run_until_signal(runtimes: list[ServiceRuntime], *, app: Any, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(r.run(stop), name=r.name) for r in runtimes]
    if app is not None:
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info",
                                               lifespan="off", access_log=False, timeout_graceful_shutdown=5,
                                               log_config=None,  # our JSON root logger
                                               proxy_headers=False))  # the app trusts SAFETYNET_TRUSTED_PROXIES
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        tasks.append(asyncio.create_task(server.serve(), name="http"))
        tasks.append(asyncio.create_task(_stop_server_on(stop, server)))
        if getattr(app.state, "metrics_port", None):
            metrics = metrics_server(host=host, port=app.state.metrics_port)
            tasks.append(asyncio.create_task(metrics.serve(), name="metrics"))
            tasks.append(asyncio.create_task(_stop_server_on(stop, metrics)))
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception():
            raise task.exception()  # type: ignore[misc]


async def _stop_server_on(stop: asyncio.Event, server: uvicorn.Server) -> None:
    await stop.wait()
    server.should_exit = True


