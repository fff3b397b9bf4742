"""Intake's settings: the platform's, and what only intake reads — the secrets that guard
personal data, the console's session, the audit trail, the API's limits."""

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator

from safetynet.platform.crypto import DEV_KEY, DEV_KEY_RING, KeyRing
from safetynet.platform.settings import (
    DEFAULT_SLA_SECONDS,
    CountyDataFolder,
    PlatformSettings,
    SlaSeconds,
    require_strong,
)

# Only for the embedded mode's first run; production refuses them (require_production).
DEV_SUBJECT_HASH_KEY = "dev-only-subject-hash-key-change-me"
DEV_CONSOLE_SECRET = "dev-only-console-session-secret-change-me"
DEV_AUDIT_KEY = "dev-only-audit-chain-key-change-me-please"


class IntakeSettings(PlatformSettings):
    county_data: CountyDataFolder = None
    sla_seconds: SlaSeconds = DEFAULT_SLA_SECONDS
    subject_hash_key: SecretStr = SecretStr(DEV_SUBJECT_HASH_KEY)
    # Keys that encrypt personal data at rest: "id1:base64key,id2:base64key", 32-byte
    # keys, the newest (active) last; old ones stay until `safetynet crypto rotate` ran.
    key_ring: SecretStr = SecretStr(DEV_KEY_RING)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # The console's session signing secrets, comma-separated, the first signs and every
    # one is accepted (rotation: put the new one first, drop the old one a session
    # lifetime later). Its own secret: never the subject hash key.
    console_secret: SecretStr = SecretStr(DEV_CONSOLE_SECRET)
    console_idle_seconds: int = Field(default=30 * 60, gt=0)  # a console session unused this long ends
    # Secure cookies and HSTS. None: on everywhere but the embedded development mode.
    secure_cookies: bool | None = None
    # Proxies (IPs or CIDRs, comma-separated; "*": any) whose X-Forwarded-For/-Proto are
    # believed: the client address on the audit trail and the https scheme come from them.
    trusted_proxies: str = ""
    # The audit chain's HMAC key: the database never holds it, so whoever can write the
    # database cannot recompute the chain. Checkpoints of the chain's head, signed with
    # it, go to this file (outside the database): `safetynet audit checkpoint`.
    audit_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    audit_checkpoint_file: Path = Path("var/audit-checkpoints.jsonl")
    # A trail upgraded from the unkeyed chain: the last record chained before the key
    # (`safetynet audit verify` names it once). Unkeyed records past it are breaks.
    audit_legacy_until: int = Field(default=0, ge=0)
    # Failed authentications (bad keys, failed sign-ins) per client address per minute,
    # past it 429 with Retry-After before any key is looked at. 0: no limit.
    auth_failures_per_minute: int = Field(default=10, ge=0)
    # Requests per minute per API key (a token bucket: bursts up to this many), past it
    # 429 with Retry-After. Kept in each process's memory: every replica limits on its
    # own, so N replicas behind a balancer allow up to N times this. 0: no limit.
    rate_limit_per_minute: int = Field(default=120, ge=0)
    public_base_url: str = ""
    # Where ops open a trace: {trace_id} is replaced (Jaeger by default, as in compose).
    trace_url_template: str = "http://localhost:16686/trace/{trace_id}"

    @field_validator("subject_hash_key", "audit_key")
    @classmethod
    def _strong_key(cls, value: SecretStr, info: Any) -> SecretStr:
        require_strong(f"SAFETYNET_{info.field_name.upper()}", value.get_secret_value())
        return value

    @field_validator("console_secret")
    @classmethod
    def _strong_console_secrets(cls, value: SecretStr) -> SecretStr:
        secrets = [part.strip() for part in value.get_secret_value().split(",")]
        if not all(secrets):
            raise ValueError("SAFETYNET_CONSOLE_SECRET holds an empty secret")
        for secret in secrets:
            require_strong("each SAFETYNET_CONSOLE_SECRET", secret)
        return value

    @field_validator("key_ring")
    @classmethod
    def _valid_key_ring(cls, value: SecretStr) -> SecretStr:
        KeyRing.parse(value.get_secret_value())  # its errors never quote a key
        return value

    @property
    def secure(self) -> bool:
        """Secure cookies and HSTS: on unless set off, or the embedded development mode."""
        return self.secure_cookies if self.secure_cookies is not None else not self.embedded

    def console_secrets(self) -> list[bytes]:
        """The console's signing secrets, the signing one first."""
        return [part.strip().encode() for part in self.console_secret.get_secret_value().split(",")]

    def key_ring_keys(self) -> KeyRing:
        return KeyRing.parse(self.key_ring.get_secret_value())

    def require_production(self) -> None:
        """Intake holds the personal data, and so every secret that guards it: none may
        be left at its development default."""
        if self.subject_hash_key.get_secret_value() == DEV_SUBJECT_HASH_KEY:
            raise ValueError("set SAFETYNET_SUBJECT_HASH_KEY: the development key is not for production")
        if self.key_ring_keys().holds(DEV_KEY):
            raise ValueError("set SAFETYNET_KEY_RING: the development key is not for production")
        if DEV_CONSOLE_SECRET.encode() in self.console_secrets():
            raise ValueError("set SAFETYNET_CONSOLE_SECRET: the development secret is not for production")
        if self.audit_key.get_secret_value() == DEV_AUDIT_KEY:
            raise ValueError("set SAFETYNET_AUDIT_KEY: the development key is not for production")
        super().require_production()
