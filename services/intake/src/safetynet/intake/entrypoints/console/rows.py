"""What the console's templates are given (present.py builds them): the service layer's
views, plus what staff read instead of codes and ids (Taipei times, unit names, time left)
and which actions apply. Templates read them by key, as `row.short_id`."""

from typing import Literal, TypedDict

from safetynet.intake.domain.case_links import CaseLinks
from safetynet.intake.domain.reports import SubmittedSource, SubmittedSubject
from safetynet.intake.domain.timeline import TimelineEntry
from safetynet.intake.domain.views import Destination, Reason, Referral, Sla
from safetynet.intake.service_layer.ops import OpenSla
from safetynet.intake.service_layer.queue import QueueItem
from safetynet.policy.bsrs5 import Bsrs5Summary


class SlaLeft(TypedDict):
    """Time left as text and a tone, never as colour alone."""

    text: str
    tone: Literal["late", "soon", "ok", "done"]
    due: str


class UnitChoice(TypedDict):
    id: str
    name: str


class UnitGroup(TypedDict):
    kind: str
    label: str
    units: list[UnitChoice]


class DestinationName(TypedDict):
    kind: str
    unit: str  # the unit's name ("No unit" while none is chosen)


class WaitingReferral(Referral):
    unit_name: str


class QueueRow(QueueItem):
    short_id: str
    left: SlaLeft
    received: str
    destination_names: list[DestinationName]
    waiting: list[WaitingReferral]


class QueueRows(TypedDict):
    review: list[QueueRow]
    acknowledgement: list[QueueRow]


class OpsRow(OpenSla):
    short_id: str
    left: SlaLeft
    waiting_names: list[str]
    rejected_by: list[str]


class DestinationShown(Destination):
    unit_name: str


class ReferralShown(Referral):
    unit_name: str
    assigned: str
    updated: str
    can_acknowledge: bool
    can_reassign: bool
    reassign_choices: list[UnitChoice]


class SlaShown(Sla, SlaLeft):
    closed: str


class TimelineShown(TimelineEntry):
    when: str
    label: str


class ReportPage(TypedDict):
    """Everything the report page shows, and which actions apply now."""

    report_id: str
    short_id: str
    county: str
    township: str
    received: str
    status: str
    risk_level: str | None
    urgent: bool | None
    direct_dispatch: bool | None
    rule_version: str | None
    reasons: list[Reason]
    recommended: list[DestinationShown]
    destinations: list[DestinationShown]
    referrals: list[ReferralShown]
    sla: SlaShown
    timeline: list[TimelineShown]  # newest first
    categories: list[str]
    narrative: str
    subjects: list[SubmittedSubject]
    source: SubmittedSource
    household: dict[str, int]
    indicators: dict[str, bool | int | str]
    bsrs5: Bsrs5Summary | None  # the BSRS-5 score, read (v1.1 rule 3)
    occurred: str
    can_confirm: bool
    can_change: bool
    must_reassign: bool
    unit_groups: list[UnitGroup]
    current_units: set[str]
    held_units: set[str]
    links: CaseLinks  # rule 1 (併案), both ways


class KeptForm(TypedDict, total=False):
    """What staff typed into a refused form, shown again."""

    reason: str
    units: set[str]
    referral_id: str
    unit: str | None


class FormError(TypedDict):
    message: str
    detail: str
    form: str  # which form failed: confirm, change, reassign, acknowledge


class Filters(TypedDict):
    """The queue's filters (None: all); anything unknown in the URL is dropped."""

    kind: str | None
    risk: str | None


class QueueContext(TypedDict):
    rows: QueueRows
    filters: Filters
    next_url: str | None
