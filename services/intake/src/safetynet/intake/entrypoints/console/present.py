"""Turns the queue and the report view into what the templates show: Taipei times, time
left on the SLA, unit names, and the choices each form offers."""

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from safetynet.contracts.counties import CountyDirectory
from safetynet.intake.entrypoints.console import labels

TAIPEI = timezone(timedelta(hours=8), "Asia/Taipei")
SOON = timedelta(hours=4)  # under this much time left, the row is marked as due soon
KINDS = ("protection", "welfare_center", "mental_health", "youth_counseling")
RISKS = ("red", "orange", "yellow", "green")
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


def sla_left(sla: dict[str, Any], now: datetime) -> dict[str, str]:
    """The SLA as text and a tone (`late`, `soon`, `ok`, `done`), never as colour alone."""
    due = _dt(sla.get("due_at"))
    state = sla.get("state", "open")
    if state == "met":
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

    def groups(self, only_kind: str | None = None) -> list[dict[str, Any]]:
        """Units grouped by destination kind, in the contract's order."""
        return [{"kind": kind, "label": labels.label(labels.KIND, kind),
                 "units": [{"id": i, "name": n} for k, i, n in self._all if k == kind]}
                for kind in KINDS if only_kind in (None, kind) and any(k == kind for k, _, _ in self._all)]


def queue_rows(items: list[dict[str, Any]], units: Units, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """dispatch_queue's items (already by SLA time left, then risk), split by who they wait on."""
    rows: dict[str, list[dict[str, Any]]] = {"review": [], "acknowledgement": []}
    for item in items:
        rows[item["queue"]].append({
            **item, "short_id": item["report_id"][:8], "left": sla_left(item["sla"], now),
            "received": when(item["received_at"]),
            "destination_names": [{"kind": d["kind"], "unit": units.name(d.get("unit"))} for d in item["destinations"]],
            "waiting": [{**r, "unit_name": units.name(r["unit"])} for r in item["waiting_referrals"]],
        })
    return rows


def ops_rows(items: list[dict[str, Any]], units: Units, now: datetime) -> list[dict[str, Any]]:
    """open_slas' items as the queue shows reports: unit names, time left with its tone.
    `waiting_on.who` is the API's text (unit ids joined by ", "); staff read unit names."""
    rows = []
    for item in items:
        stage, who = item["waiting_on"]["stage"], item["waiting_on"]["who"]
        rejected = REJECTED_BY.search(who) if stage == "dispatcher" else None
        waiting_units = who.split(", ") if stage == "unit" and who else []
        rows.append({**item, "short_id": item["report_id"][:8],
                     "left": sla_left({"due_at": item["due_at"], "state": "open"}, now),
                     "waiting_names": [units.name(u) for u in waiting_units],
                     "rejected_by": [units.name(u) for u in rejected.group(1).split(", ")] if rejected else []})
    return rows


REJECTED_BY = re.compile(r"\(rejected by (.+)\)$")


def report_page(found: dict[str, Any], units: Units, now: datetime) -> dict[str, Any]:
    """Everything the report page shows, and which actions apply now."""
    report, view = found["report"], found["view"]
    submission = report["submission"]
    destinations = [{**d, "unit_name": units.name(d.get("unit"))} for d in view.destinations]
    current = {d.get("unit") for d in view.destinations if d.get("unit")}
    referrals = []
    for r in view.referrals:
        # Routing moves a referral only to another unit of its kind that is not already
        # a destination (or back to its own unit once that unit has rejected it).
        same_kind = units.groups(r["kind"])
        choices = [u for u in (same_kind[0]["units"] if same_kind else [])
                   if u["id"] not in current or (u["id"] == r["unit"] and r["status"] == "rejected")]
        referrals.append({**r, "unit_name": units.name(r["unit"]), "assigned": when(r["assigned_at"]),
                          "updated": when(r["updated_at"]), "can_acknowledge": r["status"] == "assigned",
                          "can_reassign": r["status"] in ("assigned", "rejected") and bool(choices),
                          "reassign_choices": choices})
    reviewing = view.status == "awaiting_review"
    # As routing decides: confirm and change act on destinations no live referral holds;
    # a rejected referral waits for a reassignment instead.
    held = {(r["kind"], r["unit"]) for r in view.referrals if r["status"] != "reassigned"}
    pending = [d for d in view.destinations if not d.get("unit") or (d["kind"], d["unit"]) not in held]
    return {
        "report_id": report["report_id"], "short_id": report["report_id"][:8],
        "county": report["county"], "township": report["township"], "received": when(report["received_at"]),
        "status": view.status, "risk_level": view.risk_level, "urgent": view.urgent,
        "direct_dispatch": view.direct_dispatch, "rule_version": view.rule_version, "reasons": view.reasons,
        "recommended": [{**d, "unit_name": units.name(d.get("unit"))} for d in view.recommended],
        "destinations": destinations, "referrals": referrals,
        "sla": {**view.sla, **sla_left(view.sla, now), "closed": when(view.sla.get("closed_at"))},
        "timeline": [{**e, "when": when(e["at"]), "label": labels.event_label(e["event"]), "detail": readable(e["detail"])}
                     for e in reversed(found["timeline"])],  # newest first: what just happened is on top
        "categories": report["categories"], "narrative": submission.get("narrative", ""),
        "subjects": submission.get("subjects", []), "source": submission.get("source", {}),
        "household": submission.get("household") or {}, "indicators": submission.get("indicators") or {},
        "occurred": when(submission.get("occurred_at")),
        "can_confirm": reviewing and any(d.get("unit") for d in pending),
        "can_change": reviewing and (bool(pending) or not view.destinations),
        "must_reassign": reviewing and bool(view.destinations) and not pending,
        "unit_groups": units.groups(), "current_units": current,
        "held_units": held_units(view.referrals),
    }


def held_units(referrals: list[dict[str, Any]]) -> set[str]:
    """Units that hold a live referral: a change must keep them (routing refuses otherwise)."""
    return {r["unit"] for r in referrals if r["status"] != "reassigned"}
