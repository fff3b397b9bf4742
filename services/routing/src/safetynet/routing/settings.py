"""Routing's settings: the platform's, and the county files whose units it refers to."""

from safetynet.platform.settings import CountyDataFolder, PlatformSettings


class RoutingSettings(PlatformSettings):
    county_data: CountyDataFolder = None
