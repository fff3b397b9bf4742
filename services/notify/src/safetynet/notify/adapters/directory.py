"""The unit directory: who is told through which channels, and who supervises dispatch
in each county. Data, not code: a JSON file like `data/unit_directory.json`:

    {
      "default_channels": [{"channel": "recording"}],
      "counties": {
        "苗栗縣": {"dispatch_supervisors": {
          "苗栗縣/dispatch_supervisor": {"channels": [{"channel": "email", "address": "duty@example.org"}]}}}
      },
      "units": {
        "苗栗縣/protection": {"channels": [
          {"channel": "webhook", "address": "https://dv-center.example.org/safetynet"},
          {"channel": "email", "address": "intake@dv-center.example.org"}]}
      }
    }

A unit or supervisor without channels gets `default_channels`; a county without
supervisors escalates to "<county>/dispatch_supervisor".
"""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from safetynet.notify.domain import Recipient

PACKAGED_UNIT_DIRECTORY = Path(__file__).parent.parent / "data" / "unit_directory.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Endpoint(_Strict):
    channel: str
    address: str | None = None


class Contact(_Strict):
    channels: list[Endpoint] = []


class CountyContacts(_Strict):
    dispatch_supervisors: dict[str, Contact] = {}


class UnitDirectory(_Strict):
    default_channels: list[Endpoint] = [Endpoint(channel="recording")]
    counties: dict[str, CountyContacts] = {}
    units: dict[str, Contact] = {}

    @classmethod
    def load(cls, path: Path | str | None = None) -> "UnitDirectory":
        """Read the directory file at `path` (the packaged one by default)."""
        return cls.model_validate(json.loads(Path(path or PACKAGED_UNIT_DIRECTORY).read_text("utf-8")))

    def channel_names(self) -> set[str]:
        """Every channel the directory sends through."""
        contacts = [
            *self.units.values(),
            *(c for county in self.counties.values() for c in county.dispatch_supervisors.values()),
        ]
        return {e.channel for e in self.default_channels} | {e.channel for c in contacts for e in c.channels}

    def unit_recipients(self, unit: str) -> list[Recipient]:
        """The unit on each of its channels."""
        return self._recipients(unit, self.units.get(unit))

    def supervisors(self, county: str) -> list[str]:
        """The county's dispatch supervisors: whom a breached SLA escalates to."""
        contacts = self.counties.get(county)
        if contacts and contacts.dispatch_supervisors:
            return sorted(contacts.dispatch_supervisors)
        return [f"{county}/dispatch_supervisor"]

    def supervisor_recipients(self, county: str) -> list[Recipient]:
        contacts = self.counties.get(county) or CountyContacts()
        return [r for s in self.supervisors(county) for r in self._recipients(s, contacts.dispatch_supervisors.get(s))]

    def _recipients(self, who: str, contact: Contact | None) -> list[Recipient]:
        endpoints = (contact.channels if contact else None) or self.default_channels
        return [Recipient(id=who, channel=e.channel, address=e.address) for e in endpoints]
