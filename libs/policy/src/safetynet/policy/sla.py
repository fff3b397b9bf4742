"""The SLA deadline: when dispatch of a report is due.

The clock starts when intake accepts the report (DOMAIN.md, "The 24-hour SLA"); the
deadline is that moment plus the SLA length the county sets for the report (its default
at acceptance, per risk level once screening knows the level; the county data looks the
length up). Intake answers the 202 with it and screening decides it again per risk: both
ask this module, so the two deadlines are measured from the same moment the same way.
"""

from datetime import datetime, timedelta

# The programme's indicator: a report is dispatched on time when dispatch completed at
# most this long after receipt, whatever deadline its county set for it.
DISPATCH_TARGET = timedelta(hours=24)


def deadline(*, accepted_at: datetime, sla_seconds: int) -> datetime:
    """When dispatch is due for a report accepted at `accepted_at` with this SLA length."""
    if sla_seconds <= 0:
        raise ValueError(f"an SLA length must be positive, got {sla_seconds}")
    return accepted_at + timedelta(seconds=sla_seconds)


def dispatched_on_time(*, received_at: datetime, dispatched_at: datetime) -> bool:
    """The 24-hour dispatch indicator (24小時內派案) for one report."""
    return dispatched_at - received_at <= DISPATCH_TARGET
