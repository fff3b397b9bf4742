"""Payloads of the commands (imperative) that dispatchers and units send to routing.

Intake authenticates the person, then publishes one of these on topics.COMMANDS with
the envelope type named in COMMAND_TYPES. Routing applies it, or answers with a
CommandRejected event on topics.REFERRALS when it does not apply (unknown referral,
wrong state, wrong county, unknown unit): an invalid command changes nothing.

The time of a command is its envelope's `occurred_at`: when the person acted.
"""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from safetynet.contracts.events import DestinationRef

# A written reason or outcome: blank text ("   ") is no reason at all.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# A unit's free-text note beside a reason code: optional, so blank is simply no note.
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")  # tolerant reader, as for events


class Actor(_Payload):
    """Who acted: the API key that authenticated, its role and the person's name."""

    key_id: str
    role: str
    name: str


class _Command(_Payload):
    report_id: str
    county: str
    actor: Actor


class ConfirmDestinations(_Command):
    """Accept the system's recommended destinations: refer every one that has a unit."""


class ChangeDestinations(_Command):
    """Replace the destinations; the system's recommendation is kept beside them."""

    destinations: list[DestinationRef] = Field(min_length=1)
    reason: Text


class ReassignReferral(_Command):
    """Send a referral to another unit of the same kind (or again, after a rejection)."""

    referral_id: str
    unit: str
    reason: Text


class AcknowledgeReferral(_Command):
    referral_id: str


class RejectReferral(_Command):
    """`reason` is a code of the outcome vocabulary (safetynet.policy.outcomes, on_reject);
    routing refuses another with CommandRejected. `note`: the unit's free text."""

    referral_id: str
    reason: Text
    note: Note | None = None


class CloseReferral(_Command):
    """`outcome` is `opened` (開案) or `not_opened`; `reason` a code of the outcome
    vocabulary (on_close), required when not opened; `note` the unit's free text.
    Routing refuses what the vocabulary does not allow, with CommandRejected."""

    referral_id: str
    outcome: Text
    reason: Text | None = None
    note: Note | None = None


class PlaceInLongTermCare(_Command):
    """A welfare center keeps an acknowledged referral as a long-term care household
    (長期關懷戶) until `review_on` (at most 12 months ahead: safetynet.policy
    .referral_lifecycle); sent again on a referral in long-term care, it renews it with a
    new review date. `note`: the unit's free text."""

    referral_id: str
    review_on: date
    note: Note | None = None


class CommandRejected(_Payload):
    """Routing did not apply a command, and why. Nothing changed."""

    report_id: str
    command_type: str
    reason: str
    actor: Actor
    at: datetime


# Envelope type -> payload model, as events.EVENT_TYPES. The type string is the contract.
COMMAND_TYPES: dict[str, type[_Command]] = {
    "ConfirmDestinations": ConfirmDestinations,
    "ChangeDestinations": ChangeDestinations,
    "ReassignReferral": ReassignReferral,
    "AcknowledgeReferral": AcknowledgeReferral,
    "RejectReferral": RejectReferral,
    "CloseReferral": CloseReferral,
    "PlaceInLongTermCare": PlaceInLongTermCare,
}

# Routing's answer to a command it could not apply, on topics.REFERRALS.
COMMAND_EVENT_TYPES: dict[str, type[BaseModel]] = {
    "CommandRejected": CommandRejected,
}
