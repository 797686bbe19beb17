"""The floors: import-linter's contract in pyproject.toml — no module imports one from a floor above its own,
deferred imports (inside functions) included, which is how upward imports used to hide — and no import cycle
among our modules, deferred and `TYPE_CHECKING` imports included, which is how two cycles hid before."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Set
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("advisor", "jobs")


def test_arrows_only_point_down() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def reachable(imports: Mapping[str, Set[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(imports[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imports[module])
    return seen


def import_cycles(imports: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module: modules that each import the others, directly
    or not. (Mutual reachability read off each module's reachable set: a few hundred modules, so the plain way.)"""
    reach = {module: reachable(imports, module) for module in imports}
    components = {
        frozenset({module} | {other for other in reach[module] if module in reach[other]}) for module in imports
    }
    return sorted(sorted(component) for component in components if len(component) > 1)


def test_import_cycles_are_found() -> None:
    """The finder itself: a cycle through three modules is one component, a module merely imported by it is not."""
    imports = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"e", "d"}}
    assert import_cycles(imports) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    """Imports go one way between our modules, so each can be read, tested and loaded without the ones above it.

    grimp (import-linter's graph) sees deferred imports inside functions and `TYPE_CHECKING` imports too, so a
    cycle cannot hide behind either. Importing a name from a package's `__init__` is an edge to the package, and
    importing a submodule an edge to the submodule only: Python runs the package's `__init__` first, but that
    closes a circle only when the `__init__` imports a module that imports a name from it, and those are two
    edges here."""
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    cycles = import_cycles(imports)
    report = []
    for cycle in cycles:
        report.append(f"cycle of {len(cycle)} modules: {', '.join(cycle)}")
        for importer in cycle:
            for imported in sorted(imports[importer] & set(cycle)):
                lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
                report.append(f"    {importer} -> {imported} (line {', '.join(map(str, lines))})")
    print("\n".join(report))
    assert not cycles, "\n".join(report)


MAX_MODULE_LINES = 400


def test_every_module_reads_in_one_sitting() -> None:
    """The team's rule: a module stays under ~400 lines, so it reads top-down in one go; one that grows past it
    is split by what it does, not trimmed by squeezing lines (Alembic's generated migrations are not ours to split)."""
    too_long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"over {MAX_MODULE_LINES} lines: {too_long}"
