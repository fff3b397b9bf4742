"""Re-report after closure, decided by routing against its own committed closures.

The race of issue 11 (item 8): a unit closes a referral, and a moment later a new report
on the same person is received. Screening never hears of closures any more, so its
decision says nothing of it; routing, which committed the closure, must still send the
new report back to the unit and make it a direct dispatch, and say so to intake.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from safetynet.contracts.envelope import Envelope
from safetynet.contracts.events import ReferralChanged, ReportStatusChanged
from safetynet.routing.adapters import orm

MIAOLI = "苗栗縣"
W_TOUFEN = "苗栗縣/welfare_center/頭份區"
W_MIAOLI = "苗栗縣/welfare_center/苗栗區"
HSINCHU_W = "新竹縣/welfare_center/竹北"
# Commands carry intake's clock; the first report is received, acted on and closed,
# then the second report is received a minute after the closure.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
DISPATCHER = {"key_id": "key-d1", "role": "dispatcher", "name": "王小明"}
UNIT = {"key_id": "key-u7", "role": "unit", "name": "林社工"}


def screened(
    report_id: str,
    *,
    received_at: datetime,
    unit: str | None,
    county: str = MIAOLI,
    hashes: tuple[str, ...] = ("hash-a",),
) -> Envelope:
    """Screening's decision as it is made without closures: a green report waiting for a
    dispatcher, its welfare center chosen from the township (or unmapped)."""
    reasons = [
        {"code": "GREEN_NO_RISK_CONDITION", "text": "g"},
        {"code": "DEST_WELFARE_VULNERABLE_FAMILY", "text": "w"},
    ]
    if unit is None:
        reasons.append({"code": "REVIEW_UNIT_NOT_MAPPED", "text": "r"})
    payload = {
        "report_id": report_id,
        "county": county,
        "received_at": received_at.isoformat(),
        "rule_version": "v1.0.0",
        "risk_level": "green",
        "urgent": False,
        "direct_dispatch": False,
        "needs_review": True,
        "sla_due_at": (received_at + timedelta(hours=24)).isoformat(),
        "reasons": reasons,
        "recommended": [{"kind": "welfare_center", "unit": unit}],
        "subject_hashes": list(hashes),
    }
    return Envelope(type="ReportScreened", report_id=report_id, producer="screening", payload=payload)


def command(
    type_: str, actor: dict[str, str], *, report_id: str, at: datetime, county: str = MIAOLI, **fields: Any
) -> Envelope:
    payload = {"report_id": report_id, "county": county, "actor": actor, **fields}
    return Envelope(type=type_, report_id=report_id, producer="intake", payload=payload, occurred_at=at)


async def sent(engine) -> list[Envelope]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(orm.outbox.c.value).order_by(orm.outbox.c.id))
        return [Envelope.from_bytes(r.value) for r in rows]


async def close_a_referral(
    engine,
    handle,
    *,
    report_id: str,
    unit: str,
    county: str = MIAOLI,
    closed_at: datetime,
) -> None:
    """A first report, confirmed, acknowledged and closed by its unit: committed in routing."""
    await handle(screened(report_id, received_at=closed_at - timedelta(hours=3), unit=unit, county=county))
    await handle(
        command(
            "ConfirmDestinations", DISPATCHER, report_id=report_id, county=county, at=closed_at - timedelta(hours=2)
        )
    )
    [referral] = [e for e in await sent(engine) if e.type == "ReferralAssigned" and e.report_id == report_id]
    referral_id = referral.payload["referral_id"]
    await handle(
        command(
            "AcknowledgeReferral",
            UNIT,
            report_id=report_id,
            county=county,
            referral_id=referral_id,
            at=closed_at - timedelta(hours=1),
        )
    )
    await handle(
        command(
            "CloseReferral",
            UNIT,
            report_id=report_id,
            county=county,
            referral_id=referral_id,
            outcome="opened",
            at=closed_at,
        )
    )


async def test_a_closure_committed_before_the_report_was_received_counts(engine, handle) -> None:
    closed_at = T0
    await close_a_referral(engine, handle, report_id="r-1", unit=W_MIAOLI, closed_at=closed_at)

    # Screening decided the re-report without the closure: not direct, the township's center.
    await handle(screened("r-2", received_at=closed_at + timedelta(minutes=1), unit=W_TOUFEN))

    out = [e for e in await sent(engine) if e.report_id == "r-2"]
    assert [e.type for e in out] == ["ReferralAssigned", "ReportStatusChanged"]
    assigned = out[0].payload_as(ReferralChanged)
    assert (assigned.kind, assigned.unit, assigned.detail) == ("welfare_center", W_MIAOLI, "direct_dispatch")
    status = out[1].payload_as(ReportStatusChanged)
    assert status.status == "assigned" and status.direct_dispatch is True
    assert [(d.kind, d.unit) for d in status.recommended] == [("welfare_center", W_MIAOLI)]
    codes = [r.code for r in status.reasons or []]
    assert codes == [
        "GREEN_NO_RISK_CONDITION",
        "DEST_WELFARE_VULNERABLE_FAMILY",
        "DIRECT_RECENT_CLOSED_REFERRAL",
        "REREPORT_PREVIOUS_UNIT",
    ]
    assert W_MIAOLI in status.reasons[-1].text


async def test_a_closure_after_the_report_was_received_does_not_count(engine, handle) -> None:
    await close_a_referral(engine, handle, report_id="r-1", unit=W_MIAOLI, closed_at=T0)
    await handle(screened("r-2", received_at=T0 - timedelta(seconds=1), unit=W_TOUFEN))
    [status] = [e.payload_as(ReportStatusChanged) for e in await sent(engine) if e.report_id == "r-2"]
    assert (status.status, status.direct_dispatch) == ("awaiting_review", False)
    assert [(d.kind, d.unit) for d in status.recommended] == [("welfare_center", W_TOUFEN)]


async def test_a_previous_unit_of_another_county_is_not_reused(engine, handle) -> None:
    await close_a_referral(engine, handle, report_id="r-1", unit=HSINCHU_W, county="新竹縣", closed_at=T0)
    await handle(screened("r-2", received_at=T0 + timedelta(minutes=1), unit=W_TOUFEN))
    out = [e for e in await sent(engine) if e.report_id == "r-2"]
    status = out[-1].payload_as(ReportStatusChanged)
    # Still a direct dispatch, to the report's own county's center; the reason names the old unit.
    assert (status.status, status.direct_dispatch) == ("assigned", True)
    assert [(r.kind, r.unit) for r in status.referrals] == [("welfare_center", W_TOUFEN)]
    [other] = [r for r in status.reasons or [] if r.code == "REREPORT_PREVIOUS_UNIT_OTHER_COUNTY"]
    assert HSINCHU_W in other.text


async def test_the_previous_unit_fills_an_unmapped_township(engine, handle) -> None:
    await close_a_referral(engine, handle, report_id="r-1", unit=W_MIAOLI, closed_at=T0)
    await handle(screened("r-2", received_at=T0 + timedelta(minutes=1), unit=None))
    status = [e for e in await sent(engine) if e.report_id == "r-2"][-1].payload_as(ReportStatusChanged)
    assert status.status == "assigned"
    assert "REVIEW_UNIT_NOT_MAPPED" not in [r.code for r in status.reasons or []]
