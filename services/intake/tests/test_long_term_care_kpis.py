"""Follow-ups of long-term care households in the protection re-report KPI (issue 14),
against a hand count. A protection report naming a subject of a referral of another report
that was in long-term care (長期關懷戶) when the report was received is a follow-up: not a
re-report (it stays in the denominator, as a protection report). Runs the domain path on
SQLite and the SQL path on PostgreSQL (SAFETYNET_TEST_POSTGRES_URL), as test_kpis_month."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from safetynet.contracts.report import TAIPEI
from safetynet.intake.adapters import orm
from safetynet.intake.entrypoints.api import kpis as kpis_api

from .test_kpis_month import Gen, insert

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=TAIPEI)
IPV = ["intimate_partner_violence"]


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=TAIPEI)


def gen(when: datetime, categories: list[str], hashes: list[str | None], **rest: Any) -> Gen:
    return Gen("苗栗縣", when, categories, hashes, due_at=when + timedelta(hours=24), **rest)


# A protection referral naming A, B, D and E closed on 1 July: later protection reports
# naming them are re-reports, unless their household is in long-term care at the time.
EARLIER = gen(
    at(6, 1), IPV, ["A", "B", "D", "E"], referrals=[{"kind": "protection", "status": "closed", "updated_at": at(7, 1)}]
)
HOUSEHOLD_A = gen(at(8, 1), ["vulnerable_family"], ["A"])  # in long-term care since 1 September, still
HOUSEHOLD_D = gen(at(8, 2), ["vulnerable_family"], ["D"])  # in long-term care 1 September – 15 November
HOUSEHOLD_E = gen(at(8, 3), ["vulnerable_family"], ["E"])  # in long-term care only from 25 November
PERIODS = [
    (HOUSEHOLD_A, at(9, 1), None),
    (HOUSEHOLD_D, at(9, 1), at(11, 15)),
    (HOUSEHOLD_E, at(11, 25), None),
]
NOVEMBER = {
    "follow_up_a": gen(at(11, 10), IPV, ["A"]),  # A's household is in long-term care: a follow-up
    "rereport_b": gen(at(11, 10), IPV, ["B"]),  # a re-report
    "follow_up_d": gen(at(11, 10), IPV, ["D"]),  # during D's long-term care: a follow-up
    "rereport_d": gen(at(11, 20), IPV, ["D"]),  # after D's household was closed: a re-report
    "first_c": gen(at(11, 20), IPV, ["C"]),  # nobody known: neither
    "rereport_e": gen(at(11, 20), IPV, ["E"]),  # before E's long-term care began: a re-report
}
# The hand count: six protection reports in November; re-reports B, D (after), E.
EXPECTED = {"numerator": 3, "denominator": 6}


async def kpi(client: httpx.AsyncClient, key: Any) -> dict[str, Any]:
    params = {"county": "苗栗縣", "from": "2026-11-01", "to": "2026-11-30"}
    response = await client.get("/v1/kpis", params=params, headers=key.headers)
    assert response.status_code == 200, response.text
    rate: dict[str, Any] = response.json()["protection_rereport"]
    return rate


async def test_follow_ups_of_long_term_care_households_are_not_re_reports(
    engine: Any, intake: Any, client: httpx.AsyncClient, mint_key: Any
) -> None:
    intake.app.dependency_overrides[kpis_api.get_now] = lambda: NOW
    supervisor = await mint_key(role="supervisor", name="苗栗督導", county="苗栗縣")
    await insert(engine, [EARLIER, HOUSEHOLD_A, HOUSEHOLD_D, HOUSEHOLD_E, *NOVEMBER.values()])
    # Before any household is in long-term care, five of the six are re-reports.
    assert {k: v for k, v in (await kpi(client, supervisor)).items() if k != "rate"} == {
        "numerator": 5,
        "denominator": 6,
    }
    async with engine.begin() as conn:
        for i, (household, since, until) in enumerate(PERIODS):
            await conn.execute(
                orm.long_term_care.insert().values(
                    referral_id=f"ltc-{i}", report_id=household.report_id, since=since, until=until
                )
            )
    got = await kpi(client, supervisor)
    assert (got["numerator"], got["denominator"]) == (EXPECTED["numerator"], EXPECTED["denominator"])
    assert got["rate"] == 0.5
