"""Schemathesis against the intake API's own OpenAPI schema, as CI runs it.

`safetynet dev` runs as a subprocess on a free port (the real uvicorn stack, tracing on,
its JSON log in a file). Schemathesis loads /openapi.json from it and, for every
operation, generates requests (positive and negative data, its coverage phase and a
bounded, derandomized fuzzing phase) three times: with an agency key, with a dispatcher
key, and without a valid key. Every response must:

- not be a 5xx (not_a_server_error),
- have a status code the schema declares for the operation (status_code_conformance),
- match the schema declared for that status code (response_schema_conformance).

Purely schema-driven data would almost never get past the checks that need
configuration or real data (a configured county, the key's agency type, a valid national
ID, an id that names a report), so hooks mix realistic variants into what Schemathesis
generates: report bodies with a configured county and valid national IDs, ids of reports
and referrals that exist, and KPI queries for the key's county and real dates. Those
reach the database, the screening pipeline and the dispatcher's actions.

Failures print the request as a curl command and the server log's errors. To run it
alone: `.venv/bin/python -m pytest tests/security/test_schemathesis.py -q`.
"""

import json
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.support.processes import Process, free_port, mint_key
from tests.support.scenarios import SCENARIOS, random_national_id, with_fresh_ids

pytestmark = pytest.mark.e2e

SEED = 20261122
COUNTY = "苗栗縣"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "suppress-health-check": ["all"],
    "generation": {
        "mode": "all",             # positive and negative data
        "max-examples": 25,        # per operation, role and mode: bounds the run time
        "deterministic": True,     # Hypothesis' derandomize: the same cases on every run
        "database": "none",        # nothing written under .hypothesis/
        "no-shrink": True,         # a failure prints as found; shrinking against a server is slow
    },
    "phases": {
        "stateful": {"enabled": False},
        # The responses of earlier calls would feed later cases: keep the data from the seed alone.
        "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
        "coverage": {"extra-data-sources": {"responses": False}},
    },
})


@dataclass
class DevServer:
    base: str
    log: Path
    agency: dict[str, str]
    dispatcher: dict[str, str]
    report_ids: list[str] = field(default_factory=list)
    referral_ids: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """The server log's lines at ERROR or above, and anything that is not a JSON log line
        (a traceback printed by something other than our logger)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                found.append(line)
                continue
            if entry.get("level") in ("ERROR", "CRITICAL"):
                found.append(line)
        return found


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp}/dev.db"}
    port = free_port()
    process = Process("dev", "--port", str(port), env=env, log=tmp / "dev.log")
    try:
        base = f"http://127.0.0.1:{port}"
        process.wait_http(f"{base}/healthz")
        server = DevServer(
            base=base, log=tmp / "dev.log",
            agency={"Authorization": "Bearer " + mint_key(env, "--role", "agency", "--name", "苗栗縣警察局",
                                                         "--county", COUNTY, "--agency-type", "police")},
            dispatcher={"Authorization": "Bearer " + mint_key(env, "--role", "dispatcher", "--name", "值班社工",
                                                             "--county", COUNTY)})
        _seed_reports(server)
        SEEDED.report_ids[:], SEEDED.referral_ids[:] = server.report_ids, server.referral_ids
        yield server
    finally:
        process.stop()


def _seed_reports(server: DevServer) -> None:
    """A few routed reports of the agency, so that generated requests can name real ones:
    red ones are assigned (a referral to acknowledge), others wait for review (to confirm)."""
    rng = random.Random(SEED)
    names = ("ipv_high_tipvda", "child_maltreatment_minor_injury_under_6", "vulnerable_family_mapped",
             "ipv_with_mental_illness", "other_only")
    chosen = [s for s in SCENARIOS if s.name in names]
    for scenario in chosen:
        posted = httpx.post(f"{server.base}/v1/reports", json=with_fresh_ids(scenario.body, rng),
                            headers=server.agency, timeout=10)
        assert posted.status_code == 202, posted.text
        server.report_ids.append(posted.json()["report_id"])
    deadline = time.monotonic() + 30
    for rid in server.report_ids:
        while True:
            body = httpx.get(f"{server.base}/v1/reports/{rid}", headers=server.dispatcher, timeout=10).json()
            if body["status"] != "received":
                server.referral_ids += [r["referral_id"] for r in body["referrals"]]
                break
            assert time.monotonic() < deadline, f"{rid} was never screened and routed: {body}"
            time.sleep(0.1)
    assert server.referral_ids, "no seeded report was assigned"


# --- realistic variants, mixed into what Schemathesis generates ----------------------------

def _realistic_report(body: dict[str, Any], n: int) -> dict[str, Any]:
    """`body` with what only configuration knows: a configured county, the key's agency
    type, and valid national IDs where the generated ones would all fail their check digit."""
    rng = random.Random(n)
    body = {**body, "county": COUNTY}
    if rng.random() < 0.7:
        body["township"] = rng.choice(["頭份市", "竹南鎮", "苗栗市"])
    if isinstance(body.get("source"), dict):
        body["source"] = {**body["source"], "agency_type": "police"}
    if isinstance(body.get("subjects"), list):
        body["subjects"] = [
            {**s, "national_id": random_national_id(rng)} if isinstance(s, dict) and "national_id" in s
            and rng.random() < 0.8 else s
            for s in body["subjects"]]
    return body


def _kpi_query(query: dict[str, Any], n: int, path: str) -> dict[str, Any]:
    rng = random.Random(n)
    query = {**query, "county": COUNTY}
    if path == "/v1/kpis":
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        query["from"] = first.isoformat()
        query["to"] = (first + timedelta(days=rng.choice([0, 1, 30, 365, 366, 400, -1]))).isoformat()
    else:
        query["month"] = f"{rng.choice([2025, 2026, 2027])}-{rng.randint(1, 12):02d}"
    return query


def _install_hooks(schema: Any, server: DevServer) -> None:
    seeds = st.integers(min_value=0, max_value=2**32)

    @schema.hook
    def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
        operation = context.operation
        if operation is None or operation.label != "POST /v1/reports" or not isinstance(body, dict):
            return st.just(body)
        return st.one_of(st.just(body), seeds.map(lambda n: _realistic_report(body, n)))

    @schema.hook
    def flatmap_path_parameters(context: schemathesis.HookContext, parameters: Any) -> Any:
        if not isinstance(parameters, dict):
            return st.just(parameters)
        for name, ids in (("report_id", server.report_ids), ("referral_id", server.referral_ids)):
            if name in parameters and ids:
                return st.one_of(st.just(parameters), st.sampled_from(ids).map(lambda i, n=name: {**parameters, n: i}))
        return st.just(parameters)

    @schema.hook
    def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
        operation = context.operation
        if operation is None or operation.path not in ("/v1/kpis", "/v1/high-danger") or not isinstance(query, dict):
            return st.just(query)
        return st.one_of(st.just(query), seeds.map(lambda n: _kpi_query(query, n, operation.path)))


def _schema_of_the_app() -> Any:
    """The OpenAPI schema of the intake app exactly as `safetynet dev` wires it, built in this
    process without a database so that the tests can be collected before any server runs
    (test_the_served_schema_is_the_one_under_test checks that the server serves the same)."""
    from safetynet.cli.commands import build
    from safetynet.contracts.messaging.sqlbus import SqlLogBroker
    from safetynet.contracts.settings import Settings
    from safetynet.contracts.storage import make_engine

    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    engine = make_engine(settings.database_url)
    app = build("intake", settings=settings, engine=engine, broker=SqlLogBroker(engine)).app
    return app.openapi()


OPENAPI = _schema_of_the_app()
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)
SEEDED = DevServer(base="", log=Path("/dev/null"), agency={}, dispatcher={})  # filled by the fixture
_install_hooks(schema, SEEDED)


def _call(case: Any, server: DevServer, headers: dict[str, str] | None) -> None:
    before = len(server.errors())
    try:
        case.call_and_validate(base_url=server.base, headers=headers, checks=CHECKS, timeout=30)
    except AssertionError as failure:
        logged = "\n".join(server.errors()[before:][-20:])
        raise AssertionError(f"{failure}\n\nServer log errors during this call:\n{logged or '(none)'}") from None


@schema.parametrize()
def test_api_as_an_agency(case: Any, dev_server: DevServer) -> None:
    _call(case, dev_server, dev_server.agency)


@schema.parametrize()
def test_api_as_a_dispatcher(case: Any, dev_server: DevServer) -> None:
    _call(case, dev_server, dev_server.dispatcher)


@schema.parametrize()
def test_api_without_a_valid_key(case: Any, dev_server: DevServer) -> None:
    # No header of ours: whatever Authorization Schemathesis generates (random bearer
    # values, or none) must be refused with a declared 401, never a 5xx.
    _call(case, dev_server, None)


def test_the_served_schema_is_the_one_under_test(dev_server: DevServer) -> None:
    assert httpx.get(f"{dev_server.base}/openapi.json", timeout=10).json() == OPENAPI


def test_the_server_logged_no_errors_during_the_run(dev_server: DevServer) -> None:
    """5xx are not the only failures: a consumer that dead-letters a generated report, or
    a handler that fails behind a 202, shows only in the log."""
    assert dev_server.errors() == []
