"""deploy/k8s cannot be applied here (no cluster), so keep it true by rendering it: every
Kustomize overlay goes through kustomize v5 and scripts/k8s-validate's checks (Kubernetes
schemas, the Strimzi and CloudNativePG resources, the wiring), and the tests below pin
what the code needs: the Kafka topics, the partition count, the SAFETYNET_* settings and
the commands the services run. Skips only when no kustomize can be had (no Go to build
it, none on PATH); the script builds it into var/tools/bin on the first run (~30 s)."""

import copy
import importlib.machinery
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from safetynet.cli.services import SERVICE_NAMES
from safetynet.contracts import topics
from safetynet.platform.settings import PlatformSettings

REPO = Path(__file__).parents[2]
SCRIPT = REPO / "scripts" / "k8s-validate"
OVERLAYS = ("dev", "prod")
REQUIRED_IN_PRODUCTION = {"SAFETYNET_DATABASE_URL", "SAFETYNET_KAFKA_BOOTSTRAP"}
INTAKE_SECRETS = {
    "SAFETYNET_SUBJECT_HASH_KEY": "subject-hash-key",
    "SAFETYNET_KEY_RING": "key-ring",
    "SAFETYNET_CONSOLE_SECRET": "console-secret",
    "SAFETYNET_AUDIT_KEY": "audit-key",
}
WORKLOADS = [*(("Deployment", f"safetynet-{s}") for s in SERVICE_NAMES), ("Job", "safetynet-migrate")]


def _load_script():
    loader = importlib.machinery.SourceFileLoader("k8s_validate", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("k8s_validate", loader))
    loader.exec_module(module)
    return module


k8s = _load_script()
# One ConfigMap serves the four services: a key must be read by some service's settings.
SETTINGS_ENV = {f"SAFETYNET_{name.upper()}" for name in k8s.manifest_settings_class().model_fields}


@pytest.fixture(scope="module")
def kustomize() -> list[str]:
    try:
        return k8s.ensure_kustomize()
    except k8s.KustomizeUnavailable as e:
        pytest.skip(f"no kustomize v5 to render deploy/k8s with: {e}")


@pytest.fixture(scope="module")
def rendered(kustomize) -> dict[str, list[dict]]:
    return {overlay: k8s.render(overlay, kustomize) for overlay in OVERLAYS}


def one(docs: list[dict], kind: str, name: str) -> dict:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def config(docs: list[dict]) -> dict[str, str]:
    (data,) = [
        d["data"] for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("safetynet-config")
    ]
    return data


def container(docs: list[dict], kind: str, name: str) -> dict:
    return one(docs, kind, name)["spec"]["template"]["spec"]["containers"][0]


# --- the script --------------------------------------------------------------------------


def test_the_overlays_are_dev_and_prod():
    assert k8s.overlays() == list(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_passes_every_check(rendered, overlay):
    assert k8s.check(rendered[overlay]) == []


def test_the_script_renders_and_validates_every_overlay(kustomize):
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["ok   dev", "ok   prod"]


def test_the_script_exits_1_and_names_a_broken_overlay(kustomize, tmp_path, capsys):
    broken = tmp_path / "overlays" / "broken"
    broken.mkdir(parents=True)
    (broken / "kustomization.yaml").write_text(  # kustomize takes no absolute resource paths
        f"resources: [{os.path.relpath(REPO / 'deploy/k8s/overlays/dev', broken)}]\n"
        "patches:\n"
        "  - target: {kind: KafkaTopic, name: safetynet-intake-reports-v1}\n"
        "    patch: |-\n"
        "      - {op: replace, path: /spec/topicName, value: safetynet.intake.report.v1}\n"
    )
    module = _load_script()
    module.OVERLAYS_DIR = tmp_path / "overlays"
    assert module.main(["broken"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL broken: 1 problem(s) in 32 resources")
    assert "'safetynet.intake.report.v1'" in out


# The checks can fail: each of these breaks one thing in a good render and must be named.
BREAKAGES = {
    "a mistyped field (strict schema)": (
        lambda d: container(d, "Deployment", "safetynet-intake").update(livenesProbe={}),
        "'livenesProbe' was unexpected",
    ),
    "a string where an integer belongs": (
        lambda d: one(d, "Deployment", "safetynet-routing")["spec"].update(replicas="2"),
        "is not of type 'integer'",
    ),
    "a topic the code does not have": (
        lambda d: one(d, "KafkaTopic", "safetynet-intake-reports-v1-dlq")["spec"].update(topicName="safetynet.x.v1"),
        "!= topics.ALL_WITH_DEAD_LETTERS",
    ),
    "partitions out of step": (
        lambda d: one(d, "KafkaTopic", "safetynet-routing-referrals-v1")["spec"].update(partitions=12),
        "spec.partitions 12 != SAFETYNET_KAFKA_PARTITIONS",
    ),
    "an unknown setting": (
        lambda d: container(d, "Deployment", "safetynet-notify")["env"].append(
            {"name": "SAFETYNET_SLA_SECS", "value": "1"}
        ),
        "['SAFETYNET_SLA_SECS'] are read by no service's settings",
    ),
    "a required setting missing": (
        lambda d: container(d, "Job", "safetynet-migrate").update(env=[]),
        "missing ['SAFETYNET_DATABASE_URL'",
    ),
    "settings that do not load": (
        lambda d: config(d).update(SAFETYNET_SLA_WARN_SECONDS="90000"),
        "every SLA warning must fall between",
    ),
    "a committed Secret": (
        lambda d: d.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "safetynet-secrets"},
                "stringData": {"subject-hash-key": "x"},
            }
        ),
        "a Secret must not be committed",
    ),
    "a Secret nobody makes": (
        lambda d: container(d, "Deployment", "safetynet-screening")["env"][0]["valueFrom"]["secretKeyRef"].update(
            name="postgres-app"
        ),
        "reads Secret 'postgres-app' key 'uri'",
    ),
    "an intake secret handed to another service": (
        lambda d: container(d, "Deployment", "safetynet-routing")["env"].append(
            {
                "name": "SAFETYNET_SUBJECT_HASH_KEY",
                "valueFrom": {"secretKeyRef": {"name": "safetynet-secrets", "key": "subject-hash-key"}},
            }
        ),
        "holds intake's secrets ['SAFETYNET_SUBJECT_HASH_KEY']",
    ),
    "a secret setting as a plain value": (
        lambda d: container(d, "Deployment", "safetynet-notify")["env"].append(
            {"name": "SAFETYNET_SMTP_URL", "value": "smtps://u:pw@relay:465"}
        ),
        "SAFETYNET_SMTP_URL is a secret: it must come from a Secret",
    ),
    "Kafka without KRaft": (
        lambda d: one(d, "Kafka", "safetynet")["metadata"]["annotations"].pop("strimzi.io/kraft"),
        "strimzi.io/kraft] must be 'enabled'",
    ),
    "an even controller quorum": (
        lambda d: one(d, "KafkaNodePool", "dual-role")["spec"].update(replicas=2),
        "odd number of controllers",
    ),
    "a node pool of another cluster": (
        lambda d: one(d, "KafkaNodePool", "dual-role")["metadata"]["labels"].update({"strimzi.io/cluster": "other"}),
        "must name a Kafka in this overlay",
    ),
    "a PostgreSQL cluster without its database": (
        lambda d: one(d, "Cluster", "safetynet-pg")["spec"]["bootstrap"]["initdb"].pop("owner"),
        "spec.bootstrap.initdb.owner must be set",
    ),
    "a probe on the wrong path": (
        lambda d: container(d, "Deployment", "safetynet-intake")["readinessProbe"]["httpGet"].update(path="/healthz"),
        "readinessProbe must GET /readyz",
    ),
    "a service running the wrong command": (
        lambda d: container(d, "Deployment", "safetynet-notify").update(args=["serve", "routing", "--port", "8000"]),
        "must run `serve notify --port 8000`",
    ),
    "an autoscaler fighting the replicas": (
        lambda d: one(d, "HorizontalPodAutoscaler", "safetynet-intake")["spec"].update(minReplicas=1),
        "must equal its autoscaler's minReplicas 1",
    ),
    "a budget that blocks every drain": (
        lambda d: one(d, "PodDisruptionBudget", "safetynet-routing")["spec"].update(minAvailable=2),
        "would block every node drain",
    ),
    "a Service pointing nowhere": (
        lambda d: one(d, "Service", "safetynet-intake")["spec"]["selector"].update(
            {"app.kubernetes.io/component": "x"}
        ),
        "its selector matches no Deployment",
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_the_checks_name_what_is_broken(rendered, breakage):
    docs = copy.deepcopy(rendered["prod"])
    breaking, expected = BREAKAGES[breakage]
    breaking(docs)
    problems = k8s.check(docs)
    assert any(expected in problem for problem in problems), problems


# --- the code's topics and settings --------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_exactly_the_codes_with_the_configured_partitions(rendered, overlay):
    kafka_topics = [d for d in rendered[overlay] if d["kind"] == "KafkaTopic"]
    assert len(kafka_topics) == len(topics.ALL_WITH_DEAD_LETTERS) == 10
    assert {t["spec"]["topicName"] for t in kafka_topics} == set(topics.ALL_WITH_DEAD_LETTERS)
    for t in kafka_topics:
        assert t["metadata"]["name"] == t["spec"]["topicName"].replace(".", "-")
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == "safetynet"
        assert t["spec"]["partitions"] == int(config(rendered[overlay])["SAFETYNET_KAFKA_PARTITIONS"])


def test_partitions_and_topic_replicas_per_overlay(rendered):
    for overlay, partitions, replicas in (("dev", 3, 1), ("prod", 6, 3)):
        docs = rendered[overlay]
        assert config(docs)["SAFETYNET_KAFKA_PARTITIONS"] == str(partitions)
        settings = k8s.manifest_settings_class()(kafka_partitions=config(docs)["SAFETYNET_KAFKA_PARTITIONS"])
        assert settings.kafka_partitions == partitions
        assert {(t["spec"]["partitions"], t["spec"]["replicas"]) for t in docs if t["kind"] == "KafkaTopic"} == {
            (partitions, replicas)
        }


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("kind,name", WORKLOADS)
def test_every_environment_variable_is_a_setting_and_production_ones_are_there(rendered, overlay, kind, name):
    docs = rendered[overlay]
    env = k8s.container_env(docs, container(docs, kind, name))
    safetynet = {k for k in env if k.startswith("SAFETYNET_")}
    assert safetynet - SETTINGS_ENV == set()
    assert safetynet >= REQUIRED_IN_PRODUCTION
    assert env["SAFETYNET_DATABASE_URL"] == {"secretKeyRef": {"name": "safetynet-pg-app", "key": "uri"}}
    for variable, key in INTAKE_SECRETS.items():  # each service holds only the secrets it uses
        expected = {"secretKeyRef": {"name": "safetynet-secrets", "key": key}} if name == "safetynet-intake" else None
        assert env.get(variable) == expected, variable
    assert env["SAFETYNET_KAFKA_BOOTSTRAP"] == "safetynet-kafka-bootstrap:9092"
    assert env["SAFETYNET_SLA_SECONDS"] == "86400"
    assert env["SAFETYNET_SLA_WARN_SECONDS"] == "57600,79200"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_configmap_loads_as_settings(rendered, overlay):
    data = config(rendered[overlay])
    assert set(data) <= SETTINGS_ENV
    values = {k.removeprefix("SAFETYNET_").lower(): v for k, v in data.items()}
    settings = k8s.manifest_settings_class()(**values)
    assert settings.sla_warn_seconds == [57600, 79200]
    assert settings.max_body_bytes == 1048576
    assert not settings.embedded


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_notify_takes_its_channel_secrets_from_the_operators_secret_if_there(rendered, overlay):
    env = k8s.container_env(rendered[overlay], container(rendered[overlay], "Deployment", "safetynet-notify"))
    for name, key in (("SAFETYNET_WEBHOOK_SECRET", "webhook-secret"), ("SAFETYNET_SMTP_URL", "smtp-url")):
        assert env[name] == {"secretKeyRef": {"name": "safetynet-secrets", "key": key, "optional": True}}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_intake_holds_the_key_ring_for_personal_data(rendered, overlay):
    for service in SERVICE_NAMES:
        env = k8s.container_env(rendered[overlay], container(rendered[overlay], "Deployment", f"safetynet-{service}"))
        expected = {"secretKeyRef": {"name": "safetynet-secrets", "key": "key-ring"}} if service == "intake" else None
        assert env.get("SAFETYNET_KEY_RING") == expected


def test_cloudnativepg_app_uri_works_as_the_database_url():
    # The `uri` key of `<cluster>-app` is plain postgresql://; the services need asyncpg.
    uri = "postgresql://safetynet:s3cret@safetynet-pg-rw.safetynet:5432/safetynet"
    assert (
        PlatformSettings(database_url=uri).database_url
        == "postgresql+asyncpg://safetynet:s3cret@safetynet-pg-rw.safetynet:5432/safetynet"
    )


# --- the topology --------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_runs_itself_with_probes_and_resources(rendered, overlay, service):
    docs = rendered[overlay]
    c = container(docs, "Deployment", f"safetynet-{service}")
    assert c["args"] == ["serve", service, "--port", "8000"]
    assert c["ports"] == [{"name": "http", "containerPort": 8000}, {"name": "metrics", "containerPort": 9464}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]
    annotations = one(docs, "Deployment", f"safetynet-{service}")["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9464",
        "prometheus.io/path": "/metrics",
    }
    assert config(docs)["SAFETYNET_METRICS_PORT"] == "9464"  # /metrics is not on the API's port
    assert c["image"] == {"dev": "safetynet-dispatch:dev", "prod": "safetynet-dispatch:0.1.0"}[overlay]
    hpa = one(docs, "HorizontalPodAutoscaler", f"safetynet-{service}")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"safetynet-{service}",
    }
    # Every service consumes Kafka: pods past the partition count would sit idle.
    assert hpa["spec"]["maxReplicas"] <= int(config(docs)["SAFETYNET_KAFKA_PARTITIONS"]) or service == "intake"
    pdb = one(docs, "PodDisruptionBudget", f"safetynet-{service}")
    assert pdb["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "safetynet",
        "app.kubernetes.io/component": service,
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_a_job_and_intake_has_a_service(rendered, overlay):
    docs = rendered[overlay]
    job = one(docs, "Job", "safetynet-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    for service in SERVICE_NAMES:  # intake's API on 80; the others' ops port for monitoring
        spec = one(docs, "Service", f"safetynet-{service}")["spec"]
        assert spec["ports"] == [{"name": "http", "port": 80 if service == "intake" else 8000, "targetPort": "http"}]
        assert spec["selector"] == {"app.kubernetes.io/name": "safetynet", "app.kubernetes.io/component": service}
    assert {d["metadata"]["namespace"] for d in docs if d["kind"] != "Namespace"} == {
        {"dev": "safetynet-dev", "prod": "safetynet"}[overlay]
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_is_strimzi_kraft_with_a_node_pool_and_postgres_is_cloudnativepg(rendered, overlay):
    docs = rendered[overlay]
    kafka = one(docs, "Kafka", "safetynet")
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"] == {"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"}
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    pool = one(docs, "KafkaNodePool", "dual-role")
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == "safetynet"
    assert pool["spec"]["roles"] == ["controller", "broker"]
    pg = one(docs, "Cluster", "safetynet-pg")
    assert pg["apiVersion"] == "postgresql.cnpg.io/v1"
    assert pg["spec"]["bootstrap"] == {"initdb": {"database": "safetynet", "owner": "safetynet"}}
    assert not [d for d in docs if d["kind"] == "Secret"]


def test_dev_runs_everything_once_and_small(rendered):
    docs = rendered["dev"]
    for service in SERVICE_NAMES:
        name = f"safetynet-{service}"
        assert one(docs, "Deployment", name)["spec"]["replicas"] == 1
        assert one(docs, "HorizontalPodAutoscaler", name)["spec"]["minReplicas"] == 1
        assert one(docs, "PodDisruptionBudget", name)["spec"] == {
            "maxUnavailable": 1,
            "selector": {
                "matchLabels": {"app.kubernetes.io/name": "safetynet", "app.kubernetes.io/component": service}
            },
        }
        assert container(docs, "Deployment", name)["resources"]["requests"] == {"cpu": "50m", "memory": "128Mi"}
    assert one(docs, "KafkaNodePool", "dual-role")["spec"]["replicas"] == 1
    assert one(docs, "Kafka", "safetynet")["spec"]["kafka"]["config"]["default.replication.factor"] == 1
    assert one(docs, "Cluster", "safetynet-pg")["spec"]["instances"] == 1


def test_prod_runs_more_of_everything(rendered):
    docs = rendered["prod"]
    expected = {"intake": (3, 10, 2), "screening": (2, 6, 1), "routing": (2, 6, 1), "notify": (2, 6, 1)}
    for service, (replicas, most, min_available) in expected.items():
        name = f"safetynet-{service}"
        assert one(docs, "Deployment", name)["spec"]["replicas"] == replicas
        hpa = one(docs, "HorizontalPodAutoscaler", name)["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (replicas, most)
        pdb = one(docs, "PodDisruptionBudget", name)["spec"]
        assert pdb["minAvailable"] == min_available and "maxUnavailable" not in pdb
    assert one(docs, "KafkaNodePool", "dual-role")["spec"]["replicas"] == 3
    kafka_config = one(docs, "Kafka", "safetynet")["spec"]["kafka"]["config"]
    assert (kafka_config["default.replication.factor"], kafka_config["min.insync.replicas"]) == (3, 2)
    assert kafka_config["offsets.topic.replication.factor"] == 3
    assert one(docs, "Cluster", "safetynet-pg")["spec"]["instances"] == 3
