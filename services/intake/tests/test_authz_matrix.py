"""The authorization matrix: every route of the app (the OpenAPI operations, and the
console's routes, which the schema leaves out: app.routes is walked) against every role
and scope, each answer compared with domain/policy.py.

Scopes, seen from the keys of 苗栗縣 (agency 苗栗縣政府警察局, unit 苗栗縣/protection):
- own:          a report of the agency in 苗栗縣, referred to the unit;
- other_agency: a report of another agency in 苗栗縣, referred to the unit too;
- other_unit:   a report of the agency in 苗栗縣, referred to another unit only;
- other_county: a report of the agency in 南投縣 (an agency may report anywhere and
                keeps seeing its own reports; county staff of 苗栗縣 may not);
- sibling:      the own report again, but its other referral, held by another unit;
- unknown:      ids that name nothing;
and no credentials at all. Which of those each role may reach is written out below
(REACH), independently of the policy's own code, as the specification it must meet.
"""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import update

from safetynet.intake.adapters import orm
from safetynet.intake.domain.access import Principal, ReportOwnership
from safetynet.intake.domain.policy import POLICY, RecordTarget, in_reach, rule_for
from safetynet.intake.entrypoints.api.authz import authorize
from safetynet.intake.settings import IntakeSettings

ROLES = ("agency", "dispatcher", "unit", "supervisor", "admin")
TARGETS = ("own", "other_agency", "other_unit", "other_county", "sibling", "unknown")
STAFF = {
    "own": True,
    "other_agency": True,
    "other_unit": True,
    "other_county": False,
    "sibling": True,
    "unknown": False,
}
# (role, "report" | "referral") -> target -> within reach
REACH: dict[tuple[str, str], dict[str, bool]] = {
    ("agency", "report"): {
        "own": True,
        "other_agency": False,
        "other_unit": True,
        "other_county": True,
        "sibling": True,
        "unknown": False,
    },
    ("unit", "report"): {
        "own": True,
        "other_agency": True,
        "other_unit": False,
        "other_county": False,
        "sibling": True,
        "unknown": False,
    },
    ("unit", "referral"): {
        "own": True,
        "other_agency": True,
        "other_unit": False,
        "other_county": False,
        "sibling": False,
        "unknown": False,
    },
    **{(role, level): STAFF for role in ("dispatcher", "supervisor", "admin") for level in ("report", "referral")},
}
MIAOLI, NANTOU = "苗栗縣", "南投縣"


@pytest.fixture
def settings(database_url: str) -> IntakeSettings:
    return IntakeSettings(
        database_url=database_url, kafka_bootstrap=None, rate_limit_per_minute=0
    )  # the walk is ~30 requests a key per route


def walked_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """(method, path template) -> route context, for every route of the app."""
    found = {}
    for context in iter_route_contexts(app.routes):
        for method in (context.methods or {"GET"}) - {"HEAD"}:  # a mount (static files) answers GET
            found[(method, context.path)] = context
    return found


def route_problems(app: FastAPI) -> list[str]:
    """Routes without a rule, routes that skip the policy's dependency, and stale rules."""
    routes = walked_routes(app)
    problems = [f"{m} {p} has no rule in domain/policy.py" for m, p in routes if rule_for(m, p) is None]
    for (method, path), context in routes.items():
        rule = rule_for(method, path)
        if isinstance(context.original_route, APIRoute):
            first = context.dependant.dependencies[0].call if context.dependant.dependencies else None
            if first is not authorize:
                problems.append(f"{method} {path} does not run the authorization dependency first")
        elif rule is not None and not rule.public:
            problems.append(f"{method} {path} is not a FastAPI route (no dependencies run) but is not public")
    problems += [f"the rule for {m} {p} names no route" for m, p in POLICY if (m, p) not in routes]
    return problems


def with_cli_routes(app: FastAPI) -> FastAPI:
    return app  # the CLI adds no route: /metrics has a port of its own (SAFETYNET_METRICS_PORT)


def test_every_route_has_a_rule_and_runs_the_policy(intake: Any) -> None:
    app = with_cli_routes(intake.app)
    assert route_problems(app) == []
    # The OpenAPI operations are all among the walked routes.
    operations = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert operations and operations <= set(walked_routes(app))


async def test_a_route_without_a_rule_is_refused_and_fails_the_walk(
    intake: Any, client: httpx.AsyncClient, keys: Any
) -> None:
    @intake.app.get("/v1/new-thing")
    async def new_thing() -> dict[str, str]:
        return {"secret": "leaked"}

    response = await client.get("/v1/new-thing", headers=keys.dispatcher_miaoli.headers)

    assert response.status_code == 403 and "leaked" not in response.text  # fail closed
    assert "GET /v1/new-thing has no rule in domain/policy.py" in route_problems(intake.app)


# The same world as the walk's fixture below, as the policy's scope check sees it.
_POLICE, _PROTECTION, _MENTAL = "苗栗縣政府警察局", "苗栗縣/protection", "苗栗縣/mental_health"
_AGENCY = {"agency_county": MIAOLI, "agency_type": "police"}  # the police agency's identity
_OWN = ReportOwnership(MIAOLI, _POLICE, frozenset({_PROTECTION, _MENTAL}), **_AGENCY)
SEEN_BY_POLICY: dict[str, tuple[ReportOwnership | None, str | None]] = {
    "own": (_OWN, _PROTECTION),
    "other_agency": (ReportOwnership(MIAOLI, "苗栗縣衛生局", frozenset({_PROTECTION}), **_AGENCY), _PROTECTION),
    "other_unit": (ReportOwnership(MIAOLI, _POLICE, frozenset({_MENTAL}), **_AGENCY), _MENTAL),
    "other_county": (
        ReportOwnership(NANTOU, _POLICE, frozenset({"南投縣/protection"}), **_AGENCY),
        "南投縣/protection",
    ),
    "sibling": (_OWN, _MENTAL),
    "unknown": (None, None),
}


@pytest.mark.parametrize("role, level", sorted(REACH))
def test_the_record_scope_reaches_what_the_specification_says(role: str, level: str) -> None:
    # The walk below goes through HTTP, where the handlers' own checks back the policy up;
    # this pins the policy's scope check by itself.
    principal = Principal(
        key_id="k",
        role=role,
        name=_POLICE if role == "agency" else "someone",
        county=MIAOLI,
        unit=_PROTECTION if role == "unit" else None,
        agency_type="police" if role == "agency" else None,
    )
    for target, (report, holder) in SEEN_BY_POLICY.items():
        reached = in_reach(
            principal, RecordTarget(report=report, names_referral=level == "referral", referral_unit=holder)
        )
        assert reached is REACH[(role, level)][target], (role, level, target)


# -- the walk -----------------------------------------------------------------------------------


async def _post(client: httpx.AsyncClient, key: Any, body: dict[str, Any]) -> str:
    response = await client.post("/v1/reports", json=body, headers=key.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["report_id"])


async def _refer(engine: Any, report_id: str, *units: str) -> list[str]:
    """Give a report an assigned referral to each unit, as routing's snapshot would."""
    now = datetime.now(UTC).isoformat()
    referrals = [
        {
            "referral_id": str(uuid.uuid4()),
            "kind": unit.split("/")[1],
            "unit": unit,
            "status": "assigned",
            "urgent": False,
            "assigned_at": now,
            "updated_at": now,
            "reason": None,
            "outcome": None,
        }
        for unit in units
    ]
    async with engine.begin() as conn:
        await conn.execute(
            update(orm.report_views)
            .where(orm.report_views.c.report_id == report_id)
            .values(
                status="assigned",
                routing_seq=1,
                referrals=referrals,
                destinations=[{"kind": r["kind"], "unit": r["unit"]} for r in referrals],
            )
        )
        for r in referrals:
            await conn.execute(
                orm.referral_index.insert().values(referral_id=r["referral_id"], report_id=report_id, unit=r["unit"])
            )
    return [r["referral_id"] for r in referrals]


@pytest.fixture
async def world(client: httpx.AsyncClient, engine: Any, keys: Any, mint_key: Any, report: Any) -> dict[str, Any]:
    health = await mint_key(role="agency", name="苗栗縣衛生局", county=MIAOLI, agency_type="health")
    cast = {
        "agency": keys.police,
        "dispatcher": keys.dispatcher_miaoli,
        "unit": await mint_key(role="unit", name="苗栗家防中心", county=MIAOLI, unit="苗栗縣/protection"),
        "supervisor": await mint_key(role="supervisor", name="苗栗督導", county=MIAOLI),
        "admin": await mint_key(role="admin", name="苗栗管理者", county=MIAOLI),
    }
    reports = {
        "own": await _post(client, keys.police, report()),
        "other_agency": await _post(client, health, report(source={"agency_type": "health"})),
        "other_unit": await _post(client, keys.police, report()),
        "other_county": await _post(client, keys.police, report(county=NANTOU, township="埔里鎮")),
    }
    referrals = {}
    referrals["own"], referrals["sibling"] = await _refer(
        engine, reports["own"], "苗栗縣/protection", "苗栗縣/mental_health"
    )
    [referrals["other_agency"]] = await _refer(engine, reports["other_agency"], "苗栗縣/protection")
    [referrals["other_unit"]] = await _refer(engine, reports["other_unit"], "苗栗縣/mental_health")
    [referrals["other_county"]] = await _refer(engine, reports["other_county"], "南投縣/protection")
    reports["sibling"] = reports["own"]
    reports["unknown"], referrals["unknown"] = str(uuid.uuid4()), str(uuid.uuid4())
    return {"keys": cast, "reports": reports, "referrals": referrals}


def _request(method: str, path: str, target: str, world: dict[str, Any]) -> dict[str, Any]:
    url = path.replace("{report_id}", world["reports"][target]).replace("{referral_id}", world["referrals"][target])
    county = NANTOU if target == "other_county" else MIAOLI
    params = {
        "/v1/kpis": {"county": county, "from": "2026-11-01", "to": "2026-11-30"},
        "/v1/kpis/outcomes": {"county": county, "from": "2026-11-01", "to": "2026-11-30"},
        "/v1/high-danger": {"county": county, "month": "2026-11"},
        "/v1/network-meeting": {"county": county, "month": "2026-11"},
        "/v1/audit": {"report_id": world["reports"][target]},
    }.get(path, {})
    if path == "/console/static":
        url = "/console/static/console.css"
    body: dict[str, Any] = {}
    if method == "POST":
        body = {"data": {}} if path.startswith("/console") else {"json": {}}
    return {"method": method, "url": url, "params": params, **body}


def _outcome(response: httpx.Response | None) -> str:
    if response is None:
        return "allowed"  # an event stream that opened: the policy let it through
    location = response.headers.get("location", "")
    if response.status_code == 401 or (
        response.status_code == 303
        and (location == "/console/sign-in" or location.startswith("/console/sign-in?next="))
    ):
        return "unauthenticated"
    return {403: "forbidden", 404: "not_found", 429: "rate_limited"}.get(response.status_code, "allowed")


def _expected(method: str, path: str, role: str | None, target: str) -> set[str]:
    rule = rule_for(method, path)
    assert rule is not None
    if rule.public:  # whatever the route answers itself, but never a refusal by the policy
        return {"allowed", "forbidden", "not_found"}
    if role is None:
        return {"unauthenticated"}
    if role not in rule.roles:
        return {"forbidden"}
    if rule.scope == "record":
        level = "referral" if "{referral_id}" in path and "{report_id}" not in path else "report"
        return {"allowed"} if REACH[(role, level)][target] else {"not_found"}
    if rule.scope == "county_param":
        return {"forbidden"} if target == "other_county" else {"allowed"}
    return {"allowed"}


async def _send(client: httpx.AsyncClient, request: dict[str, Any], headers: dict[str, str]) -> httpx.Response | None:
    try:  # the console's event stream answers at once only when refused
        return await asyncio.wait_for(client.request(**request, headers=headers), timeout=3)
    except TimeoutError:
        return None


async def test_every_route_answers_every_role_and_scope_as_the_policy_says(
    intake: Any, client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    routes = walked_routes(with_cli_routes(intake.app))
    mismatches, leaks = [], []
    for method, path in sorted(routes):
        rule = rule_for(method, path)
        # Targets matter where the route names a record or a county; elsewhere one will do.
        targets = TARGETS if rule and (rule.scope in ("record", "county_param") or path == "/v1/audit") else ("own",)
        cases = [(None, "own")] + [(role, target) for role in ROLES for target in targets]
        for role, target in cases:
            headers = world["keys"][role].headers if role else {}
            response = await _send(client, _request(method, path, target, world), headers)
            got, expected = _outcome(response), _expected(method, path, role, target)
            if got not in expected:
                status = response.status_code if response is not None else "stream"
                mismatches.append(
                    f"{method} {path} as {role or 'nobody'} on {target}: {status} ({got}), "
                    f"policy says {sorted(expected)}"
                )
            if got == "allowed" and role and response is not None:
                for other, report_id in world["reports"].items():
                    if not REACH[(role, "report")][other] and report_id in response.text:
                        leaks.append(f"{method} {path} as {role} on {target} shows the {other} report")
    assert mismatches == [], "\n".join(mismatches)
    assert leaks == [], "\n".join(leaks)
