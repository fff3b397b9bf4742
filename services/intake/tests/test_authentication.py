"""One authentication path (issue 12): every place that takes a bearer key goes through
entrypoints/authentication.py, and a request is charged for a bad key once, however many
places (the body guard, the authorization dependency, the console) look at it."""

import re
from pathlib import Path

import httpx
import pytest

import safetynet.intake
from safetynet.intake.entrypoints import authentication

BAD_KEY = {"Authorization": "Bearer sn_guess"}
BUDGET = 10  # SAFETYNET_AUTH_FAILURES_PER_MINUTE's default


def test_only_the_authentication_module_looks_keys_up() -> None:
    package = Path(safetynet.intake.__file__).parent
    looking_up = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if re.search(r"handlers\.authenticate\(", p.read_text(encoding="utf-8"))
    )
    assert looking_up == [str(Path(authentication.__file__).relative_to(package))]


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/reports", {"json": {"county": "苗栗縣"}}),  # the API: guard, then authorization
        ("/console/reports/x/confirm", {"data": {"csrf_token": "x"}}),  # the console: guard, then its own answer
        ("/v1/queue", {}),  # no body: authorization alone
    ],
)
async def test_a_bad_key_costs_its_address_one_failure_per_request(
    client: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    method = "GET" if not body else "POST"
    answers = [(await client.request(method, path, headers=BAD_KEY, **body)).status_code for _ in range(BUDGET + 1)]
    assert answers == [401] * BUDGET + [429]


async def test_a_blocked_address_is_refused_before_its_key_is_looked_at(
    client: httpx.AsyncClient, keys: object
) -> None:
    for _ in range(BUDGET):
        await client.get("/v1/queue", headers=BAD_KEY)
    good = keys.dispatcher_miaoli.headers
    # The same answer for a right key as for a wrong one, at every site that takes a key.
    assert (await client.post("/v1/reports", json={}, headers=good)).status_code == 429
    assert (await client.get("/console", headers=good)).status_code == 429
    assert (await client.get("/v1/queue", headers=good)).status_code == 429
