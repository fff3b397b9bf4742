"""/metrics: Prometheus text from the OpenTelemetry meters, plus the gauges that are read
off the running loops (consumer lag, outbox backlog).

Served on its own port (SAFETYNET_METRICS_PORT) by an app that serves nothing else, never
on the API's: the counts by category and source are not for the public, and the port is
kept off the ingress (only Prometheus reaches it)."""

from collections.abc import Iterable

import uvicorn
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from safetynet.platform.messaging.runtime import ServiceRuntime

_runtimes: list[ServiceRuntime] = []


def watch_runtimes(runtimes: list[ServiceRuntime]) -> None:
    _runtimes.extend(runtimes)


def _lag(options: CallbackOptions) -> Iterable[Observation]:
    for runtime in _runtimes:
        for loop in runtime.loops:
            for (topic, partition), lag in getattr(loop, "lag", dict)().items():
                yield Observation(lag, {"group": loop.group, "topic": topic, "partition": str(partition)})


def _backlog(options: CallbackOptions) -> Iterable[Observation]:
    for runtime in _runtimes:
        if runtime.relay is not None:
            yield Observation(runtime.relay.pending, {"service": runtime.name})


_meter = metrics.get_meter("safetynet.ops")
_meter.create_observable_gauge(
    "safetynet_consumer_lag", [_lag], description="Messages not yet consumed, per group and partition"
)
_meter.create_observable_gauge(
    "safetynet_outbox_backlog", [_backlog], description="Events written but not yet published"
)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def metrics_app() -> Starlette:
    return Starlette(routes=[Route("/metrics", metrics_endpoint)])


def metrics_server(*, host: str, port: int) -> uvicorn.Server:
    # Stopped with the others by run_until_signal (cli/serve.py).
    return uvicorn.Server(
        uvicorn.Config(
            metrics_app(), host=host, port=port, log_level="warning", lifespan="off", access_log=False, log_config=None
        )
    )
