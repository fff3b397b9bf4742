"""`pg_dump` of a fresh PostgreSQL database that the whole system wrote to (every
service's schema and the broker's log) holds no readable personal data."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cluster import create_database
from tests.support.personal import assert_dispatcher_reads_everything, found_in, post_and_settle
from tests.support.system import embedded_system

pytestmark = pytest.mark.integration


async def test_a_pg_dump_holds_no_personal_data_that_the_api_still_serves(real_infra, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("no pg_dump on PATH")
    url, _ = real_infra
    database_url = await create_database(url)
    async with embedded_system(tmp_path, database_url=database_url) as system:
        posted = await post_and_settle(system, 3)
        dispatcher = await system.key("dispatcher", name="值班社工")
        for report_id, body, _ in posted:
            response = await system.client.get(f"/v1/reports/{report_id}", headers=dispatcher)
            assert response.status_code == 200
            assert_dispatcher_reads_everything(response.json(), body)

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    done = subprocess.run(["pg_dump", "--no-owner", dsn], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    dump = done.stdout
    assert found_in(dump, ["頭份市"]) == ["頭份市"], "the search must see readable facts"
    for report_id, _, values in posted:
        assert report_id in dump
        assert found_in(dump, values) == [], f"personal data of {report_id} is readable in pg_dump"
