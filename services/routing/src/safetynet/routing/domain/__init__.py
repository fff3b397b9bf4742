"""Pure domain of the routing service: cases, referrals and their lifecycle (no I/O)."""

from .commands import (
    AcknowledgeReferral,
    ChangeDestinations,
    CloseReferral,
    Command,
    ConfirmDestinations,
    ReassignReferral,
    RejectReferral,
    execute,
)
from .errors import (
    CommandError,
    InvalidTransition,
    UnknownReferral,
    UnknownReport,
    UnknownUnit,
    WrongCounty,
)
from .events import (
    CaseOpened,
    DestinationsChanged,
    DestinationsConfirmed,
    Event,
    ReferralAcknowledged,
    ReferralAssigned,
    ReferralClosed,
    ReferralEvent,
    ReferralReassigned,
    ReferralRejected,
)
from .model import Case
from .rereport import ClosedReferral, apply_rereport_rule
from .values import (
    ROUTING,
    Actor,
    Destination,
    NewId,
    Reason,
    Referral,
    ScreenedReport,
    UnitDirectory,
    new_referral_id,
    referral_order,
)

__all__ = [
    "ROUTING",
    "AcknowledgeReferral", "Actor", "Case", "ClosedReferral", "Reason", "apply_rereport_rule", "CaseOpened", "ChangeDestinations", "CloseReferral",
    "Command", "CommandError", "ConfirmDestinations", "Destination", "DestinationsChanged",
    "DestinationsConfirmed", "Event", "InvalidTransition", "NewId", "ReassignReferral", "Referral",
    "ReferralAcknowledged", "ReferralAssigned", "ReferralClosed", "ReferralEvent",
    "ReferralReassigned", "ReferralRejected", "RejectReferral", "ScreenedReport", "UnitDirectory",
    "UnknownReferral", "UnknownReport", "UnknownUnit", "WrongCounty",
    "execute", "new_referral_id", "referral_order",
]
