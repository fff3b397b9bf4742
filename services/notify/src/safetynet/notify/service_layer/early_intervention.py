"""Planning the early-intervention notices of a severe child-abuse case (v1.1 rule 4).

No inbox claim of its own: the notices' unique keys (report, recipient, channel) make
planning them again a no-op, so a redelivered ReportScreened, a restart half-way or a
re-decision of the same report tells each recipient once. The delivery worker sends
them as it sends every notification: retried with backoff, each attempt recorded and
told to the report's timeline.
"""

import logging
from datetime import datetime

from safetynet.notify import domain
from safetynet.notify.adapters.early_intervention_contacts import EarlyInterventionDirectory
from safetynet.notify.service_layer.unit_of_work import NotifyUnitOfWork

log = logging.getLogger(__name__)


async def plan_early_intervention_notices(
    *, case: domain.SevereCase, now: datetime, uow: NotifyUnitOfWork, contacts: EarlyInterventionDirectory
) -> int:
    """Plan the notices to the county's designated recipients; return how many were
    planned (inserted at commit, where one planned before is skipped)."""
    found = contacts.contacts(case.county)
    if found is None:
        log.warning(
            "notify: report %s calls for early intervention but %s designates no prosecutor or police "
            "contacts (early_intervention in its county file)",
            case.report_id,
            case.county,
        )
        return 0
    center, recipients = found
    async with uow:
        planned = domain.early_intervention_notices(case, center=center, recipients=recipients)
        uow.notifications.plan(planned, send_at=now)
        await uow.commit()
        return len(planned)
