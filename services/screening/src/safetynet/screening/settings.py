"""Screening's settings: the platform's, and the county files and default deadline it decides with."""

from safetynet.platform.settings import DEFAULT_SLA_SECONDS, CountyDataFolder, PlatformSettings, SlaSeconds


class ScreeningSettings(PlatformSettings):
    county_data: CountyDataFolder = None
    sla_seconds: SlaSeconds = DEFAULT_SLA_SECONDS
