"""Each rule more than one service applies lives in one module of `safetynet.policy`.

An AST scan of every service's and the CLI's source (the other libraries are checked
where they could copy a rule too): a copy of the 365-day window, of the referral
transitions or status sets, of the risk-light or destination-kind order, of the SLA
deadline arithmetic or of the TIPVDA threshold fails here, naming the file and line.
README.md, "Where each rule lives", names the modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from safetynet.contracts.events import ReferralStatus
from safetynet.contracts.report import DestinationKind, RiskLevel
from safetynet.policy import referral_lifecycle, repeat_window, sla

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "libs" / "policy" / "src"
SCANNED = [
    *sorted(ROOT.glob("services/*/src")),
    ROOT / "cli" / "src",
    ROOT / "libs" / "contracts" / "src",
    ROOT / "libs" / "platform" / "src",
]

# Not a copy: the county file's default retention is three years (3 * 365 days), a
# rule of its own that only the platform's county data states.
NOT_COPIES = {("libs/platform/src/safetynet/platform/counties.py", "the 365-day repeat window")}

REFERRAL_STATUSES = frozenset(get_args(ReferralStatus))
KINDS = frozenset(get_args(DestinationKind))
RISKS = frozenset(get_args(RiskLevel))


def sources(roots: list[Path]) -> Iterator[tuple[Path, ast.Module]]:
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            # A migration is a snapshot of the rules as they stood when it was written: it
            # must not follow a later change of the policy it backfills from.
            if "migrations" in path.parts:
                continue
            yield path, ast.parse(path.read_text("utf-8"), filename=str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def strings(node: ast.AST) -> list[str] | None:
    """The elements of a tuple, list or set literal (or frozenset/set/tuple of one) when
    they are all string constants; None for anything else."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and len(node.args) == 1
        and node.func.id in ("frozenset", "set", "tuple")
    ):
        node = node.args[0]
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set)) or not node.elts:
        return None
    values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return values if len(values) == len(node.elts) else None


def copies(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every place in `tree` that restates a rule policy owns, and which rule."""
    # A Literal[...] is the contract's vocabulary (the statuses, kinds and lights there
    # are), which policy takes its orders and sets from: not a copy.
    vocabulary = {
        id(n.slice)
        for n in ast.walk(tree)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == "Literal"
    }
    for node in ast.walk(tree):
        if id(node) in vocabulary:
            continue
        # The 365-day window: any 365 in code (docstrings and messages may say it).
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 365:
            yield node, "the 365-day repeat window (safetynet.policy.repeat_window)"
        values = strings(node)
        if values is not None:
            if set(values) <= REFERRAL_STATUSES:
                yield (
                    node,
                    (
                        f"a set of referral statuses {values} (the transitions and status sets of "
                        "safetynet.policy.referral_lifecycle)"
                    ),
                )
            elif set(values) == KINDS:
                yield node, "the destination-kind order (safetynet.policy.destination_kinds)"
            elif set(values) == RISKS:
                yield node, "the risk-light order (safetynet.policy.risk_lights)"
        if isinstance(node, ast.Dict) and node.keys:
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys >= RISKS and all(isinstance(v, ast.Constant) and type(v.value) is int for v in node.values):
                yield node, "a risk-light ranking (safetynet.policy.risk_lights)"
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            names = [t.id.upper() for t in node.targets if isinstance(t, ast.Name)]
            if any("TIPVDA" in name and "HIGH" in name for name in names):
                yield node, "the TIPVDA high-danger threshold (safetynet.policy.tipvda)"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
            asks_length = any(isinstance(c.func, ast.Attribute) and c.func.attr == "sla_seconds" for c in calls)
            adds_time = any(isinstance(c.func, ast.Name) and c.func.id == "timedelta" for c in calls)
            if asks_length and adds_time:
                yield node, "the SLA deadline arithmetic (safetynet.policy.sla.deadline)"


def test_every_rule_policy_owns_is_stated_nowhere_else() -> None:
    found = list(
        dict.fromkeys(  # frozenset({...}) is one copy, not two
            f"{where(path, node)}: {rule}"
            for path, tree in sources(SCANNED)
            for node, rule in copies(tree)
            if (str(path.relative_to(ROOT)), rule.split(" (")[0]) not in NOT_COPIES
        )
    )
    assert found == [], "rules restated outside safetynet.policy:\n" + "\n".join(found)


def test_the_scan_finds_each_kind_of_copy() -> None:
    # The scan must be able to fail: each of these is a copy it exists to catch.
    planted = ast.parse(
        "\n".join(
            [
                "WINDOW = timedelta(hours=365 * 24)",
                "REASSIGN_FROM = ('assigned', 'rejected')",
                "RULES = {'CloseReferral': (('unit',), ('acknowledged',))}",
                "KINDS = ('protection', 'welfare_center', 'mental_health', 'youth_counseling')",
                "RISK_ORDER = {'red': 0, 'orange': 1, 'yellow': 2, 'green': 3, None: 4}",
                "TIPVDA_HIGH = 8",
                "def accept(directory, at):",
                "    return at + timedelta(seconds=directory.sla_seconds(county='x', risk_level=None, default=1))",
            ]
        )
    )
    rules = {rule.split(" (")[0] for _, rule in copies(planted)}
    assert rules == {
        "the 365-day repeat window",
        "a set of referral statuses ['assigned', 'rejected']",
        "a set of referral statuses ['acknowledged']",
        "the destination-kind order",
        "a risk-light ranking",
        "the TIPVDA high-danger threshold",
        "the SLA deadline arithmetic",
    }


def test_each_rule_has_its_home() -> None:
    assert repeat_window.REPEAT_WINDOW.total_seconds() == 365 * 24 * 3600
    assert set(referral_lifecycle.TRANSITIONS) == {"acknowledge", "reject", "close", "reassign", "long_term_care"}
    assert callable(sla.deadline)
    homes = {p.stem for p in (POLICY / "safetynet" / "policy").glob("*.py")}
    assert {"referral_lifecycle", "repeat_window", "sla", "risk_lights", "destination_kinds", "tipvda"} <= homes


ALLOWED_IN_POLICY = (
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "types",
    "typing",
    "safetynet.contracts",
    "safetynet.policy",
)


@pytest.mark.parametrize("path", sorted(POLICY.rglob("*.py")), ids=lambda p: p.name)
def test_policy_is_pure(path: Path) -> None:
    """No I/O, no service, no platform: only the standard library's data types and the contracts."""
    tree = ast.parse(path.read_text("utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    stray = [m for m in imported if not any(m == a or m.startswith(a + ".") for a in ALLOWED_IN_POLICY)]
    assert stray == []
