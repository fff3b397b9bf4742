"""Who a county tells outside the social-welfare system: the prosecutor's office and police
unit designated for early intervention in severe child abuse (檢警早期介入, decision model
v1.1 rule 4), and the center's own contact that they call back. Part of the county file:

    "early_intervention": {
      "center": {"name": "…集中篩派案中心", "phone": "+886-3-555-0100", "email": "center@example.org"},
      "recipients": [
        {"id": "新竹縣/prosecutor", "name": "…地方檢察署", "role": "prosecutor",
         "webhook": "https://prosecutor.example.org/safetynet", "email": "duty@prosecutor.example.org"},
        {"id": "新竹縣/police", "name": "…警察局婦幼警察隊", "role": "police", "email": "wpd@police.example.org"}]
    }

Every contact is checked when the file loads: a malformed URL or mailbox, a recipient with
neither, or a county missing one of the two roles stops the service at start, not at the
first severe case.
"""

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EarlyInterventionRole = Literal["prosecutor", "police"]

# One bare mailbox: something@domain.tld, no spaces, no display name.
_MAILBOX = re.compile(r"^[^@\s<>,;\"\\]+@[^@\s<>,;\"\\]+\.[^@\s<>,;\"\\]+$")
# A webhook may be plain http only on the machine itself (a test or a local relay).
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _mailbox(value: str | None) -> str | None:
    if value is not None and not _MAILBOX.match(value):
        raise ValueError(f"{value!r} is not one e-mail address like duty@prosecutor.example.org")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CenterContact(_Strict):
    """The screening and dispatch center, as prosecutors and police reach it."""

    name: str = Field(min_length=1)
    phone: str = Field(min_length=3, pattern=r"^\+?[0-9][0-9 ()#-]*$")
    email: str

    _email = field_validator("email")(_mailbox)


class EarlyInterventionRecipient(_Strict):
    """A designated prosecutor's office or police unit: told by webhook, e-mail or both."""

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1)
    role: EarlyInterventionRole
    webhook: str | None = None
    email: str | None = None

    _email = field_validator("email")(_mailbox)

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an https:// URL")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError(f"{value!r}: a webhook leaving this machine must use https://")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> "EarlyInterventionRecipient":
        if self.webhook is None and self.email is None:
            raise ValueError(f"{self.id}: needs a webhook, an email or both")
        return self


class EarlyInterventionContacts(_Strict):
    center: CenterContact
    recipients: list[EarlyInterventionRecipient] = Field(min_length=2)

    @model_validator(mode="after")
    def _one_of_each_role(self) -> "EarlyInterventionContacts":
        roles = {r.role for r in self.recipients}
        if missing := {"prosecutor", "police"} - roles:
            raise ValueError(f"early_intervention needs a {' and a '.join(sorted(missing))} recipient")
        ids = [r.id for r in self.recipients]
        if len(ids) != len(set(ids)):
            raise ValueError("early_intervention recipient ids must be unique")
        return self
