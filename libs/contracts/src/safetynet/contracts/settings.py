"""Settings from SAFETYNET_* environment variables. Built in an entrypoint and passed
in, never read from a global."""

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from safetynet.contracts.crypto import DEV_KEY, DEV_KEY_RING, KeyRing

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/safetynet.db"
# Only for the embedded mode's first run; production refuses them (require_production).
DEV_SUBJECT_HASH_KEY = "dev-only-subject-hash-key-change-me"
DEV_CONSOLE_SECRET = "dev-only-console-session-secret-change-me"
DEV_AUDIT_KEY = "dev-only-audit-chain-key-change-me-please"
MIN_SECRET_BYTES = 32  # HMAC-SHA256 keys: no weaker than the hash


def _strong(name: str, raw: str) -> None:
    if len(raw.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")


class Settings(BaseSettings):
    # hide_input_in_errors: a bad URL must not print its password in the error.
    model_config = SettingsConfigDict(env_prefix="SAFETYNET_", extra="ignore", hide_input_in_errors=True)

    database_url: str = DEFAULT_DATABASE_URL
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(default=3, ge=1, le=256)
    # For the topics a service creates when they are missing (a topic operator may
    # create them first); it must not exceed the number of brokers.
    kafka_replication_factor: int = Field(default=1, ge=1, le=16)
    subject_hash_key: SecretStr = SecretStr(DEV_SUBJECT_HASH_KEY)
    # Keys that encrypt personal data at rest: "id1:base64key,id2:base64key", 32-byte
    # keys, the newest (active) last; old ones stay until `safetynet crypto rotate` ran.
    key_ring: SecretStr = SecretStr(DEV_KEY_RING)
    county_data: Path | None = None
    sla_seconds: int = Field(default=24 * 3600, gt=0)
    sla_warn_seconds: Annotated[list[int], NoDecode] = [16 * 3600, 22 * 3600]
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # Intake only. The console's session signing secrets, comma-separated, the first signs
    # and every one is accepted (rotation: put the new one first, drop the old one a
    # session lifetime later). Its own secret: never the subject hash key.
    console_secret: SecretStr = SecretStr(DEV_CONSOLE_SECRET)
    console_idle_seconds: int = Field(default=30 * 60, gt=0)   # a console session unused this long ends
    # Secure cookies and HSTS. None: on everywhere but the embedded development mode.
    secure_cookies: bool | None = None
    # Proxies (IPs or CIDRs, comma-separated; "*": any) whose X-Forwarded-For/-Proto are
    # believed: the client address on the audit trail and the https scheme come from them.
    trusted_proxies: str = ""
    # Intake only. The audit chain's HMAC key: the database never holds it, so whoever can
    # write the database cannot recompute the chain. Checkpoints of the chain's head,
    # signed with it, go to this file (outside the database): `safetynet audit checkpoint`.
    audit_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    audit_checkpoint_file: Path = Path("var/audit-checkpoints.jsonl")
    # A trail upgraded from the unkeyed chain: the last record chained before the key
    # (`safetynet audit verify` names it once). Unkeyed records past it are breaks.
    audit_legacy_until: int = Field(default=0, ge=0)
    # Failed authentications (bad keys, failed sign-ins) per client address per minute,
    # past it 429 with Retry-After before any key is looked at. 0: no limit.
    auth_failures_per_minute: int = Field(default=10, ge=0)
    # /metrics is served on this port only (never on the API's): None, not at all.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Requests per minute per API key (a token bucket: bursts up to this many), past it
    # 429 with Retry-After. Kept in each process's memory: every replica limits on its
    # own, so N replicas behind a balancer allow up to N times this. 0: no limit.
    rate_limit_per_minute: int = Field(default=120, ge=0)
    public_base_url: str = ""
    # Where ops open a trace: {trace_id} is replaced (Jaeger by default, as in compose).
    trace_url_template: str = "http://localhost:16686/trace/{trace_id}"
    # Notify: the unit directory (None: the packaged one), the channels and their retries.
    notify_directory: Path | None = None
    webhook_secret: SecretStr | None = None      # no secret: no webhook channel
    # smtp://host[:port] (STARTTLS when offered), smtp+starttls://… (STARTTLS required),
    # smtps://user:password@host[:465] (TLS from the start); none: no email channel.
    # Kept out of repr: it may hold the relay's password.
    smtp_url: str | None = Field(default=None, repr=False)
    smtp_sender: str = "safetynet@localhost"
    notify_max_attempts: int = Field(default=5, ge=1, le=50)

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

    @field_validator("subject_hash_key", "audit_key")
    @classmethod
    def _strong_key(cls, value: SecretStr, info: Any) -> SecretStr:
        _strong(f"SAFETYNET_{info.field_name.upper()}", value.get_secret_value())
        return value

    @field_validator("console_secret")
    @classmethod
    def _strong_console_secrets(cls, value: SecretStr) -> SecretStr:
        secrets = [part.strip() for part in value.get_secret_value().split(",")]
        if not all(secrets):
            raise ValueError("SAFETYNET_CONSOLE_SECRET holds an empty secret")
        for secret in secrets:
            _strong("each SAFETYNET_CONSOLE_SECRET", secret)
        return value

    @field_validator("key_ring")
    @classmethod
    def _valid_key_ring(cls, value: SecretStr) -> SecretStr:
        KeyRing.parse(value.get_secret_value())  # its errors never quote a key
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
        if not (local and at and domain) or any(c.isspace() or c in "<>,;\"\\" for c in value):
            raise ValueError("SAFETYNET_SMTP_SENDER must be one bare address like safetynet@county.example")
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

    @property
    def secure(self) -> bool:
        """Secure cookies and HSTS: on unless set off, or the embedded development mode."""
        return self.secure_cookies if self.secure_cookies is not None else not self.embedded

    def console_secrets(self) -> list[bytes]:
        """The console's signing secrets, the signing one first."""
        return [part.strip().encode() for part in self.console_secret.get_secret_value().split(",")]

    def key_ring_keys(self) -> KeyRing:
        return KeyRing.parse(self.key_ring.get_secret_value())

    def require_production(self, *, personal_data: bool = True) -> None:
        """Refuse the embedded defaults where real data flows. `personal_data`: the
        process is intake, the only one that holds secrets (the subject hash key, the key
        ring, the console's and the audit chain's keys); the others need none of them."""
        if personal_data:
            if self.subject_hash_key.get_secret_value() == DEV_SUBJECT_HASH_KEY:
                raise ValueError("set SAFETYNET_SUBJECT_HASH_KEY: the development key is not for production")
            if self.key_ring_keys().holds(DEV_KEY):
                raise ValueError("set SAFETYNET_KEY_RING: the development key is not for production")
            if DEV_CONSOLE_SECRET.encode() in self.console_secrets():
                raise ValueError("set SAFETYNET_CONSOLE_SECRET: the development secret is not for production")
            if self.audit_key.get_secret_value() == DEV_AUDIT_KEY:
                raise ValueError("set SAFETYNET_AUDIT_KEY: the development key is not for production")
        if not self.kafka_bootstrap:
            raise ValueError("set SAFETYNET_KAFKA_BOOTSTRAP for the production services")
