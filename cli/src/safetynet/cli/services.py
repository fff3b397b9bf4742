"""The four services by name, as `serve`, `dev` and `migrate` choose them.

A service's modules are imported only once it is chosen: the name comes from the command
line, and `serve screening` should not load intake's web app (nor `--help` any service).
"""

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from safetynet.intake.settings import IntakeSettings
from safetynet.notify.settings import NotifySettings
from safetynet.platform.settings import PlatformSettings
from safetynet.routing.settings import RoutingSettings
from safetynet.screening.settings import ScreeningSettings

if TYPE_CHECKING:  # only for the annotations: main imports this module for `--help` too
    from sqlalchemy.ext.asyncio import AsyncEngine

    from safetynet.platform.messaging.broker import Broker
    from safetynet.platform.messaging.runtime import ServiceRuntime

SERVICE_NAMES = ("intake", "screening", "routing", "notify")
# Each service reads its own settings (the platform's and what it alone needs); these
# modules are light (pydantic only), so naming them here loads no service.
SETTINGS: dict[str, type[PlatformSettings]] = {
    "intake": IntakeSettings,
    "screening": ScreeningSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
}


def service_module(name: str) -> ModuleType:
    """The service's bootstrap module: `bootstrap(settings=, engine=, broker=)`, MIGRATIONS."""
    return importlib.import_module(f"safetynet.{name}.bootstrap")


def admin_module(name: str) -> ModuleType:
    """The service's admin surface for this command (`safetynet.<name>.admin`)."""
    return importlib.import_module(f"safetynet.{name}.admin")


def settings_for(name: str, **overrides: Any) -> PlatformSettings:
    """The service's settings from SAFETYNET_* variables; `overrides` win over them."""
    return SETTINGS[name](**overrides)


def build(name: str, *, settings: PlatformSettings, engine: "AsyncEngine", broker: "Broker") -> "ServiceRuntime":
    """The service wired: its loops, its relay and (intake) its HTTP app."""
    runtime: ServiceRuntime = service_module(name).bootstrap(settings=settings, engine=engine, broker=broker)
    return runtime
