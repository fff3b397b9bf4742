"""Where a report waits now: the stage that owns its next step."""

from typing import Any

from safetynet.intake.domain.views import ReportView


def waiting_on(view: ReportView) -> dict[str, Any]:
    """The stage a report waits in, and who is expected to act."""
    if view.risk_level is None:
        return {"stage": "screening", "who": "screening service"}
    if view.status == "received":
        return {"stage": "routing", "who": "routing service"}
    if view.status == "awaiting_review":
        rejected = [r["unit"] for r in view.referrals if r["status"] == "rejected"]
        return {"stage": "dispatcher", "who": "dispatch queue" + (f" (rejected by {', '.join(rejected)})" if rejected else "")}
    pending = [r["unit"] for r in view.referrals if r["status"] == "assigned"]
    if pending:
        return {"stage": "unit", "who": ", ".join(pending)}
    return {"stage": "done", "who": ""}
