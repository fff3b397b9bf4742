"""Where a report view stands in the county's lists: the dispatch queue and the open SLAs.

The lists are read from columns of the view kept next to its JSON documents (issue 10:
with a million reports, loading every open report of a county to rank it in Python took
seconds). The projection writes these columns from `list_columns` in the same statement
as the view, so a list never disagrees with the view it shows; the migration that added
them filled existing rows by the same rules (p10a1listidx, in SQL).
"""

from datetime import UTC, datetime
from typing import Literal, TypedDict

from safetynet.intake.domain import paging
from safetynet.intake.domain.views import ReportView
from safetynet.policy.referral_lifecycle import AWAITING_ACTION
from safetynet.policy.risk_lights import urgency_rank

QueueName = Literal["review", "acknowledgement"]

# A dispatcher has to review these.
REVIEW_STATUSES: tuple[str, ...] = ("received", "awaiting_review")
# Still waiting on a dispatcher or a unit: the statuses both lists are drawn from.
OPEN_STATUSES: tuple[str, ...] = (*REVIEW_STATUSES, "assigned")


class ListColumns(TypedDict):
    """The view's columns the lists filter and sort by."""

    due_at: datetime
    sla_state: str
    queue: QueueName | None
    risk_rank: int
    kinds: str


def queue_of(view: ReportView) -> QueueName | None:
    """Whose move it is: a dispatcher's review, the units' acknowledgement of a referral
    awaiting action, or nobody's (not in the queue)."""
    if view.status in REVIEW_STATUSES:
        return "review"
    if view.status in OPEN_STATUSES and any(r["status"] in AWAITING_ACTION for r in view.referrals):
        return "acknowledgement"
    return None


def kinds_text(kinds: set[str]) -> str:
    """The destination kinds as one text a `LIKE '%,kind,%'` finds: ",a,b," (sorted)."""
    return "," + "".join(f"{k}," for k in sorted(kinds))


def list_columns(view: ReportView) -> ListColumns:
    due = datetime.fromisoformat(view.sla["due_at"])
    return {
        "due_at": due if due.tzinfo else due.replace(tzinfo=UTC),  # naive means UTC, as everywhere
        "sla_state": view.sla["state"],
        "queue": queue_of(view),
        "risk_rank": urgency_rank(view.risk_level),
        "kinds": kinds_text({d["kind"] for d in view.destinations}),
    }


def _aware(value: object) -> datetime:
    if not isinstance(value, str):
        raise paging.BadCursor("not a cursor from this list")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise paging.BadCursor("not a cursor from this list") from None
    if when.tzinfo is None:
        raise paging.BadCursor("not a cursor from this list")
    return when


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise paging.BadCursor("not a cursor from this list")
    return value


def queue_after(cursor: str) -> tuple[datetime, int, str]:
    """The queue's key a cursor holds: [due time (UTC ISO), risk rank, report id]."""
    key = paging.decode(cursor)
    if len(key) != 3 or type(key[1]) is not int:
        raise paging.BadCursor("not a cursor from this list")
    return _aware(key[0]), key[1], _text(key[2])


def sla_after(cursor: str) -> tuple[datetime, str]:
    """The open-SLA list's key a cursor holds: [due time (UTC ISO), report id]."""
    key = paging.decode(cursor)
    if len(key) != 2:
        raise paging.BadCursor("not a cursor from this list")
    return _aware(key[0]), _text(key[1])
