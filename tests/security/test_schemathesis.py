"""Schemathesis against the intake API's own OpenAPI schema, as CI runs it.

`safetynet dev` runs as a subprocess on a free port (the real uvicorn stack, the whole
pipeline behind it, its JSON log in a file). For every operation of the schema,
Schemathesis generates requests (its examples and coverage phases, then a bounded,
derandomized fuzzing phase; positive and negative data) three times: with an agency key,
with a dispatcher key, and with no key of ours. Every response must:

- not be a 5xx (not_a_server_error),
- have a status code the schema declares for the operation (status_code_conformance),
- match the schema declared for that status code (response_schema_conformance).

Data drawn from the schema alone would almost never get past the checks that need
configuration or state (a configured county, the key's agency type, a valid national ID,
an id that names a report in the right state), so hooks mix realistic variants into the
fuzzing phase: report bodies with a configured county and valid national IDs, ids of
seeded reports and referrals (a pool of its own for each operation, so that one action
does not use up another's), valid destinations and units, KPI queries for the key's
county. test_the_run_reached_past_validation checks that they did.

The schema is built in this process from the app as `safetynet dev` wires it (so that
the tests can be collected with no server) and checked to be the one the server serves.

Schemathesis 4's pytest plugin is used through `schema.parametrize()`; on pytest 9.2 its
test ids only carry the operation when the test has a pytest parametrization of its own,
which the role provides: test_api[POST /v1/reports][agency].

Run alone: `.venv/bin/python -m pytest tests/security/test_schemathesis.py -q`; a failure
prints a curl command that reproduces it and the server log's errors during the call.
"""

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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
ROLES = ("agency", "dispatcher", "no_key")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",  # positive and negative data
            "max-examples": 60,  # fuzzing cases per operation and role: bounds the run time
            "deterministic": True,  # Hypothesis' derandomize: the same cases on every run
            "database": "none",  # nothing written under .hypothesis/
            "no-shrink": True,  # a failure prints as found; shrinking against a server is slow
        },
        "phases": {
            "stateful": {"enabled": False},
            # Responses of earlier calls would feed later cases: keep the cases a function of the seed.
            "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
            "coverage": {"extra-data-sources": {"responses": False}},
        },
    }
)

# Seeded reports for the operations that name one: (operation path, scenarios). The
# referral operations get the referrals of their reports.
SEEDS: dict[str, tuple[str, ...]] = {
    "/v1/reports/{report_id}": ("ipv_high_tipvda", "vulnerable_family_mapped"),
    "/v1/reports/{report_id}/confirm": ("vulnerable_family_mapped", "ipv_with_mental_illness", "other_only"),
    "/v1/reports/{report_id}/destinations": ("vulnerable_family_mapped", "ipv_with_mental_illness"),
    "/v1/referrals/{referral_id}/acknowledge": ("ipv_high_tipvda", "child_maltreatment_minor_injury_under_6"),
    "/v1/referrals/{referral_id}/reassign": ("ipv_high_tipvda", "child_maltreatment_minor_injury_under_6"),
    "/v1/referrals/{referral_id}/reject": ("ipv_high_tipvda",),
    "/v1/referrals/{referral_id}/close": ("ipv_high_tipvda",),
}


@dataclass
class DevServer:
    base: str = ""
    log: Path = Path("/dev/null")
    keys: dict[str, dict[str, str] | None] = field(default_factory=dict)
    pools: dict[str, list[str]] = field(default_factory=dict)  # operation path -> real ids
    # (role, operation, status) of every response, to check that the run reached past the
    # validation into the real work.
    seen: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def errors(self) -> list[str]:
        """The server log's lines at ERROR or above, and anything that is not a JSON log line
        (a traceback printed by something other than our logger)."""
        found = []
        text = self.log.read_text(errors="replace")
        # dev's start-up banner (where the console is) is for people, not a log line.
        text = text.split(BANNER_END, 1)[-1]
        for line in text.splitlines():
            if not line.strip():  # the blank line that closes the banner
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                found.append(line)
                continue
            if entry.get("level") in ("ERROR", "CRITICAL"):
                found.append(line)
        return found


# The hooks are installed when the module loads, the server starts later: they read the
# pools from this object, which the fixture fills.
SERVER = DevServer()


BANNER_END = "Stop with Ctrl-C."


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    # No rate limit: the run sends over a thousand requests a minute with each key, and past
    # the limit every answer would be the (declared) 429, never reaching the routes' own
    # code. The limiter has its own tests (services/intake/tests/test_keys_and_limits.py).
    # JSON logs (dev prints text otherwise), so a line that is not JSON stands out.
    # Likewise the per-address throttle of failed authentications: the run sends hundreds
    # of requests without a key (tests/test_trust_review.py tests the throttle).
    env = {
        "SAFETYNET_DATABASE_URL": f"sqlite:///{tmp}/dev.db",
        "SAFETYNET_RATE_LIMIT_PER_MINUTE": "0",
        "SAFETYNET_AUTH_FAILURES_PER_MINUTE": "0",
        "SAFETYNET_LOG_FORMAT": "json",
    }
    port = free_port()
    process = Process("dev", "--port", str(port), env=env, log=tmp / "dev.log")
    try:
        SERVER.base, SERVER.log = f"http://127.0.0.1:{port}", tmp / "dev.log"
        process.wait_http(f"{SERVER.base}/healthz")
        agency = mint_key(
            env, "--role", "agency", "--name", "苗栗縣警察局", "--county", COUNTY, "--agency-type", "police"
        )
        dispatcher = mint_key(env, "--role", "dispatcher", "--name", "值班社工", "--county", COUNTY)
        SERVER.keys = {
            "agency": {"Authorization": f"Bearer {agency}"},
            "dispatcher": {"Authorization": f"Bearer {dispatcher}"},
            "no_key": None,
        }
        _seed_reports(SERVER)
        yield SERVER
    finally:
        process.stop()


def _seed_reports(server: DevServer) -> None:
    rng = random.Random(SEED)
    by_name = {s.name: s for s in SCENARIOS}
    posted: list[tuple[str, str]] = []
    for path, names in SEEDS.items():
        for name in names:
            response = httpx.post(
                f"{server.base}/v1/reports",
                json=with_fresh_ids(by_name[name].body, rng),
                headers=server.keys["agency"],
                timeout=10,
            )
            assert response.status_code == 202, response.text
            posted.append((path, response.json()["report_id"]))
    deadline = time.monotonic() + 60
    for path, rid in posted:
        while True:
            body = httpx.get(f"{server.base}/v1/reports/{rid}", headers=server.keys["dispatcher"], timeout=10).json()
            if body["status"] != "received":
                break
            assert time.monotonic() < deadline, f"{rid} was never screened and routed: {body}"
            time.sleep(0.1)
        ids = [r["referral_id"] for r in body["referrals"]] if "{referral_id}" in path else [rid]
        server.pools.setdefault(path, []).extend(ids)
    assert all(server.pools.get(path) for path in SEEDS), server.pools


# --- realistic variants, mixed into the fuzzing phase --------------------------------------


def _realistic_subject(subject: Any, rng: random.Random) -> Any:
    if not isinstance(subject, dict) or rng.random() < 0.2:
        return subject  # now and then as generated: the server's own checks must answer
    subject = dict(subject)
    if "national_id" in subject:
        subject["national_id"] = random_national_id(rng)
    if isinstance(subject.get("age"), float):
        # JSON Schema's "integer" admits 3.0; the contract's StrictInt refuses it with a 422.
        subject["age"] = int(subject["age"])
    if isinstance(subject.get("birth_date"), str) and subject["birth_date"] > "2026":
        subject["birth_date"] = "1990-01-01"
    return subject


def _realistic_report(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """`body` with what only configuration knows: a configured county, the key's agency
    type, and valid national IDs where the generated ones would all fail their check digit."""
    body = {**body, "county": COUNTY}
    if rng.random() < 0.7:
        body["township"] = rng.choice(["頭份市", "竹南鎮", "苗栗市"])
    if isinstance(body.get("source"), dict):
        body["source"] = {**body["source"], "agency_type": "police"}
    if isinstance(body.get("subjects"), list):
        body["subjects"] = [_realistic_subject(s, rng) for s in body["subjects"]]
    return body


def _reason(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    return value if isinstance(value, str) and value.strip() and "\x00" not in value else "測試原因 test reason"


def _realistic_action(path: str, body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    if path.endswith("/destinations"):
        kind = rng.choice(["protection", "mental_health", "welfare_center"])
        unit = {
            "protection": f"{COUNTY}/protection",
            "mental_health": f"{COUNTY}/mental_health",
            "welfare_center": f"{COUNTY}/welfare_center/竹南區",
        }[kind]
        return {**body, "destinations": [{"kind": kind, "unit": unit}], "reason": _reason(body, "reason")}
    if path.endswith("/reassign"):
        return {
            **body,
            "unit": rng.choice([f"{COUNTY}/mental_health", f"{COUNTY}/protection", "nowhere/unit"]),
            "reason": _reason(body, "reason"),
        }
    return body


def _kpi_query(path: str, query: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    query = {**query, "county": COUNTY}
    if path == "/v1/kpis":
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        query["from"] = first.isoformat()
        query["to"] = (first + timedelta(days=rng.choice([0, 1, 30, 365, 366, 400, -1]))).isoformat()
    else:
        query["month"] = f"{rng.choice([2025, 2026, 2027])}-{rng.randint(1, 12):02d}"
    return query


def _install_hooks(schema: Any) -> None:
    rngs = st.integers(min_value=0, max_value=2**32).map(random.Random)  # drawn by Hypothesis: derandomized

    @schema.hook
    def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
        operation = context.operation
        if operation is None or operation.method.upper() != "POST" or not isinstance(body, dict):
            return st.just(body)
        if operation.path == "/v1/reports":
            return st.one_of(rngs.map(lambda rng: _realistic_report(body, rng)), st.just(body))
        return st.one_of(rngs.map(lambda rng: _realistic_action(operation.path, body, rng)), st.just(body))

    @schema.hook
    def flatmap_path_parameters(context: schemathesis.HookContext, parameters: Any) -> Any:
        operation = context.operation
        if operation is None or not isinstance(parameters, dict):
            return st.just(parameters)
        ids = SERVER.pools.get(operation.path)
        name = next((n for n in ("report_id", "referral_id") if n in parameters), None)
        if not ids or name is None:
            return st.just(parameters)
        return st.one_of(st.sampled_from(ids).map(lambda i: {**parameters, name: i}), st.just(parameters))

    @schema.hook
    def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
        operation = context.operation
        if operation is None or operation.path not in ("/v1/kpis", "/v1/high-danger") or not isinstance(query, dict):
            return st.just(query)
        return st.one_of(rngs.map(lambda rng: _kpi_query(operation.path, query, rng)), st.just(query))


def _schema_of_the_app() -> dict[str, Any]:
    """The OpenAPI schema of the intake app exactly as `safetynet dev` wires it, built in this
    process without a database so that the tests can be collected before any server runs
    (test_the_served_schema_is_the_one_under_test checks that the server serves the same)."""
    from safetynet.cli.services import build
    from safetynet.intake.settings import IntakeSettings
    from safetynet.platform.messaging.sqlbus import SqlLogBroker
    from safetynet.platform.storage import make_engine

    settings = IntakeSettings(database_url="sqlite+aiosqlite:///:memory:")
    engine = make_engine(settings.database_url, schemas=("intake",))
    return build("intake", settings=settings, engine=engine, broker=SqlLogBroker(engine)).app.openapi()


def _with_a_request_example(openapi: dict[str, Any]) -> dict[str, Any]:
    """The schema under test, with a valid report as the example of POST /v1/reports' body:
    the examples phase sends it as is, the coverage phase builds its variants on it, so
    those get past the checks that need configuration too."""
    example = with_fresh_ids(next(s for s in SCENARIOS if s.name == "ipv_high_tipvda").body, random.Random(SEED))
    example["source"] = {
        "agency_type": "police",
        "agency_name": "苗栗縣警察局",
        "reporter_name": "王小明",
        "reporter_phone": "037-000000",
        "mandated_reporter": True,
    }
    example["occurred_at"] = "2026-11-20T21:30:00+08:00"
    copied: dict[str, Any] = json.loads(json.dumps(openapi))
    media = copied["paths"]["/v1/reports"]["post"]["requestBody"]["content"]["application/json"]
    media.pop("examples", None)  # the document's own (the README's report, always the same person)
    media["example"] = example
    return copied


OPENAPI = _schema_of_the_app()
schema = schemathesis.openapi.from_dict(_with_a_request_example(OPENAPI), config=CONFIG)
_install_hooks(schema)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
def test_api(case: Any, role: str, dev_server: DevServer) -> None:
    """no_key: whatever Authorization Schemathesis generates (random bearer values, or
    none) must be refused with a declared 401, never a 5xx. With a key, Schemathesis'
    negative cases still drop or garble the header now and then."""
    headers = dev_server.keys[role]
    before = len(dev_server.errors())
    try:
        response = case.call(base_url=dev_server.base, headers=headers, timeout=30)
        dev_server.seen[role, case.operation.label, response.status_code] += 1
        case.validate_response(
            response, checks=CHECKS, headers=headers, transport_kwargs={"base_url": dev_server.base, "headers": headers}
        )
    except AssertionError as failure:
        logged = "\n".join(dev_server.errors()[before:][-20:])
        raise AssertionError(f"{failure}\n\nServer log errors during this call:\n{logged or '(none)'}") from None


def test_the_served_schema_is_the_one_under_test(dev_server: DevServer) -> None:
    assert httpx.get(f"{dev_server.base}/openapi.json", timeout=10).json() == OPENAPI


def test_the_run_reached_past_validation(dev_server: DevServer) -> None:
    """Not only 401, 404 and 422: accepted reports, real reports read, actions applied."""
    if not dev_server.seen:
        pytest.skip("test_api did not run in this session")
    expected = {
        ("agency", "POST /v1/reports", 202),
        ("agency", "POST /v1/reports", 422),
        ("dispatcher", "POST /v1/reports", 403),
        ("no_key", "POST /v1/reports", 401),
        ("agency", "GET /v1/reports/{report_id}", 200),
        ("dispatcher", "GET /v1/reports/{report_id}", 200),
        ("dispatcher", "GET /v1/reports/{report_id}", 404),
        ("dispatcher", "POST /v1/reports/{report_id}/confirm", 202),
        ("dispatcher", "POST /v1/reports/{report_id}/confirm", 409),
        ("dispatcher", "POST /v1/reports/{report_id}/destinations", 202),
        ("dispatcher", "POST /v1/referrals/{referral_id}/acknowledge", 202),
        ("dispatcher", "POST /v1/referrals/{referral_id}/reassign", 202),
        ("dispatcher", "POST /v1/referrals/{referral_id}/close", 403),
        ("agency", "POST /v1/referrals/{referral_id}/acknowledge", 403),
        ("dispatcher", "GET /v1/queue", 200),
        ("agency", "GET /v1/queue", 403),
        ("dispatcher", "GET /v1/kpis", 200),
        ("dispatcher", "GET /v1/kpis", 422),
        ("dispatcher", "GET /v1/high-danger", 200),
        ("dispatcher", "GET /v1/ops/slas", 200),
    }
    summary = "\n".join(
        f"{role:10} {label:48} {status}: {count}" for (role, label, status), count in sorted(dev_server.seen.items())
    )
    assert expected <= set(dev_server.seen), f"never reached: {sorted(expected - set(dev_server.seen))}\n{summary}"


def test_the_server_logged_no_errors_during_the_run(dev_server: DevServer) -> None:
    """5xx are not the only failures: a consumer that dead-letters a generated report, or
    a handler that fails behind a 202, shows only in the log."""
    if not dev_server.seen:
        pytest.skip("test_api did not run in this session")
    assert dev_server.errors() == []
