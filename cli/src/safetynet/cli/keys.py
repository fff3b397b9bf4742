"""`safetynet keys create|revoke|rotate|webhook-secret`: intake's API keys, and a unit's
webhook signing secret (notify's). A key's secret is the last line of stdout.

Key changes are on the audit trail with the operator who made them: the OS user and the
host the command ran on (intake's admin records them).
"""

import argparse

from safetynet.cli.database import open_engine, quiet_migrations
from safetynet.intake import admin as intake
from safetynet.intake.settings import IntakeSettings
from safetynet.notify import admin as notify
from safetynet.notify.settings import NotifySettings


async def run(args: argparse.Namespace) -> int:
    if args.keys_command == "webhook-secret":
        # To hand to that unit only.
        print(notify.webhook_secret(settings=NotifySettings(), unit=args.unit))
        return 0
    settings = IntakeSettings()
    command = f"keys {args.keys_command}"
    async with open_engine(settings) as engine:
        # A new database gets intake's schema first; an existing one is left as it is.
        # Quietly: the key is what the user came for (alembic logs each step at INFO).
        with quiet_migrations():
            await intake.migrate(engine=engine)
        if args.keys_command == "create":
            created = await intake.create_key(
                engine=engine,
                settings=settings,
                role=args.role,
                name=args.name,
                county=args.county,
                agency_type=args.agency_type,
                unit=args.unit,
                expires_in_days=args.expires_in_days,
                command=command,
            )
            principal = created.principal
            print(
                f"created {principal.role} key {principal.key_id} for {principal.name} ({principal.county})"
                + (f", expires {created.expires_at.isoformat()}" if created.expires_at else "")
            )
            print(created.secret)
        elif args.keys_command == "revoke":
            revoked = await intake.revoke_key(engine=engine, settings=settings, key_id=args.key_id, command=command)
            print(f"revoked {revoked.role} key {revoked.key_id} of {revoked.name} ({revoked.county})")
        else:
            rotated = await intake.rotate_key(
                engine=engine,
                settings=settings,
                key_id=args.key_id,
                expires_in_days=args.expires_in_days,
                command=command,
            )
            print(
                f"revoked {rotated.old.role} key {rotated.old.key_id}; new key {rotated.new.key_id} for "
                f"{rotated.new.name} ({rotated.new.county})"
                + (f", expires {rotated.expires_at.isoformat()}" if rotated.expires_at else "")
            )
            print(rotated.secret)
    return 0
