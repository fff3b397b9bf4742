"""`safetynet rules list|show|import|activate|replay`: screening's rule versions.

replay re-decides the stored inputs of past reports under a candidate version document
and prints what would change; it writes nothing. Exit codes: 0 done, 2 a request that
cannot be done as asked (an unknown version, an invalid document, a bad date).
"""

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from safetynet.cli.database import open_engine
from safetynet.screening import admin as screening
from safetynet.screening.settings import ScreeningSettings


def _read_document(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from None


def _who(args: argparse.Namespace) -> str:
    return str(args.by or getpass.getuser())


async def run(args: argparse.Namespace) -> int:
    settings = ScreeningSettings()
    async with open_engine(settings) as engine:
        try:
            return await _command(args, engine, settings)
        except screening.RuleVersionProblem as problem:
            print(f"safetynet rules: {problem}", file=sys.stderr)
            return 2


async def _command(args: argparse.Namespace, engine: Any, settings: ScreeningSettings) -> int:
    command = args.rules_command
    if command == "list":
        listing = await screening.list_rule_versions(engine=engine)
        print(describe_listing(listing))
    elif command == "show":
        document = await screening.show_rule_version(engine=engine, version=args.version)
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif command == "import":
        version = await screening.import_rule_version(engine=engine, document=_read_document(args.file), by=_who(args))
        print(f"imported rule version {version} (activate it with: safetynet rules activate {version})")
    elif command == "activate":
        done = await screening.activate_rule_version(engine=engine, version=args.version, by=_who(args), note=args.note)
        print(
            f"rule version {done.previous_version} -> {done.version}, by {done.activated_by} "
            f"at {done.activated_at.isoformat()} (activation #{done.seq})"
        )
    else:
        run_ = await screening.replay_rule_version(
            engine=engine,
            candidate=_read_document(args.candidate),
            start=args.start,
            end=args.end,
            county=args.county,
            settings=settings,
        )
        result = screening.replay_as_dict(run=run_)
        print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else describe_replay(result))
    return 0


def describe_listing(listing: screening.RuleVersionListing) -> str:
    lines = [f"{'':2}{'version':<22}{'model':<8}{'source':<10}title"]
    for entry in listing.versions:
        mark = "* " if entry.active else "  "
        lines.append(f"{mark}{entry.version:<22}{entry.model:<8}{entry.source:<10}{entry.title}")
    lines.append(f"active: {listing.active} (default when none was activated: {listing.default})")
    for a in listing.activations:
        note = f" — {a.note}" if a.note else ""
        lines.append(
            f"  #{a.seq} {a.activated_at.isoformat()} {a.activated_by}: {a.previous_version} -> {a.version}{note}"
        )
    return "\n".join(lines)


def describe_replay(result: dict[str, Any]) -> str:
    changed, outcomes = result["changed"], result["outcomes"]
    where = result["county"] or "every county"
    versions = ", ".join(f"{v} ×{n}" for v, n in result["recorded_versions"].items()) or "none"
    transitions = ", ".join(f"{t} {n}" for t, n in changed["risk_transitions"].items()) or "none"
    lines = [
        f"replay of {result['candidate']} over {result['from']} .. {result['to']}, {where}: "
        f"{result['reports']} reports (recorded under {versions}) in {result['seconds']:.2f} s",
        f"  changed reports:     {changed['reports']}",
        f"  risk light changed:  {changed['risk_level']} ({transitions})",
        f"  destinations changed: {changed['destinations']}",
        f"  direct dispatch changed: {changed['direct_dispatch']}",
        *_reason_lines(changed),
        "  load per unit (referrals recommended, recorded -> candidate):",
    ]
    weeks_in_range = max(1.0, (date.fromisoformat(result["to"]) - date.fromisoformat(result["from"])).days / 7 + 1 / 7)
    for unit in result["units"]:
        busiest = max(unit["weeks"], key=lambda w: (w["before"], w["after"]))
        lines.append(
            f"    {unit['unit']}: {unit['before']} -> {unit['after']} "
            f"({unit['before'] / weeks_in_range:.1f} -> {unit['after'] / weeks_in_range:.1f} a week; "
            f"busiest week {busiest['week']}: {busiest['before']} -> {busiest['after']})"
        )
    lines += [
        f"  referrals with a result: {outcomes['referrals_with_result']}; the candidate would not have sent:",
        f"    {outcomes['not_sent_not_opened']} the unit did not open (closed not_opened or rejected)",
        f"    {outcomes['not_sent_opened']} the unit opened (開案)",
        f"    {outcomes['not_sent_still_open']} still open",
    ]
    return "\n".join(lines)


def _reason_lines(changed: dict[str, Any]) -> list[str]:
    """Why the decisions differ: the reason codes gained and lost (absent in old results)."""
    if "reasons" not in changed:
        return []
    gained = ", ".join(f"+{code} {n}" for code, n in changed["reasons_added"].items())
    lost = ", ".join(f"-{code} {n}" for code, n in changed["reasons_removed"].items())
    return [
        f"  reasons changed:     {changed['reasons']} reports ({', '.join(filter(None, (gained, lost))) or 'none'})"
    ]
