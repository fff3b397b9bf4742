"""The arguments of `safetynet rules` (kept apart from rules.py, which loads screening:
`--help` loads no service)."""

import argparse
from datetime import date
from typing import Any


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def add_rules_parser(sub: Any) -> None:
    rules = sub.add_parser("rules", help="screening's rule versions: list, show, import, activate, replay")
    commands = rules.add_subparsers(dest="rules_command", required=True)
    commands.add_parser("list", help="every rule version, the active one, and the activation log")
    show = commands.add_parser("show", help="a version's document (JSON): copy it to write a candidate")
    show.add_argument("version", help="e.g. v1.0.0, or v1 for the newest shipped v1")
    imported = commands.add_parser("import", help="store a version document so it can be activated")
    imported.add_argument("file")
    imported.add_argument("--by", help="who imports it (default: the login name)")
    activate = commands.add_parser("activate", help="decide with VERSION from the next report on (audited)")
    activate.add_argument("version")
    activate.add_argument("--by", help="who activates it (default: the login name)")
    activate.add_argument("--note", help="why (kept in the activation log)")
    replay = commands.add_parser(
        "replay", help="re-decide stored reports under a candidate document and report the difference (writes nothing)"
    )
    replay.add_argument("--candidate", required=True, metavar="FILE", help="a version document (JSON)")
    replay.add_argument("--from", dest="start", required=True, type=_day, metavar="DATE", help="first day received")
    replay.add_argument("--to", dest="end", required=True, type=_day, metavar="DATE", help="last day received")
    replay.add_argument("--county", help="one county (default: every county)")
    replay.add_argument("--json", action="store_true", help="the full result as JSON, weekly loads included")
