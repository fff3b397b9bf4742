"""Intake's metrics, through the OpenTelemetry API (the entrypoint process sets up the
SDK and the Prometheus exporter; without it these are no-ops)."""

from collections.abc import Sequence

from opentelemetry import metrics

_meter = metrics.get_meter("safetynet.intake")
_received = _meter.create_counter("safetynet_reports_received", description="Reports accepted, by source and category")
# Buckets that fit a 24-hour SLA: seconds for automatic assignment, hours for people.
_SLA_BUCKETS = [
    1,
    5,
    15,
    60,
    300,
    900,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    16 * 3600,
    22 * 3600,
    24 * 3600,
    48 * 3600,
]
_time_to_assign = _meter.create_histogram(
    "safetynet_time_to_assign_seconds",
    unit="s",
    description="From acceptance to a referral's assignment",
    explicit_bucket_boundaries_advisory=_SLA_BUCKETS,
)
_time_to_acknowledge = _meter.create_histogram(
    "safetynet_time_to_acknowledge_seconds",
    unit="s",
    description="From acceptance to a unit's acknowledgement",
    explicit_bucket_boundaries_advisory=_SLA_BUCKETS,
)
_sla = _meter.create_counter("safetynet_sla_events", description="SLA warnings, breaches and met clocks, by county")


def observe_report(*, source: str, categories: Sequence[str]) -> None:
    for category in categories:
        _received.add(1, {"source": source, "category": category})


def observe_referral(status: str, *, kind: str, seconds: float) -> None:
    if status == "assigned":
        _time_to_assign.record(seconds, {"kind": kind})
    elif status == "acknowledged":
        _time_to_acknowledge.record(seconds, {"kind": kind})


def observe_sla(event_type: str, *, county: str) -> None:
    _sla.add(1, {"event": event_type, "county": county})
