"""`safetynet serve SERVICE`: one service as its own process, as production runs it (on
Kafka and PostgreSQL), and what it shares with `dev`: running until a signal, with the
HTTP app and /metrics beside the service's loops."""

import argparse
import asyncio
import gc
import signal
from typing import Any

import uvicorn

from safetynet.cli import telemetry
from safetynet.cli.database import open_engine
from safetynet.cli.metrics import metrics_server, watch_runtimes
from safetynet.cli.ops import ops_app
from safetynet.cli.services import build, settings_for
from safetynet.contracts import topics
from safetynet.platform.messaging.kafka import KafkaBroker
from safetynet.platform.messaging.readiness import AfterDependencies, Dependencies, database_answers, gate_readiness
from safetynet.platform.messaging.runtime import ServiceRuntime
from safetynet.platform.storage import is_sqlite


async def run(args: argparse.Namespace) -> int:
    name = args.service
    settings = settings_for(name)
    # Each service refuses its own development defaults: intake its secrets, all an embedded broker.
    settings.require_production()
    if is_sqlite(settings.database_url):
        raise ValueError("set SAFETYNET_DATABASE_URL to PostgreSQL for the production services")
    telemetry.setup(name)
    broker = KafkaBroker(
        settings.kafka_bootstrap or "",
        client_id=f"safetynet-{name}",
        partitions=settings.kafka_partitions,
        batch_linger_ms=settings.kafka_batch_linger_ms,
    )
    async with open_engine(settings) as engine:
        telemetry.instrument_engine(engine)
        # Waited out with backoff (readiness.py) rather than exiting when one is down.
        dependencies = Dependencies(
            name,
            [
                ("postgresql", lambda: database_answers(engine)),
                (
                    "kafka topics",
                    lambda: broker.ensure_topics(
                        topics.ALL_WITH_DEAD_LETTERS, replication_factor=settings.kafka_replication_factor
                    ),
                ),
                ("kafka", broker.start),
            ],
        )
        runtime = build(name, settings=settings, engine=engine, broker=broker)
        # A service without an API of its own answers the probes on a small ops app.
        app = runtime.app or ops_app(name, engine)
        gate_readiness(app, dependencies)
        instrument(app, [runtime])
        try:
            await run_until_signal(
                [AfterDependencies(runtime, dependencies)],
                app=app,
                host=args.host,
                port=args.port,
                metrics_port=settings.metrics_port,
            )
        finally:
            await broker.stop()
    return 0


def instrument(app: Any, runtimes: list[ServiceRuntime]) -> None:
    """The HTTP spans on the process's HTTP app, and the runtimes' gauges on /metrics."""
    watch_runtimes(runtimes)
    telemetry.instrument_app(app)


async def run_until_signal(runtimes: list[Any], *, app: Any, host: str, port: int, metrics_port: int | None) -> None:
    """Run the runtimes and serve `app` until SIGINT or SIGTERM, or until one of them
    stops; /metrics for Prometheus on a port of its own (SAFETYNET_METRICS_PORT), never
    the API's."""
    # Everything built so far (modules, the app, the mappers: hundreds of thousands of
    # objects) lives as long as the process: out of the collector's sight, so a full
    # collection no longer walks it each time. Garbage made from here on is collected
    # as before; the start-up's own garbage is collected first, or freezing would keep it
    # for good (~14 MB in intake).
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(r.run(stop), name=r.name) for r in runtimes]
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="info",
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=5,
                log_config=None,  # our JSON root logger
                proxy_headers=False,
            )
        )
    ]  # the app trusts SAFETYNET_TRUSTED_PROXIES
    if metrics_port:
        servers.append(metrics_server(host=host, port=metrics_port))
    for server in servers:
        # uvicorn (0.29+) also catches SIGINT/SIGTERM while it serves, but the loop still
        # sees them (its wakeup fd), so `stop` (above) is set and everything stops together.
        tasks.append(asyncio.create_task(server.serve(), name=f"http:{server.config.port}"))
        tasks.append(asyncio.create_task(_stop_server_on(stop, server)))
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


async def _stop_server_on(stop: asyncio.Event, server: uvicorn.Server) -> None:
    await stop.wait()
    server.should_exit = True
