"""docker-compose.yml cannot run here (no Docker engine), so keep it true by reading it:
its services, environment variables and ports must match the code."""

from pathlib import Path

import pytest
import yaml

from safetynet.cli.services import SERVICE_NAMES, SETTINGS
from safetynet.notify.settings import NotifySettings
from safetynet.platform.settings import PlatformSettings

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
# The services share one block of variables: each must be read by some service's settings.
SETTINGS_ENV = {f"SAFETYNET_{name.upper()}" for cls in SETTINGS.values() for name in cls.model_fields}
REQUIRED_IN_PRODUCTION = {"SAFETYNET_DATABASE_URL", "SAFETYNET_KAFKA_BOOTSTRAP"}
# Intake's secrets: each service is handed only the secrets it uses.
INTAKE_SECRETS = {"SAFETYNET_SUBJECT_HASH_KEY", "SAFETYNET_KEY_RING", "SAFETYNET_CONSOLE_SECRET", "SAFETYNET_AUDIT_KEY"}


OBSERVABILITY = {"otel-collector", "jaeger", "prometheus", "grafana"}
ROOT = Path(__file__).parents[2]


def test_it_runs_kafka_postgres_a_migration_job_the_four_services_and_observability():
    assert set(COMPOSE["services"]) == {"kafka", "postgres", "migrate", *SERVICE_NAMES, *OBSERVABILITY}
    assert COMPOSE["services"]["migrate"]["command"] == ["migrate"]


@pytest.mark.parametrize("service", [*SERVICE_NAMES, "migrate"])
def test_every_environment_variable_is_a_setting(service):
    env = {k for k in COMPOSE["services"][service]["environment"] if not k.startswith("OTEL_")}
    unknown = env - SETTINGS_ENV
    assert not unknown, f"{service} sets variables no settings class reads: {unknown}"
    assert env >= REQUIRED_IN_PRODUCTION


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_runs_itself_after_migrations_with_a_health_check(service):
    spec = COMPOSE["services"][service]
    assert spec["command"][:2] == ["serve", service]
    port = spec["command"][spec["command"].index("--port") + 1]
    assert f"127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"])
    assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", [*SERVICE_NAMES, "migrate"])
def test_only_intake_holds_intakes_secrets(service):
    env = COMPOSE["services"][service]["environment"]
    held = INTAKE_SECRETS & set(env)
    assert held == (INTAKE_SECRETS if service == "intake" else set()), service


def test_intake_publishes_the_port_it_listens_on():
    intake = COMPOSE["services"]["intake"]
    port = intake["command"][intake["command"].index("--port") + 1]
    assert f"{port}:{port}" in intake["ports"]


def test_the_database_url_uses_the_compose_postgres_credentials():
    env = COMPOSE["services"]["intake"]["environment"]
    pg = COMPOSE["services"]["postgres"]["environment"]
    settings = PlatformSettings(database_url=env["SAFETYNET_DATABASE_URL"])
    assert f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}" in settings.database_url
    assert env["SAFETYNET_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"


def test_the_sla_settings_in_compose_are_valid():
    env = COMPOSE["services"]["notify"]["environment"]
    settings = NotifySettings(
        sla_seconds=env["SAFETYNET_SLA_SECONDS"], sla_warn_seconds=env["SAFETYNET_SLA_WARN_SECONDS"]
    )
    assert settings.sla_warn_seconds == [57600, 79200]


def test_services_send_traces_to_the_collector_and_prometheus_scrapes_each_one():
    env = COMPOSE["services"]["intake"]["environment"]
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector:")
    scrape = yaml.safe_load((ROOT / "deploy/observability/prometheus.yaml").read_text())
    targets = {t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    port = COMPOSE["services"]["intake"]["environment"]["SAFETYNET_METRICS_PORT"]
    assert port != "8000" and targets == {f"{name}:{port}" for name in SERVICE_NAMES}
    assert all(f"{port}:{port}" not in COMPOSE["services"][n].get("ports", []) for n in SERVICE_NAMES)


def test_every_mounted_observability_file_exists():
    for name in OBSERVABILITY:
        for volume in COMPOSE["services"][name].get("volumes", []):
            source = volume.split(":")[0]
            assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_the_dashboard_queries_metrics_the_services_export():
    import json

    dashboard = json.loads((ROOT / "deploy/observability/grafana/safetynet-sla.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "safetynet_sla_events",
        "safetynet_time_to_assign_seconds",
        "safetynet_consumer_lag",
        "safetynet_outbox_backlog",
        "safetynet_dead_letters",
    ):
        assert metric in exprs
