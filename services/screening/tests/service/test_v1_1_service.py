"""Decision model v1.1 through screening's real handlers and database (SQLite): it decides
by default, its score reaches the rules from the wire, routing is told which v1.1 rules to
apply, and `rules activate v1` goes back to v1 for the next report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from safetynet.contracts.envelope import Envelope
from safetynet.screening.adapters import orm
from safetynet.screening.service_layer import rule_versions

RECEIVED = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def received(report_id: str, categories: list[str], **indicators: Any) -> Envelope:
    payload = {
        "report_id": report_id,
        "county": "新竹市",
        "township": "東區",
        "agency_type": "hospital",
        "received_at": RECEIVED.isoformat(),
        "sla_due_at": (RECEIVED + timedelta(hours=24)).isoformat(),
        "categories": categories,
        "subjects": [{"role": "victim", "age": 41, "subject_hash": None}],
        "household": {},
        "indicators": indicators,
    }
    return Envelope(type="ReportReceived", report_id=report_id, producer="intake", payload=payload)


async def screened(engine) -> dict[str, dict[str, Any]]:
    async with engine.connect() as conn:
        values = [row.value for row in await conn.execute(select(orm.outbox))]
    envelopes = [Envelope.from_bytes(v) for v in values]
    return {e.report_id: e.payload for e in envelopes if e.type == "ReportScreened"}


async def test_v1_1_decides_by_default_and_tells_routing_its_rules(engine, handle) -> None:
    await handle(received("low", ["suspected_mental_illness"], bsrs5={"items": [1, 0, 1, 0, 0], "suicide": 1}))
    await handle(received("severe", ["other"], bsrs5={"items": [4, 4, 3, 2, 2], "suicide": 0}))

    published = await screened(engine)
    low, severe = published["low"], published["severe"]
    assert low["rule_version"] == severe["rule_version"] == "v1.1.0"
    assert low["routing_rules"] == severe["routing_rules"] == ["open_case_link", "long_term_care"]
    # A low screen: recommended, without a unit, for a dispatcher to confirm.
    assert low["recommended"] == [{"kind": "mental_health", "unit": None}] and low["needs_review"]
    assert [r["code"] for r in low["reasons"]] == [
        "GREEN_NO_RISK_CONDITION",
        "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS",
        "MH_LOW_SCREEN",
    ]
    assert severe["risk_level"] == "orange" and [r["code"] for r in severe["reasons"]] == ["BSRS5_SEVERE"]
    assert severe["recommended"] == [{"kind": "mental_health", "unit": "新竹市/mental_health"}]
    # The stored input keeps the score, so a replay decides on it again.
    async with engine.connect() as conn:
        row = (await conn.execute(select(orm.decisions).where(orm.decisions.c.report_id == "low"))).one()
    assert row.input["indicators"]["bsrs5"] == {"items": [1, 0, 1, 0, 0], "suicide": 1}


async def test_activating_v1_goes_back_to_v1_for_the_next_report(engine, handle) -> None:
    await rule_versions.activate(engine, "v1.0.0", by="陳督導", note="回到 v1")
    await handle(received("v1", ["suspected_mental_illness"], bsrs5={"items": [0, 0, 0, 0, 0], "suicide": 0}))

    decision = (await screened(engine))["v1"]
    assert decision["rule_version"] == "v1.0.0" and decision["routing_rules"] == []
    assert decision["recommended"] == [{"kind": "mental_health", "unit": "新竹市/mental_health"}]
    assert "MH_LOW_SCREEN" not in [r["code"] for r in decision["reasons"]]
