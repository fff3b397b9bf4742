"""/metrics: Prometheus text from the OpenTelemetry meters, plus the gauges that are read
off the running loops (consumer lag, outbox backlog)."""

from typing import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from safetynet.contracts.messaging.runtime import ServiceRuntime

_runtimes: list[ServiceRuntime] = []


def watch_runtimes(runtimes: list[ServiceRuntime]) -> None:
    _runtimes.extend(runtimes)


def _lag(options: CallbackOptions) -> Iterable[Observation]:
    for runtime in _runtimes:
        for loop in runtime.loops:
            for (topic, partition), lag in getattr(loop, "lag", lambda: {})().items():
                yield Observation(lag, {"group": loop.group, "topic": topic, "partition": str(partition)})


def _backlog(options: CallbackOptions) -> Iterable[Observation]:
    for runtime in _runtimes:
        if runtime.relay is not None:
            yield Observation(runtime.relay.pending, {"service": runtime.name})


_meter = metrics.get_meter("safetynet.ops")
_meter.create_observable_gauge("safetynet_consumer_lag", [_lag], description="Messages not yet consumed, per group and partition")
_meter.create_observable_gauge("safetynet_outbox_backlog", [_backlog], description="Events written but not yet published")


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
