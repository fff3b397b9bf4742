"""The 365-day repeat window of decision model v1.

Three rules look back over it: a subject named in an earlier report (repeat detection,
intake at acceptance), a referral closed before the report (re-report after closure,
routing), and the protection re-report rate (intake's KPIs). DOMAIN.md settles "within
365 days" as "less than 365×24 h before", and "earlier" as strictly earlier.
"""

from datetime import datetime, timedelta

REPEAT_WINDOW = timedelta(hours=365 * 24)


def within_repeat_window(earlier: datetime, now: datetime) -> bool:
    """`earlier` is strictly before `now` and less than 365×24 h before it."""
    return earlier < now and now - earlier < REPEAT_WINDOW


def repeat_window_start(now: datetime) -> datetime:
    """The window's exclusive lower bound: what a query may narrow its history to (a
    moment exactly this far back is already outside the window)."""
    return now - REPEAT_WINDOW
