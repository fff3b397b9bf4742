"""A report's timeline: what happened to it, when and by whom, in order."""

from datetime import datetime
from typing import NamedTuple, TypedDict


class TimelineEntry(TypedDict):
    """One line of a report's timeline, as read back."""

    at: datetime
    event: str  # received, screened, status_awaiting_review, referral_assigned, …
    actor: str  # role:name of a person, or the service that spoke
    detail: str | None


class NewEntry(NamedTuple):
    """A line to add: an event may add several (all under its event id)."""

    at: datetime
    event: str
    actor: str
    detail: str | None = None


def entry_name(type_name: str) -> str:
    """`SlaBreached` -> `sla_breached`: event and command types as timeline entries."""
    return "".join("_" + c.lower() if c.isupper() else c for c in type_name).lstrip("_")
