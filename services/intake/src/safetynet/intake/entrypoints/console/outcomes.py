"""The console's learning-KPI page (/console/kpis/outcomes): what the units did with the
county's referrals, per destination kind, unit, source and the rule that produced the
destination, as server-rendered SVG bar charts (no script, no build step) with the
figures beside them in tables."""

from datetime import UTC, datetime
from typing import TypedDict

from fastapi import APIRouter, Request
from starlette.responses import Response

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain import kpis as kpi_rules
from safetynet.intake.domain.outcome_kpis import NO_RULE, OutcomeFigures
from safetynet.intake.entrypoints.api.deps import Context
from safetynet.intake.entrypoints.console import labels
from safetynet.intake.entrypoints.console.auth import PageStaff
from safetynet.intake.entrypoints.console.pages import parse_date
from safetynet.intake.entrypoints.console.present import Units
from safetynet.intake.entrypoints.console.templating import render
from safetynet.intake.service_layer.outcome_kpis import county_outcome_kpis

router = APIRouter(prefix="/console", include_in_schema=False)

# The chart's geometry, in SVG user units: a label column, then the bar, then its figure.
LABEL_WIDTH, BAR_WIDTH, FIGURE_WIDTH, ROW_HEIGHT = 300, 300, 120, 26
CHART_WIDTH = LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH


class Bar(TypedDict):
    label: str
    y: int
    text_y: int  # the label's and figure's baseline
    width: int  # the bar's length; 0 when there is no rate
    figure: str  # "33.7% (2003/5937)" or "— (0/0)"


class Chart(TypedDict):
    title: str
    height: int
    bars: list[Bar]


class Row(TypedDict):
    label: str
    figures: OutcomeFigures
    hours_to_acknowledge: str


class Grouping(TypedDict):
    key: str
    title: str
    charts: list[Chart]
    rows: list[Row]


GROUPINGS = (
    ("by_kind", "依派案類別 By destination kind"),
    ("by_reason_code", "依派案規則 By the rule that produced the destination"),
    ("by_unit", "依單位 By unit"),
    ("by_source", "依通報來源 By source agency type"),
)


def percent(numerator: int, denominator: int) -> str:
    share = "—" if not denominator else f"{100 * numerator / denominator:.1f}%"
    return f"{share} ({numerator}/{denominator})"


def chart(title: str, items: list[tuple[str, int, int]]) -> Chart:
    """A horizontal bar per (label, numerator, denominator): the bar is the share."""
    bars: list[Bar] = [
        {
            "label": name,
            "y": i * ROW_HEIGHT,
            "text_y": i * ROW_HEIGHT + 17,
            "width": round(BAR_WIDTH * numerator / denominator) if denominator else 0,
            "figure": percent(numerator, denominator),
        }
        for i, (name, numerator, denominator) in enumerate(items)
    ]
    return {"title": title, "height": max(1, len(bars)) * ROW_HEIGHT, "bars": bars}


def hours(seconds: float | None) -> str:
    """A wait as staff read it: minutes under an hour, else hours."""
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def grouping(key: str, title: str, groups: dict[str, OutcomeFigures], name: dict[str, str]) -> Grouping:
    named = [(name.get(k, k), f) for k, f in groups.items()]
    opening = [(n, f["opening"]["numerator"], f["opening"]["denominator"]) for n, f in named]
    rejection = [(n, f["rejection"]["numerator"], f["rejection"]["denominator"]) for n, f in named]
    return {
        "key": key,
        "title": title,
        "charts": [chart("開案率 Opening rate", opening), chart("退案率 Rejection rate", rejection)],
        "rows": [
            {
                "label": k if key == "by_reason_code" and k != NO_RULE else n,
                "figures": f,
                "hours_to_acknowledge": hours(f["median_seconds_to_acknowledge"]),
            }
            for (n, f), k in zip(named, groups, strict=True)
        ],
    }


def group_names(key: str, groups: dict[str, OutcomeFigures], units: Units) -> dict[str, str]:
    if key == "by_kind":
        return {k: labels.label(labels.KIND, k) for k in groups}
    if key == "by_unit":
        return {k: units.name(k) for k in groups}
    if key == "by_source":
        return {k: f"{labels.label(labels.AGENCY, k)} {k}" for k in groups}
    # Codes without their DEST_ prefix, so they fit beside the bar (the table names them whole).
    return {k: "未經規則 No rule (dispatcher's choice)" if k == NO_RULE else k.removeprefix("DEST_") for k in groups}


@router.get("/kpis/outcomes")
async def outcomes_page(request: Request, ctx: Context, staff: PageStaff) -> Response:
    now = datetime.now(UTC)
    today = now.astimezone(TAIPEI).date()
    first = parse_date(request.query_params.get("from")) or today.replace(day=1)
    last = parse_date(request.query_params.get("to")) or today
    problems = kpi_rules.period_problems(first, last)
    county = staff.principal.county
    k = None if problems else await county_outcome_kpis(county=county, first=first, last=last, now=now, uow=ctx.uow())
    units = Units(ctx.directory, county)
    grouped = (
        {
            "by_kind": k["by_kind"],
            "by_reason_code": k["by_reason_code"],
            "by_unit": k["by_unit"],
            "by_source": k["by_source"],
        }
        if k
        else {}
    )
    groupings = [
        grouping(key, title, grouped[key], group_names(key, grouped[key], units)) for key, title in GROUPINGS if grouped
    ]
    return render(
        request,
        "console/kpis_outcomes.html",
        staff=staff,
        first=first.isoformat(),
        last=last.isoformat(),
        problems=problems,
        k=k,
        groupings=groupings,
        overall=grouping("overall", "全縣 County", {county: k["overall"]}, {}) if k else None,
        chart_width=CHART_WIDTH,
        label_width=LABEL_WIDTH,
        bar_width=BAR_WIDTH,
        row_height=ROW_HEIGHT,
        percent=percent,
        hours=hours,
    )
