"""Where a report waits now: the stage that owns its next step."""

from typing import Literal, TypedDict

from safetynet.intake.domain.views import ReportView


class WaitingOn(TypedDict):
    stage: Literal["screening", "routing", "dispatcher", "unit", "done"]
    who: str  # the service, the dispatch queue, or the units' ids (", "-joined)


def waiting_on(view: ReportView) -> WaitingOn:
    """The stage a report waits in, and who is expected to act."""
    if view.risk_level is None:
        return {"stage": "screening", "who": "screening service"}
    if view.status == "received":
        return {"stage": "routing", "who": "routing service"}
    if view.status == "awaiting_review":
        rejected = [r["unit"] for r in view.referrals if r["status"] == "rejected"]
        return {
            "stage": "dispatcher",
            "who": "dispatch queue" + (f" (rejected by {', '.join(rejected)})" if rejected else ""),
        }
    pending = [r["unit"] for r in view.referrals if r["status"] == "assigned"]
    if pending:
        return {"stage": "unit", "who": ", ".join(pending)}
    return {"stage": "done", "who": ""}
