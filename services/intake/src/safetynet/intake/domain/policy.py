"""The authorization policy: for every route of intake's app, the roles that may call it
and how far their reach goes. One table, enforced by one dependency that every route runs
(entrypoints/api/authz.py); tests/test_authz_matrix.py walks every route against every
role and scope and compares each answer with this table, and fails on a route without a
rule.

Roles
- agency: posts reports and reads the progress of its own agency's reports (status,
  times, SLA, destination kinds: no personal data, so those reads are not audited).
- dispatcher: the county's dispatch desk: every report of the county, the queue, the
  actions, KPIs, the high-danger list, the console.
- supervisor: a dispatcher, plus the county's audit trail and the rule page (a candidate
  rule version tried on the county's history).
- unit: a destination unit: the reports referred to it, and actions on its own referrals;
  in the console, its inbox (and nothing of the dispatch pages).
- admin: the county's oversight (data protection) officer: reads any report of its
  county (each read is audited), the ops view and the audit trail; no dispatch action and
  no dispatch tool (queue, KPIs, high-danger list, console). Keys are administered with
  the CLI (`safetynet keys ...`), by whoever holds the database credentials.

Scopes
- public: no credentials at all.
- key: any key of the roles; the route touches no one else's record (posting a report).
- county: the key's own county; the handler filters by it.
- county_param: the `county` query parameter must be the key's own county, else 403 (the
  configured counties are public: naming one leaks nothing).
- record: the report or referral named in the path must be within the key's reach, else
  404, exactly as for an unknown id: an agency's own reports; a unit's own referrals and
  the reports referred to it; county staff's county.
"""

from dataclasses import dataclass
from typing import Literal

from safetynet.intake.domain.access import Principal, ReportOwnership, Role, can_read

Scope = Literal["public", "key", "county", "county_param", "record"]
# How a request without valid credentials is answered: the API's 401, or the console's
# redirect to its sign-in page (full pages) or 401 page (fragments, the event stream).
SignIn = Literal["api", "page", "fragment"]


@dataclass(frozen=True)
class Rule:
    roles: tuple[Role, ...]
    scope: Scope
    sign_in: SignIn = "api"

    @property
    def public(self) -> bool:
        return self.scope == "public"


AGENCY: tuple[Role, ...] = ("agency",)
DISPATCH: tuple[Role, ...] = ("dispatcher", "supervisor")
COUNTY_STAFF: tuple[Role, ...] = ("dispatcher", "supervisor", "admin")
READERS: tuple[Role, ...] = ("agency", "dispatcher", "unit", "supervisor", "admin")
AUDITORS: tuple[Role, ...] = ("supervisor", "admin")
SUPERVISORS: tuple[Role, ...] = ("supervisor",)
UNIT: tuple[Role, ...] = ("unit",)
CONSOLE: tuple[Role, ...] = (*DISPATCH, "unit")  # who may sign in to the console
PUBLIC = Rule((), "public")

# (method, path template) -> rule. HEAD follows GET.
POLICY: dict[tuple[str, str], Rule] = {
    # The partner API
    ("POST", "/v1/reports"): Rule(AGENCY, "key"),
    ("GET", "/v1/reports/{report_id}"): Rule(READERS, "record"),
    ("GET", "/v1/reports/{report_id}/history"): Rule(DISPATCH, "record"),  # the subjects' other reports
    # Dispatcher and unit actions (domain/actions.py checks the report's state)
    ("POST", "/v1/reports/{report_id}/confirm"): Rule(DISPATCH, "record"),
    ("POST", "/v1/reports/{report_id}/destinations"): Rule(DISPATCH, "record"),
    ("POST", "/v1/referrals/{referral_id}/reassign"): Rule(DISPATCH, "record"),
    ("POST", "/v1/referrals/{referral_id}/acknowledge"): Rule(("unit", *DISPATCH), "record"),
    ("POST", "/v1/referrals/{referral_id}/reject"): Rule(("unit",), "record"),
    ("POST", "/v1/referrals/{referral_id}/close"): Rule(("unit",), "record"),
    ("POST", "/v1/referrals/{referral_id}/long-term-care"): Rule(UNIT, "record"),  # issue 14
    # County tools
    ("GET", "/v1/queue"): Rule(DISPATCH, "county"),
    ("GET", "/v1/kpis"): Rule(DISPATCH, "county_param"),
    ("GET", "/v1/kpis/outcomes"): Rule(DISPATCH, "county_param"),  # the learning KPIs (issue 13)
    ("GET", "/v1/high-danger"): Rule(DISPATCH, "county_param"),
    ("GET", "/v1/network-meeting"): Rule(DISPATCH, "county_param"),  # early intervention (issue 14)
    ("GET", "/v1/ops/slas"): Rule(COUNTY_STAFF, "county"),
    ("GET", "/v1/audit"): Rule(AUDITORS, "county"),
    # The console (dispatch staff's pages)
    ("GET", "/console/sign-in"): PUBLIC,
    ("POST", "/console/sign-in"): PUBLIC,  # checks the key in the form itself, as the API would
    ("POST", "/console/sign-out"): Rule(CONSOLE, "key", "page"),
    ("GET", "/console"): Rule(DISPATCH, "county", "page"),
    ("GET", "/console/queue"): Rule(DISPATCH, "county", "fragment"),
    ("GET", "/console/ops"): Rule(DISPATCH, "county", "page"),
    ("GET", "/console/kpis"): Rule(DISPATCH, "county", "page"),
    ("GET", "/console/kpis/outcomes"): Rule(DISPATCH, "county", "page"),
    ("GET", "/console/network-meeting"): Rule(DISPATCH, "county", "page"),  # early intervention (issue 14)
    # Rule versions tried on the county's history (issue 13): supervisors only.
    ("GET", "/console/rules"): Rule(SUPERVISORS, "county", "page"),
    ("POST", "/console/rules/replays"): Rule(SUPERVISORS, "county", "page"),
    ("GET", "/console/events"): Rule(DISPATCH, "county", "fragment"),
    ("GET", "/console/reports/new"): Rule(DISPATCH, "county", "page"),  # a phone or walk-in report
    ("POST", "/console/reports/new"): Rule(DISPATCH, "county", "page"),
    ("GET", "/console/reports/{report_id}"): Rule(DISPATCH, "record", "page"),
    ("GET", "/console/reports/{report_id}/live"): Rule(DISPATCH, "record", "fragment"),
    ("POST", "/console/reports/{report_id}/confirm"): Rule(DISPATCH, "record", "page"),
    ("POST", "/console/reports/{report_id}/destinations"): Rule(DISPATCH, "record", "page"),
    ("POST", "/console/reports/{report_id}/referrals/{referral_id}/reassign"): Rule(DISPATCH, "record", "page"),
    ("POST", "/console/reports/{report_id}/referrals/{referral_id}/acknowledge"): Rule(DISPATCH, "record", "page"),
    # The unit's inbox (issue 13): "key" scope, as the handlers read only the key's own unit.
    ("GET", "/console/inbox"): Rule(UNIT, "key", "page"),
    ("GET", "/console/inbox/live"): Rule(UNIT, "key", "fragment"),
    ("GET", "/console/inbox/events"): Rule(UNIT, "key", "fragment"),
    ("GET", "/console/inbox/reports/{report_id}"): Rule(UNIT, "record", "page"),
    ("GET", "/console/inbox/reports/{report_id}/live"): Rule(UNIT, "record", "fragment"),
    ("POST", "/console/inbox/referrals/{referral_id}/acknowledge"): Rule(UNIT, "record", "page"),
    ("POST", "/console/inbox/referrals/{referral_id}/reject"): Rule(UNIT, "record", "page"),
    ("POST", "/console/inbox/referrals/{referral_id}/close"): Rule(UNIT, "record", "page"),
    ("POST", "/console/inbox/referrals/{referral_id}/long-term-care"): Rule(UNIT, "record", "page"),  # issue 14
    ("GET", "/console/static"): PUBLIC,  # a mount: the console's own CSS and script
    # Operations and documentation
    ("GET", "/"): PUBLIC,  # a redirect to the console, for whoever opens the bare address
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route, or None: a route without a rule is refused (fail closed)."""
    return POLICY.get(("GET" if method == "HEAD" else method, path))


def role_allowed(principal: Principal, rule: Rule) -> bool:
    return principal.role in rule.roles


def refusal(rule: Rule) -> str:
    return f"this action needs a key of role {' or '.join(rule.roles)}"


@dataclass(frozen=True)
class RecordTarget:
    """What a path names: a report (the path's, else the named referral's), as intake knows it."""

    report: ReportOwnership | None  # None: no such report
    names_referral: bool = False
    referral_unit: str | None = None  # the unit holding the named referral; None: unknown referral


def in_reach(principal: Principal, target: RecordTarget) -> bool:
    """The `record` scope. The report must be the key's to read (access.can_read); a unit
    must also hold the referral named. For county staff a referral is within reach with
    its report; one named under a report it does not belong to is the route's 404."""
    if target.report is None:
        return False
    if target.names_referral and principal.role == "unit" and target.referral_unit != principal.unit:
        return False
    return can_read(principal, target.report)


def county_param_allowed(principal: Principal, county: str | None) -> bool:
    """The `county_param` scope: a missing parameter is left to the route (a 422)."""
    return county is None or county == principal.county
