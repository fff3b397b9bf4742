"""Real Kafka and PostgreSQL: from `scripts/infra up` (its settings in the environment),
or from testcontainers where a Docker engine exists; otherwise these tests skip."""

import asyncio
import os
from collections.abc import Iterator

import pytest

from tests.support.cluster import Cluster, create_database, infra_from_environment


@pytest.fixture(scope="session")
def real_infra() -> Iterator[tuple[str, str]]:
    found = infra_from_environment()
    if found:
        yield found
        return
    try:
        from docker.errors import DockerException
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer
    except ImportError:
        pytest.skip("no real Kafka and PostgreSQL: run `scripts/infra up` or install testcontainers")
    try:
        postgres = PostgresContainer("postgres:15", driver="asyncpg")
        kafka = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
    except DockerException:
        if os.environ.get("CI"):  # CI must run these, never skip them quietly
            pytest.fail("CI has neither `scripts/infra up` settings nor a Docker engine")
        pytest.skip("no Docker engine and no `scripts/infra up` settings: skipping real-infrastructure tests")
    with postgres, kafka:
        yield postgres.get_connection_url(), kafka.get_bootstrap_server()


@pytest.fixture
def cluster(real_infra, tmp_path) -> Iterator[Cluster]:
    """A fresh database (random name) with migrations applied; services not started."""
    url, kafka = real_infra
    database_url = asyncio.run(create_database(url))
    cluster = Cluster(database_url=database_url, kafka=kafka, workdir=tmp_path)
    cluster.migrate()
    try:
        yield cluster
    finally:
        cluster.stop_all()
