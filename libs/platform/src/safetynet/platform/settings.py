"""The settings base: what every service reads from SAFETYNET_* environment variables.
Each service subclasses it with only what it reads itself (`safetynet.<service>.settings`).
Built in an entrypoint and passed in, never read from a global."""

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/safetynet.db"
MIN_SECRET_BYTES = 32  # HMAC-SHA256 keys: no weaker than the hash


def require_strong(name: str, raw: str) -> None:
    """Refuse a secret under MIN_SECRET_BYTES, naming the variable and never the value."""
    if len(raw.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")


def _county_folder(value: Path | None) -> Path | None:
    if value is not None and not value.is_dir():
        raise ValueError(f"{value} is not a folder of county files")
    return value


# SAFETYNET_COUNTY_DATA, for the services that read county files: a folder, or None
# for the packaged one (safetynet.platform.counties).
CountyDataFolder = Annotated[Path | None, AfterValidator(_county_folder)]

DEFAULT_SLA_SECONDS = 24 * 3600
# SAFETYNET_SLA_SECONDS, for the services that compute or watch the deadline.
SlaSeconds = Annotated[int, Field(gt=0)]


class PlatformSettings(BaseSettings):
    # hide_input_in_errors: a bad URL must not print its password in the error.
    # extra="ignore": every process sees every service's variables.
    model_config = SettingsConfigDict(env_prefix="SAFETYNET_", extra="ignore", hide_input_in_errors=True)

    database_url: str = DEFAULT_DATABASE_URL
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(default=3, ge=1, le=256)
    # For the topics a service creates when they are missing (a topic operator may
    # create them first); it must not exceed the number of brokers.
    kafka_replication_factor: int = Field(default=1, ge=1, le=16)
    # How long a consumer that fetched only a few messages waits for more, so a steady
    # trickle is handled in batches (one transaction per batch) instead of one message
    # at a time: at most this much latency per hop, for much less CPU per message.
    kafka_batch_linger_ms: int = Field(default=10, ge=0, le=1000)
    # /metrics is served on this port only (never on the API's): None, not at all.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Accept the URLs people paste and give them the async driver the services use.
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a postgresql:// or sqlite:/// URL")
        return value

    @property
    def embedded(self) -> bool:
        """No Kafka configured: use the in-database log as the broker."""
        return not self.kafka_bootstrap

    def require_production(self) -> None:
        """Refuse the embedded defaults where real data flows. A service whose settings
        hold secrets extends this with its own checks."""
        if not self.kafka_bootstrap:
            raise ValueError("set SAFETYNET_KAFKA_BOOTSTRAP for the production services")
