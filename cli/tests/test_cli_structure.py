"""How the CLI is put together: it reaches each service only through its admin surface
(`safetynet.<service>.admin`) or, to run it, its bootstrap and its settings; its modules import each other
without a cycle; an import inside a function says why; and each admin surface is made of
keyword-only functions with a one-line docstring. Read from the source (ast), so a
violation is named by file and line."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "cli" / "src" / "safetynet" / "cli"
SERVICES = ("intake", "screening", "routing", "notify")
ALLOWED = {"admin", "bootstrap", "settings"}  # settings: each service's own SAFETYNET_* class, built by the CLI


def cli_modules() -> dict[str, ast.Module]:
    modules = {path.stem: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in CLI.glob("*.py")}
    assert {"main", "serve", "dev", "keys", "audit"} <= set(modules)  # the walk found the package
    return modules


def imported(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, dotted name) of every import, `from a.b import c` giving a.b.c."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_the_cli_reaches_a_service_only_through_its_admin_surface_or_bootstrap() -> None:
    wrong = []
    for name, tree in cli_modules().items():
        for line, dotted in imported(tree):
            parts = dotted.split(".")
            into_a_service = parts[:1] == ["safetynet"] and len(parts) > 1 and parts[1] in SERVICES
            if into_a_service and (len(parts) < 3 or parts[2] not in ALLOWED):
                wrong.append(f"cli/{name}.py:{line} imports {dotted}")
    assert wrong == []


def test_the_cli_modules_import_each_other_without_a_cycle() -> None:
    modules = cli_modules()
    # `from safetynet.cli import telemetry` and `from safetynet.cli.telemetry import x` alike.
    edges = {
        name: {
            d.split(".")[2]
            for _, d in imported(tree)
            if d.startswith("safetynet.cli.") and d.split(".")[2] in modules and d.split(".")[2] != name
        }
        for name, tree in modules.items()
    }
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            else:
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == []


def test_an_import_inside_a_function_says_why() -> None:
    silent = []
    for name, tree in cli_modules().items():
        lines = (CLI / f"{name}.py").read_text(encoding="utf-8").splitlines()
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    here, above = lines[node.lineno - 1], lines[node.lineno - 2]
                    if "#" not in here and not above.strip().startswith("#"):
                        silent.append(f"cli/{name}.py:{node.lineno}")
    assert silent == []


def test_each_admin_surface_is_keyword_only_functions_with_a_one_line_docstring() -> None:
    problems = []
    for service in SERVICES:
        path = ROOT / "services" / service / "src" / "safetynet" / service / "admin.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        functions = [
            n
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")
        ]
        if not any(f.name == "migrate" for f in functions):
            problems.append(f"{service}: no migrate")
        for f in functions:
            if f.args.args or f.args.posonlyargs or f.args.vararg:
                problems.append(f"{service}.admin.{f.name}: positional parameters")
            doc = ast.get_docstring(f)
            if not doc or "\n" in doc.strip():
                problems.append(f"{service}.admin.{f.name}: not a one-line docstring")
    assert problems == []
