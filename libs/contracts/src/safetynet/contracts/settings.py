"""Settings from SAFETYNET_* environment variables. Built in an entrypoint and passed
in, never read from a global."""

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/safetynet.db"
# Only for the embedded mode's first run; production refuses it (require_production).
DEV_SUBJECT_HASH_KEY = "dev-only-subject-hash-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFETYNET_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(default=3, ge=1, le=256)
    subject_hash_key: SecretStr = SecretStr(DEV_SUBJECT_HASH_KEY)
    county_data: Path | None = None
    sla_seconds: int = Field(default=24 * 3600, gt=0)
    sla_warn_seconds: Annotated[list[int], NoDecode] = [16 * 3600, 22 * 3600]
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    public_base_url: str = ""

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

    @field_validator("sla_warn_seconds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("county_data")
    @classmethod
    def _folder_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a folder of county files")
        return value

    @model_validator(mode="after")
    def _warnings_before_deadline(self) -> "Settings":
        if any(w <= 0 or w >= self.sla_seconds for w in self.sla_warn_seconds):
            raise ValueError("every SLA warning must fall between 0 and SAFETYNET_SLA_SECONDS")
        self.sla_warn_seconds = sorted(set(self.sla_warn_seconds))
        return self

    @property
    def embedded(self) -> bool:
        """No Kafka configured: use the in-database log as the broker."""
        return not self.kafka_bootstrap

    def require_production(self) -> None:
        """Refuse the embedded defaults where real data flows."""
        if self.subject_hash_key.get_secret_value() == DEV_SUBJECT_HASH_KEY:
            raise ValueError("set SAFETYNET_SUBJECT_HASH_KEY: the development key is not for production")
        if not self.kafka_bootstrap:
            raise ValueError("set SAFETYNET_KAFKA_BOOTSTRAP for the production services")
