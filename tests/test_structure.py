"""The shape of the tree, checked from the source (ast) so that a violation names its file
and line: no import cycle among the safetynet modules; the platform and the contracts name
no service; no service imports another. (That every cross-service rule lives in one
module is tests/test_rule_homes.py.)

Every import counts, wherever it is written (module level, inside a function, under
TYPE_CHECKING): an import deferred into a function hides a cycle from Python, not from
the next engineer."""

import ast
import io
import itertools
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = sorted([*(ROOT / "libs").glob("*/src"), *(ROOT / "services").glob("*/src"), ROOT / "cli" / "src"])
SERVICES = ("intake", "screening", "routing", "notify")
SHARED = ("platform", "contracts")  # the libraries every service builds on: they know none of them


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, dotted
    target: str  # the imported safetynet module, dotted (the nearest one that exists)
    where: str  # file:line


def module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, Path]:
    modules = {module_name(path, src): path for src in SOURCE_ROOTS for path in src.rglob("*.py")}
    assert {
        "safetynet.platform.settings",
        "safetynet.contracts.events",
        "safetynet.intake.bootstrap",
        "safetynet.cli.main",
    } <= set(modules)  # the walk found the tree
    return modules


def _resolve(dotted: str, modules: dict[str, Path]) -> str | None:
    """The module `dotted` names, or the nearest enclosing one (`a.b.name` -> `a.b`)."""
    while dotted:
        if dotted in modules:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def imports(modules: dict[str, Path]) -> Iterator[Import]:
    """Every import of a safetynet module by a safetynet module."""
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importer's package, `level` up
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                target = _resolve(name, modules) if name.startswith("safetynet.") else None
                if target is not None and target != importer:
                    yield Import(importer, target, f"{path.relative_to(ROOT)}:{node.lineno}")


def owner(module: str) -> str:
    """The library, service or CLI a module belongs to: `safetynet.<owner>…`."""
    return module.split(".")[1]


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return list(imports(source_modules()))


# --- (a) no import cycle ------------------------------------------------------------------


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return [_a_cycle_within(group, edges) for group in groups]


def _a_cycle_within(group: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, set()) & members):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    following.append(nxt)
        frontier = following
    return group  # unreachable: a strongly connected group has a cycle through every member


def test_the_cycle_finder_finds_a_cycle_and_names_it() -> None:
    # The check below passes on a clean tree; this shows it would fail on a dirty one.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_safetynet_modules(graph: list[Import]) -> None:
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for imp in graph:
        edges.setdefault(imp.importer, set()).add(imp.target)
        where.setdefault((imp.importer, imp.target), imp.where)
    found = cycles(edges)
    described = ["\n".join(f"  {a} -> {b}  ({where[(a, b)]})" for a, b in itertools.pairwise(cycle)) for cycle in found]
    assert not found, "import cycles:\n" + "\n\n".join(described)


# --- (b) who may import whom --------------------------------------------------------------


def test_the_platform_and_the_contracts_import_no_service_nor_the_cli(graph: list[Import]) -> None:
    wrong = [
        f"{imp.where}: {imp.importer} imports {imp.target}"
        for imp in graph
        if owner(imp.importer) in SHARED and owner(imp.target) in (*SERVICES, "cli")
    ]
    assert wrong == []


def test_the_contracts_import_nothing_but_themselves(graph: list[Import]) -> None:
    # What crosses the wire stands alone: the platform builds on it, never the reverse.
    wrong = [
        f"{imp.where}: {imp.importer} imports {imp.target}"
        for imp in graph
        if owner(imp.importer) == "contracts" and owner(imp.target) != "contracts"
    ]
    assert wrong == []


def test_no_service_imports_another_service_or_the_cli(graph: list[Import]) -> None:
    wrong = [
        f"{imp.where}: {imp.importer} imports {imp.target}"
        for imp in graph
        if owner(imp.importer) in SERVICES
        and owner(imp.target) in (*SERVICES, "cli")
        and owner(imp.target) != owner(imp.importer)
    ]
    assert wrong == []


def _code_names(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Identifiers and string constants of a module, without its docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_the_platform_names_no_service_in_its_code() -> None:
    # Services pass their schemas, tables and settings in; the platform's code (its
    # names and strings, not its comments) never spells one out.
    wrong = []
    for name, path in source_modules().items():
        if owner(name) != "platform":
            continue
        for line, text in _code_names(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            named = [s for s in SERVICES if s in text.lower()]
            if named:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {text!r} names {named}")
    assert wrong == []


# --- (c) every silenced type error says which and why -------------------------------------

# `# type: ignore[code]  # why`: the error code keeps the silence narrow (another error on
# the line still shows), the reason tells the next engineer when it may go.
_IGNORE = re.compile(r"type:\s*ignore\b")
_JUSTIFIED = re.compile(r"type:\s*ignore\[[a-z0-9-]+(?:,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def unjustified_ignores(source: str) -> list[int]:
    """Lines of `source` whose comment silences mypy without an error code and a reason."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        comment = token.string
        for found in _IGNORE.finditer(comment):
            if not _JUSTIFIED.match(comment, found.start()):
                lines.append(token.start[0])
                break
    return lines


def test_the_ignore_check_tells_a_justified_ignore_from_a_bare_one() -> None:
    sample = "\n".join(
        [
            "import aiokafka  # type: ignore[import-untyped]  # aiokafka ships no types",  # 1: justified
            "x = f()  # type: ignore",  # 2: neither code nor reason
            "x = f()  # type: ignore[arg-type]",  # 3: no reason
            "x = f()  # type: ignore  # the library is wrong",  # 4: no code
            "x = f()  # type: ignore[arg-type, misc]  # two codes, one reason",  # 5: justified
            "s = '# type: ignore'",  # 6: a string, not a comment
            "x = f()  # fine  # type: ignore[]  # empty code",  # 7: an empty code is none
        ]
    )
    assert unjustified_ignores(sample + "\n") == [2, 3, 4, 7]


def test_every_type_ignore_in_the_source_names_its_error_and_why() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in source_modules().values()
        for line in unjustified_ignores(path.read_text(encoding="utf-8"))
    ]
    assert wrong == [], "write `# type: ignore[code]  # reason` (or fix the type):\n" + "\n".join(wrong)
