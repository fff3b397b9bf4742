"""Turns the queue and the report view into what the templates show: Taipei times, time
left on the SLA, unit names, and the choices each form offers."""

import re
from datetime import datetime, timedelta

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain.actions import destinations_without_referral
from safetynet.intake.domain.views import Referral, Sla
from safetynet.intake.entrypoints.console import labels
from safetynet.intake.entrypoints.console.rows import (
    DestinationShown,
    OpsRow,
    QueueRows,
    ReferralShown,
    ReportPage,
    SlaLeft,
    UnitGroup,
)
from safetynet.intake.service_layer.handlers import ReportRead
from safetynet.intake.service_layer.ops import OpenSla
from safetynet.intake.service_layer.queue import QueueItem
from safetynet.platform.counties import CountyDirectory
from safetynet.policy import bsrs5
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy.destination_kinds import DESTINATION_KINDS
from safetynet.policy.risk_lights import RISK_LIGHTS

RISKS = RISK_LIGHTS  # the queue filter's choices, most urgent first (pages and templates)
KINDS = DESTINATION_KINDS  # the kind filter's choices, in listing order (pages and templates)
SOON = timedelta(hours=4)  # under this much time left, the row is marked as due soon
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)")


def _dt(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def when(value: datetime | str | None) -> str:
    """A timestamp as staff read it: Taipei time, to the minute."""
    moment = _dt(value)
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M") if moment else "—"


def readable(detail: str | None) -> str | None:
    """Timeline details quote UTC ISO timestamps; staff read Taipei time."""
    return ISO_TIME.sub(lambda m: when(m.group()), detail) if detail else detail


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小時 {minutes:02d} 分" if hours else f"{minutes} 分"


def sla_left(sla: Sla, now: datetime) -> SlaLeft:
    """The SLA as text and a tone (`late`, `soon`, `ok`, `done`), never as colour alone."""
    due = _dt(sla["due_at"])
    if sla["state"] == "met":
        return {"text": "已完成 Met", "tone": "done", "due": when(due)}
    if due is None:
        return {"text": "—", "tone": "ok", "due": "—"}
    left = due - now
    if left.total_seconds() <= 0:
        return {"text": f"逾時 {_duration(-left)} overdue", "tone": "late", "due": when(due)}
    return {"text": f"剩 {_duration(left)} left", "tone": "soon" if left < SOON else "ok", "due": when(due)}


class Units:
    """Unit names and form choices of one county, from the county data."""

    def __init__(self, directory: CountyDirectory, county: str):
        data = directory.county(county) if directory.is_configured(county) else None
        self._all = [(kind, u.id, u.name) for kind, u in (data.units.items() if data else ())]
        self._all += [("welfare_center", c.id, c.name) for c in (data.welfare_centers if data else ())]
        self._names = {unit_id: name for _, unit_id, name in self._all}
        self._kinds = {unit_id: kind for kind, unit_id, _ in self._all}

    def name(self, unit_id: str | None) -> str:
        if not unit_id:
            return "未指定單位 No unit"
        return self._names.get(unit_id, unit_id)

    def kind(self, unit_id: str) -> str | None:
        return self._kinds.get(unit_id)

    def groups(self, only_kind: str | None = None) -> list[UnitGroup]:
        """Units grouped by destination kind, in the contract's order."""
        return [
            {
                "kind": kind,
                "label": labels.label(labels.KIND, kind),
                "units": [{"id": i, "name": n} for k, i, n in self._all if k == kind],
            }
            for kind in KINDS
            if only_kind in (None, kind) and any(k == kind for k, _, _ in self._all)
        ]


def queue_rows(items: list[QueueItem], units: Units, now: datetime) -> QueueRows:
    """dispatch_queue's items (already by SLA time left, then risk), split by who they wait on."""
    rows: QueueRows = {"review": [], "acknowledgement": []}
    for item in items:
        rows[item["queue"]].append(
            {
                **item,
                "short_id": item["report_id"][:8],
                "left": sla_left(item["sla"], now),
                "received": when(item["received_at"]),
                "destination_names": [{"kind": d["kind"], "unit": units.name(d["unit"])} for d in item["destinations"]],
                "waiting": [{**r, "unit_name": units.name(r["unit"])} for r in item["waiting_referrals"]],
            }
        )
    return rows


def ops_rows(items: list[OpenSla], units: Units, now: datetime) -> list[OpsRow]:
    """open_slas' items as the queue shows reports: unit names, time left with its tone.
    `waiting_on.who` is the API's text (unit ids joined by ", "); staff read unit names."""
    rows: list[OpsRow] = []
    for item in items:
        stage, who = item["waiting_on"]["stage"], item["waiting_on"]["who"]
        rejected = REJECTED_BY.search(who) if stage == "dispatcher" else None
        waiting_units = who.split(", ") if stage == "unit" and who else []
        rows.append(
            {
                **item,
                "short_id": item["report_id"][:8],
                "left": sla_left(Sla(due_at=item["due_at"], state="open", closed_at=None), now),
                "waiting_names": [units.name(u) for u in waiting_units],
                "rejected_by": [units.name(u) for u in rejected.group(1).split(", ")] if rejected else [],
            }
        )
    return rows


REJECTED_BY = re.compile(r"\(rejected by (.+)\)$")


def report_page(found: ReportRead, units: Units, now: datetime) -> ReportPage:
    """Everything the report page shows, and which actions apply now."""
    report, view = found.report, found.view
    submission = report["submission"]
    destinations: list[DestinationShown] = [{**d, "unit_name": units.name(d["unit"])} for d in view.destinations]
    current = {unit for d in view.destinations if (unit := d["unit"])}
    referrals: list[ReferralShown] = []
    for r in view.referrals:
        # Routing moves a referral only to another unit of its kind that is not already
        # a destination (or back to its own unit once that unit has rejected it).
        same_kind = units.groups(r["kind"])
        choices = [
            u
            for u in (same_kind[0]["units"] if same_kind else [])
            if u["id"] not in current or (u["id"] == r["unit"] and r["status"] == "rejected")
        ]
        referrals.append(
            {
                **r,
                "unit_name": units.name(r["unit"]),
                "assigned": when(r["assigned_at"]),
                "updated": when(r["updated_at"]),
                "can_acknowledge": lifecycle.allows("acknowledge", r["status"]),
                "can_reassign": lifecycle.allows("reassign", r["status"]) and bool(choices),
                "reassign_choices": choices,
            }
        )
    reviewing = view.status == "awaiting_review"
    # As routing decides: confirm and change act on destinations no live referral holds;
    # a rejected referral waits for a reassignment instead.
    pending = destinations_without_referral(view)
    return {
        "report_id": report["report_id"],
        "short_id": report["report_id"][:8],
        "county": report["county"],
        "township": report["township"],
        "received": when(report["received_at"]),
        "status": view.status,
        "risk_level": view.risk_level,
        "urgent": view.urgent,
        "direct_dispatch": view.direct_dispatch,
        "rule_version": view.rule_version,
        "reasons": view.reasons,
        "recommended": [{**d, "unit_name": units.name(d["unit"])} for d in view.recommended],
        "destinations": destinations,
        "referrals": referrals,
        "sla": {**view.sla, **sla_left(view.sla, now), "closed": when(view.sla["closed_at"])},
        "timeline": [
            {**e, "when": when(e["at"]), "label": labels.event_label(e["event"]), "detail": readable(e["detail"])}
            for e in reversed(found.timeline)
        ],  # newest first: what just happened is on top
        "categories": report["categories"],
        "narrative": submission.get("narrative", ""),
        "subjects": submission.get("subjects", []),
        "source": submission.get("source", {}),
        "household": submission.get("household") or {},
        # The BSRS-5 score is shown on its own (total, band, suicide item), not as a flag.
        "indicators": {k: v for k, v in (submission.get("indicators") or {}).items() if k != "bsrs5"},
        "bsrs5": bsrs5.of_indicators(submission.get("indicators")),
        "occurred": when(submission.get("occurred_at")),
        "can_confirm": reviewing and any(d.unit for d in pending),
        "can_change": reviewing and (bool(pending) or not view.destinations),
        "must_reassign": reviewing and bool(view.destinations) and not pending,
        "unit_groups": units.groups(),
        "current_units": current,
        "held_units": held_units(view.referrals),
        "links": found.links,
    }


def held_units(referrals: list[Referral]) -> set[str]:
    """Units that hold a live referral: a change must keep them (routing refuses otherwise)."""
    return {r["unit"] for r in referrals if r["status"] not in lifecycle.SUPERSEDED}
