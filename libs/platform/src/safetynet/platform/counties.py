"""County data: units, welfare-center districts and SLA policy. Data, not code.

A new county is a new JSON file in the folder named by SAFETYNET_COUNTY_DATA (the
project's own `county_data/` by default).
"""

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from safetynet.contracts.report import DestinationKind, RiskLevel
from safetynet.platform.county_contacts import EarlyInterventionContacts

PACKAGED_COUNTY_DATA = Path(__file__).with_name("county_data")
DEFAULT_RETENTION_DAYS = 3 * 365


class Unit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str


class WelfareCenter(Unit):
    townships: list[str] = []


class SlaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # None: use SAFETYNET_SLA_SECONDS. Per-risk deadlines may only be shorter in practice.
    default_seconds: int | None = Field(default=None, gt=0)
    by_risk_seconds: dict[RiskLevel, int] = {}


class County(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: str
    units: dict[DestinationKind, Unit]
    welfare_centers: list[WelfareCenter] = []
    sla: SlaPolicy = SlaPolicy()
    # Personal data of a report is purged this long after its last referral closed
    # (`safetynet retention run`). Child-protection cases last about 3 years (002).
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1, le=36500)
    # Whom a severe child-abuse case is told at once (v1.1 rule 4); None: nobody is
    # designated, and such a case is only on the network-meeting list.
    early_intervention: EarlyInterventionContacts | None = None

    @cached_property
    def center_by_township(self) -> dict[str, WelfareCenter]:
        return {t: c for c in self.welfare_centers for t in c.townships}

    def all_units(self) -> list[Unit]:
        return [*self.units.values(), *self.welfare_centers]


class CountyDirectory:
    """Looks up units by county, kind and township."""

    def __init__(self, counties: list[County]):
        self._counties = {c.county: c for c in counties}
        self._units = {u.id: (c.county, kind) for c in counties for kind, u in _kinds(c)}

    @classmethod
    def load(cls, folder: Path | str | None = None) -> "CountyDirectory":
        """Read every `*.json` county file in `folder` (the packaged data by default)."""
        root = Path(folder) if folder else PACKAGED_COUNTY_DATA
        files = sorted(root.glob("*.json"))
        if not files:
            raise ValueError(f"no county files (*.json) in {root}")
        return cls([_read(f) for f in files])

    @property
    def counties(self) -> list[str]:
        return list(self._counties)

    def is_configured(self, county: str) -> bool:
        return county in self._counties

    def county(self, county: str) -> County:
        return self._counties[county]

    def unit_for(self, *, county: str, kind: str, township: str) -> str | None:
        """The unit that takes `kind` for a subject living in `township`, if mapped."""
        data = self._counties.get(county)
        if data is None:
            return None
        if kind == "welfare_center":
            center = data.center_by_township.get(township)
            return center.id if center else None
        unit = cast("Mapping[str, Unit]", data.units).get(kind)  # any string: an unknown kind maps to no unit
        return unit.id if unit else None

    def unit_kind(self, unit_id: str) -> tuple[str, str] | None:
        """(county, kind) of a unit id, or None when no county names it."""
        return self._units.get(unit_id)

    def sla_seconds(self, *, county: str, risk_level: str | None, default: int) -> int:
        """The SLA deadline for a report, per the county's risk policy."""
        policy = self._counties[county].sla if county in self._counties else SlaPolicy()
        base = policy.default_seconds or default
        if risk_level is None:
            return base
        # Looked up by any string: a light the policy does not name falls back to the base.
        by_risk = cast("Mapping[str, int]", policy.by_risk_seconds)
        return by_risk.get(risk_level, base)

    def early_intervention(self, county: str) -> EarlyInterventionContacts | None:
        """Whom `county` tells of a severe child-abuse case (None: nobody designated)."""
        data = self._counties.get(county)
        return data.early_intervention if data else None

    def retention_days(self, county: str) -> int:
        """How long `county` keeps personal data after a report's last closure (the
        default for a county no longer configured)."""
        data = self._counties.get(county)
        return data.retention_days if data else DEFAULT_RETENTION_DAYS


def _read(file: Path) -> County:
    """One county file; a malformed one fails naming the file, so the operator knows
    which of the folder's files to fix."""
    try:
        return County.model_validate(json.loads(file.read_text("utf-8")))
    except ValueError as error:  # pydantic's ValidationError is one
        raise ValueError(f"county file {file}: {error}") from error


def _kinds(county: County) -> list[tuple[str, Unit]]:
    return [*county.units.items(), *(("welfare_center", c) for c in county.welfare_centers)]
