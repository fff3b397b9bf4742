"""Early intervention by prosecutors and police (檢警早期介入, decision model v1.1 rule 4),
as the services after screening see it: screening marks a severe child-abuse case with the
reason code below (its domain/reasons.py holds the code's text and the rule); notify tells
the county's designated recipients; intake lists the case for the month's network meeting
and times the notice.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

REASON = "EARLY_INTERVENTION"


def calls_for_early_intervention(reason_codes: Iterable[str]) -> bool:
    return REASON in reason_codes


def notified_at(first_deliveries: Mapping[str, datetime | None]) -> datetime | None:
    """When the notice had reached every recipient notify reported on: the latest of their
    first successful deliveries; None while one is still without any (retrying, or
    dead-lettered until an operator replays it) or no recipient is known yet."""
    times = list(first_deliveries.values())
    if not times or any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)
