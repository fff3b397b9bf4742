"""`safetynet keys create|revoke|rotate|webhook-secret` and `safetynet audit verify|checkpoint`.

Key changes are on the audit trail with the operator who made them: the OS user and the
host the command ran on (the CLI has no API key of its own; whoever runs it holds the
database credentials).
"""

import argparse
import getpass
import logging
import socket
from typing import TYPE_CHECKING, Any

from safetynet.contracts.counties import CountyDirectory
from safetynet.contracts.migrations import upgrade
from safetynet.contracts.settings import Settings
from safetynet.contracts.storage import make_engine

if TYPE_CHECKING:
    from safetynet.intake.domain.audit import Actor, AuditKey


class KeyUsageError(ValueError):
    """The key command cannot run as asked (the CLI prints it, exit 2)."""


def _operator(command: str) -> "Actor":
    from safetynet.intake.domain.audit import Actor
    from safetynet.intake.service_layer.audit import Origin, set_origin

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    host = socket.gethostname()
    set_origin(Origin(client=f"cli@{host}", endpoint=f"cli: {command}"))
    return Actor(key_id=None, name=f"{user}@{host}", role="operator")


async def keys_command(settings: Settings, args: argparse.Namespace) -> int:
    from safetynet.cli.commands import service_module
    from safetynet.intake.service_layer import keys
    from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

    if args.keys_command == "webhook-secret":
        return webhook_secret(settings, args.unit)
    expires_at = None
    if args.keys_command == "create":
        _check_create(settings, args)
        expires_at = keys.expiry(args.expires_in_days)
    operator = _operator(f"keys {args.keys_command}")
    engine = make_engine(settings.database_url)
    try:
        # A new database gets intake's schema first; an existing one is left as it is.
        # Quietly: the key is what the user came for (alembic logs each step at INFO).
        await quiet_upgrade(engine, schema="intake", script_location=service_module("intake").MIGRATIONS)
        uow = IntakeUnitOfWork(engine, audit_key=audit_key(settings))
        if args.keys_command == "create":
            principal, secret = await keys.create_key(
                role=args.role, name=args.name, county=args.county, agency_type=args.agency_type,
                unit=args.unit, uow=uow, expires_at=expires_at, operator=operator)
            print(f"created {principal.role} key {principal.key_id} for {principal.name} ({principal.county})"
                  + (f", expires {expires_at.isoformat()}" if expires_at else ""))
            print(secret)
        elif args.keys_command == "revoke":
            revoked = await keys.revoke_key(key_id=args.key_id, uow=uow, operator=operator)
            print(f"revoked {revoked.role} key {revoked.key_id} of {revoked.name} ({revoked.county})")
        else:
            rotated = await keys.rotate_key(key_id=args.key_id, uow=uow, expires_in_days=args.expires_in_days,
                                            operator=operator)
            print(f"revoked {rotated.old.role} key {rotated.old.key_id}; new key {rotated.new.key_id} for "
                  f"{rotated.new.name} ({rotated.new.county})"
                  + (f", expires {rotated.expires_at.isoformat()}" if rotated.expires_at else ""))
            print(rotated.secret)
    except keys.UnknownKey as error:
        raise KeyUsageError(f"no live key {error} (unknown, or already revoked)") from None
    finally:
        await engine.dispose()
    return 0


async def quiet_upgrade(engine: Any, *, schema: str, script_location: Any) -> None:
    alembic = logging.getLogger("alembic")
    before = alembic.level
    alembic.setLevel(logging.WARNING)
    try:
        await upgrade(engine, schema=schema, script_location=script_location)
    finally:
        alembic.setLevel(before)


def _check_create(settings: Settings, args: argparse.Namespace) -> None:
    directory = CountyDirectory.load(settings.county_data)
    if not directory.is_configured(args.county):
        raise KeyUsageError(f"--county {args.county!r} is not configured ({', '.join(directory.counties)})")
    if args.role == "agency" and not args.agency_type:
        raise KeyUsageError("an agency key needs --agency-type")
    if args.role == "unit" and directory.unit_kind(args.unit or "") is None:
        raise KeyUsageError("a unit key needs --unit with a unit id from the county data")


def audit_key(settings: Settings) -> "AuditKey":
    from safetynet.contracts.settings import DEV_AUDIT_KEY
    from safetynet.contracts.storage import is_sqlite
    from safetynet.intake.domain.audit import AuditKey

    if settings.audit_key.get_secret_value() == DEV_AUDIT_KEY and not is_sqlite(settings.database_url):
        raise KeyUsageError("set SAFETYNET_AUDIT_KEY: the development key is not for production")
    return AuditKey(settings.audit_key.get_secret_value().encode())


def webhook_secret(settings: Settings, unit: str) -> int:
    """Print the unit's own webhook signing secret, to hand to that unit only."""
    from safetynet.notify.adapters.channels.webhook import unit_secret

    if settings.webhook_secret is None:
        raise KeyUsageError("set SAFETYNET_WEBHOOK_SECRET first: each unit's secret is derived from it")
    print(unit_secret(settings.webhook_secret.get_secret_value().encode(), unit))
    return 0


async def audit_command(settings: Settings, args: argparse.Namespace) -> int:
    if getattr(args, "audit_command", "verify") == "checkpoint":
        return await audit_checkpoint(settings)
    return await audit_verify(settings)


async def audit_checkpoint(settings: Settings) -> int:
    """Verify the trail, then append its signed head to the checkpoint file (outside
    the database). Exit 1, writing nothing, when the trail does not verify."""
    from datetime import datetime, timezone

    from safetynet.intake.domain import audit_checkpoints

    key = audit_key(settings)
    code, verdict = await _verify(settings, key)
    if code:
        return code
    line = audit_checkpoints.sign(key, seq=verdict.last_seq, head=verdict.head, at=datetime.now(timezone.utc))
    path = settings.audit_checkpoint_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    print(f"checkpoint written to {path}: record {verdict.last_seq}, head {verdict.head}")
    return 0


async def audit_verify(settings: Settings) -> int:
    """Exit 0 when the whole chain holds and agrees with every checkpoint, 1 naming the
    first record or checkpoint that does not."""
    return (await _verify(settings, audit_key(settings)))[0]


async def _verify(settings: Settings, key: "AuditKey") -> tuple[int, Any]:
    from safetynet.intake.domain import audit_checkpoints
    from safetynet.intake.service_layer.audit import verify_trail

    path = settings.audit_checkpoint_file
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        checkpoints = audit_checkpoints.read(key, lines)
    except audit_checkpoints.BadCheckpoint as error:
        print(f"audit checkpoints BROKEN: {error} ({path})")
        return 1, None
    engine = make_engine(settings.database_url)
    try:
        verdict = await verify_trail(engine, key, checkpoints, legacy_until=settings.audit_legacy_until)
    finally:
        await engine.dispose()
    if verdict.broken is not None:
        print(f"audit trail BROKEN at {verdict.broken.describe()}")
        print(f"the {verdict.count - 1} records before it verify; the last good hash is {verdict.head}")
        return 1, verdict
    if verdict.checkpoint_problem is not None:
        print(f"audit trail BROKEN: {verdict.checkpoint_problem}")
        return 1, verdict
    print(f"audit trail intact: {verdict.count} records, head {verdict.head}, "
          f"{len(checkpoints)} checkpoints agree")
    return 0, verdict
