"""Real Kafka and PostgreSQL: from `scripts/infra up`, its settings in the environment
(Kafka 4.1.1 and Debian's PostgreSQL, 15 on these machines, as docker-compose.yml runs
them). Without them these tests skip, except in CI, which must run them."""

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
    if os.environ.get("CI"):  # CI must run these, never skip them quietly
        pytest.fail("CI has no `scripts/infra up` settings (SAFETYNET_DATABASE_URL, SAFETYNET_KAFKA_BOOTSTRAP)")
    pytest.skip("no real Kafka and PostgreSQL: `set -a; source <(scripts/infra up); set +a` first")


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
