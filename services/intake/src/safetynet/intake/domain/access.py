"""Who may do what: API key principals and the read scope of each role."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["agency", "dispatcher", "unit", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agency", "dispatcher", "unit", "supervisor", "admin")


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    name: str
    county: str
    agency_type: str | None = None
    unit: str | None = None

    @property
    def actor(self) -> str:
        """How this principal appears in timelines: role and name, never the secret."""
        return f"{self.role}:{self.name}"


@dataclass(frozen=True)
class StoredKey:
    """A key as stored, live or not (never its hash): what revoking and rotating read."""

    principal: Principal
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None  # None: the key does not expire


@dataclass(frozen=True)
class ReportOwnership:
    county: str  # where the report is about
    agency_name: str  # who reported it: the reporting key's agency,
    units: frozenset[str] = frozenset()  # (units holding a live referral)
    agency_county: str | None = None  # identified by its county, type and name:
    agency_type: str | None = None  # 中正國小 of 苗栗縣 is not 中正國小 of 南投縣


def can_read(principal: Principal, report: ReportOwnership) -> bool:
    """An agency reads its own reports (its identity: county, type and name, whichever
    of its keys posted them); county staff read their county's; a unit reads the
    reports referred to it while its referral is live."""
    if principal.role == "agency":
        return (report.agency_name, report.agency_county, report.agency_type) == (
            principal.name,
            principal.county,
            principal.agency_type or "public",
        )
    if principal.role == "unit":
        return principal.unit in report.units
    return report.county == principal.county


def sees_everything(principal: Principal) -> bool:
    """Dispatch staff see subjects, narrative, source and the whole decision."""
    return principal.role in ("dispatcher", "supervisor", "admin")
