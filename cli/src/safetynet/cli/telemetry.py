"""OpenTelemetry and logging, set up once per process by the entrypoint.

Exporters follow the standard OTEL_* variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_TRACES_EXPORTER=otlp) sends spans over OTLP/HTTP, OTEL_TRACES_EXPORTER=console
prints them, OTEL_SDK_DISABLED=true turns the SDK off. Without an exporter the SDK still
makes real trace ids, so logs and Kafka headers carry them.

What is traced: one span per HTTP request, one consumer span per event a service
handles (the child of the span that emitted the event: the relay forwards the stored
context and opens no span of its own), and each notification attempt and SLA timer,
all in the report's trace. Database statements are not traced by
default: a span per statement cost a quarter of every service's CPU and told ops
nothing the handler's span does not (SAFETYNET_TRACE_SQL=true turns them on, one
instrumentation: SQLAlchemy's).
"""

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

_configured = False


class _Resource(Resource):
    """A resource that hashes once. The OTLP encoder groups every span it exports by its
    resource, and Resource hashes by serializing its attributes to JSON on each call: a
    tenth of the export thread's CPU, for a value that never changes."""

    _hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


def setup(service: str, *, span_exporter: SpanExporter | None = None) -> None:
    """Tracing, metrics and library instrumentation for this process (idempotent)."""
    global _configured
    if _configured or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    _configured = True
    created = Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME", f"safetynet-{service}"), "service.namespace": "safetynet"}
    )
    resource = _Resource(created.attributes, created.schema_url)
    provider = TracerProvider(resource=resource)
    exporter = span_exporter or _exporter_from_environment()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    # The Prometheus reader registers with prometheus_client's default registry, which
    # /metrics serves.
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()]))
    # Kafka headers are written and read by the messaging core itself (the relay's
    # producer span, the consumer's process span), so no client instrumentation.


def instrument_engine(engine: Any) -> None:
    if os.environ.get("SAFETYNET_TRACE_SQL", "").lower() in ("1", "true", "yes"):
        # Imported here, as FastAPI's below: each loads its library, and every command
        # (`--help` too) imports this module for its logging.
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)


def instrument_app(app: Any) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # see instrument_engine

    # One span per request: the ASGI receive/send sub-spans (two or three per request)
    # only say that bytes moved.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])


def _exporter_from_environment() -> SpanExporter | None:
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "").lower()
    if chosen == "console":
        return ConsoleSpanExporter()
    if (
        chosen == "otlp"
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        # Only when asked for: the OTLP exporter brings protobuf and an HTTP client along.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the trace and span ids of the current span, so a
    log line leads to its trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: int = logging.INFO, *, readable: bool = False) -> None:
    """JSON lines (for log collectors) unless `readable` (a person at a terminal);
    SAFETYNET_LOG_FORMAT=json|text decides when set."""
    handler = logging.StreamHandler()
    chosen = os.environ.get("SAFETYNET_LOG_FORMAT", "").lower()
    if chosen == "json" or (chosen != "text" and not readable):
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet_database_drivers(level)
    # alembic announces each of its built-in plugins at INFO when it is first imported
    # (after this, since a command's modules are imported once it is chosen): noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(level, logging.WARNING))


def quiet_database_drivers(level: int) -> None:
    """Database drivers log bound values at DEBUG (and SQLAlchemy every statement at INFO),
    and staff free text can name people: keep them at WARNING, whatever the root level."""
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
