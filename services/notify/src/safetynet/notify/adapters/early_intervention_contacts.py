"""The designated prosecutors' offices and police units, as notify's recipients: read from
the county files (SAFETYNET_COUNTY_DATA), where they are validated when the files load."""

from safetynet.notify.domain import CenterContact, Recipient
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.county_contacts import EarlyInterventionContacts


class EarlyInterventionDirectory:
    def __init__(self, counties: CountyDirectory):
        self._counties = counties

    def contacts(self, county: str) -> tuple[CenterContact, list[Recipient]] | None:
        """The center's contact and each recipient on each of its channels (webhook,
        email); None when the county designates nobody."""
        contacts = self._counties.early_intervention(county)
        if contacts is None:
            return None
        center = CenterContact(name=contacts.center.name, phone=contacts.center.phone, email=contacts.center.email)
        return center, _recipients(contacts)

    def channel_names(self) -> set[str]:
        """Every channel some county's recipients are told through."""
        return {
            r.channel
            for county in self._counties.counties
            if (contacts := self._counties.early_intervention(county)) is not None
            for r in _recipients(contacts)
        }


def _recipients(contacts: EarlyInterventionContacts) -> list[Recipient]:
    endpoints = [(r.id, "webhook", r.webhook) for r in contacts.recipients] + [
        (r.id, "email", r.email) for r in contacts.recipients
    ]
    return [Recipient(id=who, channel=channel, address=address) for who, channel, address in endpoints if address]
