"""`safetynet`: run, migrate and administer SafetyNet Dispatch.

This module only assembles the parser and hands the parsed command to its module (one
per command group, COMMAND_MODULES); each of those reaches a service only through its
admin surface (`safetynet.<service>.admin`), its settings, or, to run it, its bootstrap."""

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from pydantic import ValidationError

from safetynet.cli.rules_args import add_rules_parser
from safetynet.cli.services import SERVICE_NAMES
from safetynet.cli.telemetry import setup_logging

# The module (in safetynet.cli) that runs each command: `async def run(args) -> int`.
COMMAND_MODULES = {
    "dev": "dev",
    "serve": "serve",
    "migrate": "migrate",
    "keys": "keys",
    "audit": "audit",
    "notify": "notifications",
    "crypto": "crypto",
    "retention": "retention",
    "contracts": "schemas",
    "rules": "rules",
}

# Distinct defaults, so the four services started by hand on one host do not collide.
SERVE_PORTS = {"intake": 8000, "screening": 8001, "routing": 8002, "notify": 8003}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safetynet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="all four services in one process, on SQLite and the embedded broker")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument(
        "--demo",
        action="store_true",
        help="mint demo keys (printed) and, on an empty database, seed a day of reports in every county",
    )

    serve = sub.add_parser("serve", help="one service as its own process, on Kafka and PostgreSQL")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        help="HTTP port: intake's API, or the other services' /healthz and /readyz "
        "(default: " + ", ".join(f"{n} {p}" for n, p in SERVE_PORTS.items()) + ")",
    )

    migrate = sub.add_parser("migrate", help="apply every service's migrations (a separate step, not at start-up)")
    migrate.add_argument("--service", choices=SERVICE_NAMES, action="append")

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="mint a key; the key is the last line of stdout")
    create.add_argument("--role", required=True, choices=["agency", "dispatcher", "unit", "supervisor", "admin"])
    create.add_argument("--name", required=True, help="the agency, person or unit the key belongs to")
    create.add_argument("--county", required=True)
    create.add_argument("--agency-type", help="for agency keys: police, school, hospital, …")
    create.add_argument("--unit", help="for unit keys: the unit id, e.g. 苗栗縣/protection")
    create.add_argument("--expires-in-days", type=int, metavar="N", help="the key stops working after N days")
    revoke = keys.add_parser("revoke", help="revoke a key at once (its console sessions end too)")
    revoke.add_argument("key_id")
    rotate = keys.add_parser(
        "rotate",
        help="a new secret for the same principal; the old key is revoked; the new key is the last line of stdout",
    )
    rotate.add_argument("key_id")
    rotate.add_argument(
        "--expires-in-days",
        type=int,
        metavar="N",
        help="the new key stops working after N days (default: as long as the old one lasted)",
    )
    webhook = keys.add_parser(
        "webhook-secret",
        help="print a unit's own webhook signing secret (derived from "
        "SAFETYNET_WEBHOOK_SECRET); give it to that unit only",
    )
    webhook.add_argument("--unit", required=True, help="the recipient id, e.g. 苗栗縣/protection")

    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    audit.add_parser(
        "verify",
        help="check the keyed chain and the checkpoints (SAFETYNET_AUDIT_CHECKPOINT_FILE): "
        "exit 0 intact, 1 broken (naming the first bad record or checkpoint)",
    )
    audit.add_parser(
        "checkpoint",
        help="verify, then append the chain's signed head to "
        "SAFETYNET_AUDIT_CHECKPOINT_FILE (outside the database; run it on a schedule)",
    )

    notify = sub.add_parser("notify", help="notifications").add_subparsers(dest="notify_command", required=True)
    replay = notify.add_parser("replay", help="send dead-lettered notifications again (a fresh round of attempts)")
    chosen = replay.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--notification-id", action="append", metavar="ID", help="one notification (repeatable)")
    chosen.add_argument("--all-dead", action="store_true", help="every dead-lettered notification")

    crypto = sub.add_parser("crypto", help="personal data at rest").add_subparsers(dest="crypto_command", required=True)
    rotate = crypto.add_parser(
        "rotate",
        help="seal every report's personal data under the newest key of "
        "SAFETYNET_KEY_RING (batches; safe while the services run)",
    )
    rotate.add_argument("--batch-size", type=int, default=200)

    retention = sub.add_parser("retention", help="retention of personal data").add_subparsers(
        dest="retention_command", required=True
    )
    purge = retention.add_parser(
        "run", help="purge the personal data of reports closed longer ago than their county's retention_days"
    )
    purge.add_argument("--dry-run", action="store_true", help="count, purge nothing")
    purge.add_argument("--batch-size", type=int, default=200)

    contracts = sub.add_parser("contracts", help="public contracts").add_subparsers(
        dest="contracts_command", required=True
    )
    export = contracts.add_parser("export", help="write the JSON Schemas of the report and every event")
    export.add_argument("--out", default="docs/schemas")
    add_rules_parser(sub)
    return parser


async def run(args: argparse.Namespace) -> int:
    """Run the parsed command; its exit code."""
    # Only the chosen command's module is imported: `--help` and `contracts export` load
    # no service, `keys create` only the two it uses, `serve screening` only screening.
    command = importlib.import_module(f"safetynet.cli.{COMMAND_MODULES[args.command]}")
    code: int = await command.run(args)
    return code


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop where it is installed: its event loop costs a fraction of asyncio's
    pure-Python one per socket operation, and every service is socket-bound."""
    try:
        import uvloop  # optional: not on every platform
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve" and args.port is None:
        args.port = SERVE_PORTS[args.service]
    # Production (`serve`) logs JSON for the collectors; a person at a terminal reads text.
    # SAFETYNET_LOG_FORMAT=json|text overrides either way.
    setup_logging(logging.INFO, readable=args.command == "dev" or (args.command != "serve" and sys.stderr.isatty()))
    try:
        code = _run(run(args))
    except (ValidationError, ValueError) as error:  # bad settings, or a command that cannot run as asked
        print(f"safetynet: {error}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
