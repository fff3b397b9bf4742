"""Notify's settings: the platform's, and the unit directory, the channels, their
retries and the SLA clock's deadline and warnings."""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from safetynet.platform.settings import DEFAULT_SLA_SECONDS, CountyDataFolder, PlatformSettings, SlaSeconds


class NotifySettings(PlatformSettings):
    sla_seconds: SlaSeconds = DEFAULT_SLA_SECONDS
    # Warnings, as elapsed seconds ("57600,79200"): NoDecode keeps pydantic-settings from
    # reading the variable as JSON, so the comma-separated form reaches the validator.
    sla_warn_seconds: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [16 * 3600, 22 * 3600])
    # The unit directory (None: the packaged one), the channels and their retries.
    notify_directory: Path | None = None
    webhook_secret: SecretStr | None = None  # no secret: no webhook channel
    # smtp://host[:port] (STARTTLS when offered), smtp+starttls://… (STARTTLS required),
    # smtps://user:password@host[:465] (TLS from the start); none: no email channel.
    # Kept out of repr: it may hold the relay's password.
    smtp_url: str | None = Field(default=None, repr=False)
    smtp_sender: str = "safetynet@localhost"
    notify_max_attempts: int = Field(default=5, ge=1, le=50)
    # The county files: their early_intervention contacts are whom v1.1 rule 4 tells.
    county_data: CountyDataFolder = None

    @field_validator("sla_warn_seconds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("notify_directory")
    @classmethod
    def _directory_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a unit directory file")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _long_enough_secret(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or raw == "":
            return None  # an empty variable means "not set"
        if isinstance(raw, str) and len(raw.strip()) < 16:
            raise ValueError("SAFETYNET_WEBHOOK_SECRET must be at least 16 characters")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("SAFETYNET_SMTP_URL must start smtp://, smtp+starttls:// or smtps://")
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number in range)
        except ValueError:
            raise ValueError("SAFETYNET_SMTP_URL has an invalid port") from None
        if not parts.hostname:
            raise ValueError("SAFETYNET_SMTP_URL needs a host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("SAFETYNET_SMTP_URL takes no path or query")
        return value

    @field_validator("smtp_sender")
    @classmethod
    def _one_address(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not (local and at and domain) or any(c.isspace() or c in '<>,;"\\' for c in value):
            raise ValueError("SAFETYNET_SMTP_SENDER must be one bare address like safetynet@county.example")
        return value

    @model_validator(mode="after")
    def _warnings_before_deadline(self) -> "NotifySettings":
        if any(w <= 0 or w >= self.sla_seconds for w in self.sla_warn_seconds):
            raise ValueError("every SLA warning must fall between 0 and SAFETYNET_SLA_SECONDS")
        self.sla_warn_seconds = sorted(set(self.sla_warn_seconds))
        return self
