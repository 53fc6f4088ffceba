"""The import graph of the project's own code, read with `ast` (nothing is imported).

`python bench/imports.py` prints the edges between components and any cycle; the test
`tests/test_import_graph.py` fails if a cycle comes back.

Components: each app (`history`, `provisions`, `actors`, `exchange`, `dashboard`,
`editors`), each app's `api/` subpackage apart (`provisions.api`…: presentation of that
app), the shared API package `api` (with `api.urls`, the one router, counted with `config`
as the composition root), `config` and `bench`. An import of another app's `models` is a
model dependency (foreign keys run both ways between `provisions` and `actors`) and does
not count between components; every other import does. Migrations and tests are left out.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "api", "history", "provisions", "actors", "exchange", "dashboard", "editors")
APPS_WITH_API = ("history", "provisions", "actors")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports (at any level of the file: a function-level import counts)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        for target in targets:
            # The longest known module the import names (`from pkg import mod` names pkg.mod).
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def module_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def component(module: str) -> str:
    parts = module.split(".")
    if module == "api.urls":
        return "config"
    if parts[0] in APPS_WITH_API and len(parts) > 1 and parts[1] == "api":
        return f"{parts[0]}.api"
    return parts[0]


def is_model_dependency(target: str) -> bool:
    return target.endswith(".models") and target.count(".") == 1


def component_graph(modules: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    modules = module_graph() if modules is None else modules
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in modules.items():
        for target in targets:
            a, b = component(source), component(target)
            if a != b and not is_model_dependency(target):
                edges[a].add(b)
    return dict(edges)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return sorted(found)


def main() -> None:
    modules = module_graph()
    components = component_graph(modules)
    for source in sorted(components):
        print(f"{source:16} -> {', '.join(sorted(components[source]))}")
    print("component cycles:", cycles(components) or "none")
    print("module cycles:", cycles(modules) or "none")


if __name__ == "__main__":
    main()
