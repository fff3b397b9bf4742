"""What the `safetynet` command may do to intake, and all it reaches of it: migrations,
API keys, the audit trail, and personal data at rest (key rotation, retention).

Each function takes the engine the command opened and the settings, and returns what it
did for the command to print. A change is on the audit trail with the operator who ran
the command: the OS user and the host (the command has no API key of its own; whoever
runs it holds the database credentials). Refused, a ValueError, says why a command cannot
run as asked.
"""

import getpass
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import ReportCipher
from safetynet.intake.bootstrap import MIGRATIONS
from safetynet.intake.domain import audit_checkpoints
from safetynet.intake.domain.access import Principal, Role
from safetynet.intake.domain.audit import Actor, AuditKey
from safetynet.intake.service_layer import keys, privacy
from safetynet.intake.service_layer.audit import Origin, Verdict, set_origin, verify_trail
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import DEV_AUDIT_KEY, IntakeSettings
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.crypto import DEV_KEY
from safetynet.platform.migrations import upgrade
from safetynet.platform.storage import is_sqlite


class Refused(ValueError):
    """The command cannot run as asked; the message says why."""


async def migrate(*, engine: AsyncEngine) -> None:
    """Bring intake's tables to the newest migration."""
    await upgrade(engine, schema=orm.SCHEMA, script_location=MIGRATIONS)


# -- API keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedKey:
    principal: Principal
    secret: str  # shown once: only its hash is stored
    expires_at: datetime | None


async def create_key(
    *,
    engine: AsyncEngine,
    settings: IntakeSettings,
    role: Role,
    name: str,
    county: str,
    agency_type: str | None = None,
    unit: str | None = None,
    expires_in_days: int | None = None,
    command: str = "keys create",
) -> CreatedKey:
    """Mint a key for a configured county (an agency key names its type, a unit key its unit)."""
    directory = CountyDirectory.load(settings.county_data)
    if not directory.is_configured(county):
        raise Refused(f"--county {county!r} is not configured ({', '.join(directory.counties)})")
    if role == "agency" and not agency_type:
        raise Refused("an agency key needs --agency-type")
    if role == "unit" and directory.unit_kind(unit or "") is None:
        raise Refused("a unit key needs --unit with a unit id from the county data")
    expires_at = keys.expiry(expires_in_days)
    principal, secret = await keys.create_key(
        role=role,
        name=name,
        county=county,
        agency_type=agency_type,
        unit=unit,
        uow=_uow(engine, settings),
        expires_at=expires_at,
        operator=_operator(command),
    )
    return CreatedKey(principal=principal, secret=secret, expires_at=expires_at)


async def revoke_key(
    *, engine: AsyncEngine, settings: IntakeSettings, key_id: str, command: str = "keys revoke"
) -> Principal:
    """Revoke a live key at once (its console sessions end too)."""
    try:
        return await keys.revoke_key(key_id=key_id, uow=_uow(engine, settings), operator=_operator(command))
    except keys.UnknownKey as error:
        raise Refused(f"no live key {error} (unknown, or already revoked)") from None


async def rotate_key(
    *,
    engine: AsyncEngine,
    settings: IntakeSettings,
    key_id: str,
    expires_in_days: int | None = None,
    command: str = "keys rotate",
) -> keys.Rotated:
    """A new secret for the same principal; the old key is revoked in the same transaction."""
    try:
        return await keys.rotate_key(
            key_id=key_id, uow=_uow(engine, settings), expires_in_days=expires_in_days, operator=_operator(command)
        )
    except keys.UnknownKey as error:
        raise Refused(f"no live key {error} (unknown, or already revoked)") from None


async def holds_reports(*, engine: AsyncEngine) -> bool:
    """Whether intake has accepted any report yet."""
    async with engine.connect() as conn:
        return bool((await conn.execute(select(func.count()).select_from(orm.reports))).scalar())


# -- the audit trail -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditCheck:
    """The trail held against its chain and the checkpoints outside the database."""

    checkpoint_file: Path
    checkpoints: int = 0
    bad_checkpoints: str | None = None  # the checkpoint file does not verify: the trail was not read
    verdict: Verdict | None = None

    @property
    def intact(self) -> bool:
        return self.verdict is not None and self.verdict.broken is None and self.verdict.checkpoint_problem is None


async def verify_audit_trail(*, engine: AsyncEngine, settings: IntakeSettings) -> AuditCheck:
    """Check the keyed chain, then the checkpoints of SAFETYNET_AUDIT_CHECKPOINT_FILE."""
    key = _audit_key(settings)
    path = settings.audit_checkpoint_file
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        checkpoints = audit_checkpoints.read(key, lines)
    except audit_checkpoints.BadCheckpoint as error:
        return AuditCheck(checkpoint_file=path, bad_checkpoints=str(error))
    verdict = await verify_trail(engine, key, checkpoints, legacy_until=settings.audit_legacy_until)
    return AuditCheck(checkpoint_file=path, checkpoints=len(checkpoints), verdict=verdict)


def write_audit_checkpoint(*, settings: IntakeSettings, check: AuditCheck) -> Path:
    """Append the signed head of an intact trail to the checkpoint file; returns the file."""
    if not check.intact or check.verdict is None:
        raise Refused("only an intact audit trail is checkpointed")
    line = audit_checkpoints.sign(
        _audit_key(settings), seq=check.verdict.last_seq, head=check.verdict.head, at=datetime.now(UTC)
    )
    path = check.checkpoint_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    return path


# -- personal data at rest -----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRotation:
    key_id: str  # the key ring's newest key, which every report is now sealed under
    counts: privacy.RotationCounts
    failure: str = ""  # why it stopped early (a report that did not open); "" when done


async def rotate_personal_data_key(
    *, engine: AsyncEngine, settings: IntakeSettings, batch_size: int = 200
) -> KeyRotation:
    """Seal every report's personal data under SAFETYNET_KEY_RING's newest key, in batches."""
    ring = settings.key_ring_keys()
    if ring.holds(DEV_KEY) and not is_sqlite(settings.database_url):
        raise Refused("set SAFETYNET_KEY_RING: the development key is not for production")
    cipher = ReportCipher(ring)
    try:
        counts = await privacy.rotate_keys(uow=lambda: IntakeUnitOfWork(engine, cipher=cipher), batch_size=batch_size)
    except privacy.RotationFailed as error:
        return KeyRotation(key_id=ring.active_id, counts=error.counts, failure=str(error))
    return KeyRotation(key_id=ring.active_id, counts=counts)


async def run_retention(
    *, engine: AsyncEngine, settings: IntakeSettings, dry_run: bool = False, batch_size: int = 200
) -> privacy.RetentionCounts:
    """Purge the personal data of reports closed longer than their county's retention_days."""
    directory = CountyDirectory.load(settings.county_data)
    return await privacy.run_retention(
        uow=lambda: IntakeUnitOfWork(engine),
        directory=directory,
        now=datetime.now(UTC),
        dry_run=dry_run,
        batch_size=batch_size,
    )


# -- helpers -------------------------------------------------------------------------------------


def _audit_key(settings: IntakeSettings) -> AuditKey:
    if settings.audit_key.get_secret_value() == DEV_AUDIT_KEY and not is_sqlite(settings.database_url):
        raise Refused("set SAFETYNET_AUDIT_KEY: the development key is not for production")
    return AuditKey(settings.audit_key.get_secret_value().encode())


def _uow(engine: AsyncEngine, settings: IntakeSettings) -> IntakeUnitOfWork:
    return IntakeUnitOfWork(engine, audit_key=_audit_key(settings))


def _operator(command: str) -> Actor:
    """Who ran the command, for the audit trail: the OS user at this host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    host = socket.gethostname()
    set_origin(Origin(client=f"cli@{host}", endpoint=f"cli: {command}"))
    return Actor(key_id=None, name=f"{user}@{host}", role="operator")
