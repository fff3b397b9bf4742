"""A dump of the whole database (every service's tables, the embedded broker's log) holds
no readable personal data, while a dispatcher still reads it all through the API."""

from pathlib import Path

import pytest

from tests.support.personal import assert_dispatcher_reads_everything, found_in, post_and_settle, sqlite_dump
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


async def test_a_sqlite_dump_holds_no_personal_data_that_the_api_still_serves(tmp_path: Path) -> None:
    async with embedded_system(tmp_path) as system:
        posted = await post_and_settle(system, 3)
        dispatcher = await system.key("dispatcher", name="值班社工")
        for report_id, body, _ in posted:
            response = await system.client.get(f"/v1/reports/{report_id}", headers=dispatcher)
            assert response.status_code == 200
            assert_dispatcher_reads_everything(response.json(), body)
        listed = await system.client.get(
            "/v1/high-danger",
            headers=dispatcher,
            params={"county": "苗栗縣", "month": response.json()["received_at"][:7]},
        )
        names = {s["name"] for r in listed.json()["reports"] for s in r["subjects"]}
        assert {s["name"] for _, body, _ in posted for s in body["subjects"]} <= names

        dump = sqlite_dump(tmp_path / "safetynet.db")

    assert found_in(dump, ["頭份市", "intimate_partner_violence"]) == ["頭份市", "intimate_partner_violence"], (
        "the search must see readable facts (the dump is not empty or unreadable)"
    )
    for report_id, _, values in posted:
        assert report_id in dump
        assert found_in(dump, values) == [], f"personal data of {report_id} is readable in the database"
