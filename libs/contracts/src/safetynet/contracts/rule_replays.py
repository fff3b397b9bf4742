"""A what-if replay asked for in the console and run by screening (issue 13).

Intake publishes ReplayRequested on the commands topic (screening, which keeps the
decided inputs and the rule versions, is the one that can replay them); screening answers
with ReplayCompleted on its decisions topic. The envelope's `report_id` carries the
replay's id (the messages' key): a replay is about a period, not one report.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")  # tolerant reader, as events._Payload


class ReplayRequested(_Payload):
    replay_id: str
    county: str
    start: date  # first and last day received (Asia/Taipei), inclusive
    end: date
    # The candidate rule version document, as the supervisor gave it: screening validates it.
    candidate: dict[str, Any]
    requested_by: str
    requested_at: datetime


class ReplayCompleted(_Payload):
    replay_id: str
    county: str
    status: Literal["done", "failed"]
    candidate_version: str | None = None
    # On failure, why (an invalid document names its fields); None when done.
    error: str | None = None
    # The comparison (changed counts, each unit's weekly load, outcomes); None on failure.
    summary: dict[str, Any] | None = None
    completed_at: datetime


REPLAY_EVENT_TYPES: dict[str, type[BaseModel]] = {
    "ReplayRequested": ReplayRequested,
    "ReplayCompleted": ReplayCompleted,
}
