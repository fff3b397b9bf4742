"""The BSRS-5 score (簡式健康量表, decision model v1.1 rule 3) at intake: a strict part of
the report (a wrong item is a 422 naming it), read for dispatchers (total, band, suicide
item) in the GET and on the report page, never shown to the reporting agency."""

from typing import Any

import pytest

BSRS5 = {"items": [3, 3, 2, 2, 2], "suicide": 2}


@pytest.mark.parametrize(
    ("bsrs5", "loc"),
    [
        ({"items": [0, 1, 5, 0, 0], "suicide": 0}, ["body", "indicators", "bsrs5", "items", 2]),
        ({"items": [0, 1, "2", 0, 0], "suicide": 0}, ["body", "indicators", "bsrs5", "items", 2]),
        ({"items": [0, 1, 2, 0, -1], "suicide": 0}, ["body", "indicators", "bsrs5", "items", 4]),
        ({"items": [0, 1, 2, 0], "suicide": 0}, ["body", "indicators", "bsrs5", "items"]),
        ({"items": [0, 1, 2, 0, 0], "suicide": 4.0}, ["body", "indicators", "bsrs5", "suicide"]),
        ({"items": [0, 1, 2, 0, 0]}, ["body", "indicators", "bsrs5", "suicide"]),
        ({"items": [0, 1, 2, 0, 0], "suicide": 0, "total": 3}, ["body", "indicators", "bsrs5", "total"]),
    ],
)
async def test_a_wrong_score_is_a_422_naming_the_item(
    bsrs5: dict[str, Any], loc: list[Any], report: Any, post_report: Any
) -> None:
    body = report()
    body["indicators"] = {**body.get("indicators", {}), "bsrs5": bsrs5}
    response = await post_report(body)
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [loc]


async def test_dispatchers_read_the_score_and_the_agency_does_not(
    client: Any, keys: Any, report: Any, post_report: Any
) -> None:
    body = report()
    body["indicators"] = {**body.get("indicators", {}), "bsrs5": BSRS5}
    accepted = await post_report(body)
    assert accepted.status_code == 202, accepted.text
    report_id = accepted.json()["report_id"]

    seen = (await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)).json()
    assert seen["bsrs5"] == {
        "items": [3, 3, 2, 2, 2],
        "total": 12,
        "band": "moderate",
        "suicide": 2,
        "suicide_ideation": True,
    }
    assert seen["indicators"]["bsrs5"] == BSRS5  # as sent
    agency = (await client.get(f"/v1/reports/{report_id}", headers=keys.police.headers)).json()
    assert "bsrs5" not in agency and "indicators" not in agency

    page = await client.get(f"/console/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200
    assert "簡式健康量表" in page.text and "<strong>12</strong> / 20" in page.text and "中度" in page.text
    assert "視同自殺意念" in page.text


async def test_without_a_score_there_is_none_to_read(client: Any, keys: Any, report: Any, post_report: Any) -> None:
    accepted = await post_report(report())
    report_id = accepted.json()["report_id"]
    seen = (await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)).json()
    assert seen["bsrs5"] is None
    page = await client.get(f"/console/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
    assert page.status_code == 200 and "簡式健康量表" not in page.text
