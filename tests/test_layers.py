"""The layers of the architecture, read from the source (no import is run).

    wslab.app  ->  stages (wslab.labeling, wslab.quality, wslab.cartography)  ->  wslab.core

An import may only run down this list: core imports only core; a stage imports core and itself,
never another stage; nothing below the app imports the app or the ``wslab`` facade package. And
no module imports itself in a circle (function-level and ``TYPE_CHECKING`` imports count too:
a circle there is still two modules that each need the other).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOTS = {"wslab": ROOT / "wslab", "wslab.labeling": ROOT / "labeling",
                 "wslab.quality": ROOT / "quality", "wslab.cartography": ROOT / "cartography"}
STAGES = ("wslab.labeling", "wslab.quality", "wslab.cartography")


def module_files() -> dict[str, Path]:
    """Every module of the package by its import name (``labeling/spec.py`` -> ``wslab.labeling.spec``)."""
    found: dict[str, Path] = {}
    for package, folder in PACKAGE_ROOTS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def imported_modules(source: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``source`` imports anywhere (``from a import b`` names ``a.b``
    when that is a module, else ``a``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in known else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n in known}


def layer(module: str) -> tuple[int, str]:
    """(rank, group): 0 core, 1 a stage (group = the stage), 2 the app, 3 the ``wslab`` facade."""
    if module == "wslab.core" or module.startswith("wslab.core."):
        return 0, "core"
    for stage in STAGES:
        if module == stage or module.startswith(stage + "."):
            return 1, stage
    if module == "wslab.app" or module.startswith("wslab.app."):
        return 2, "app"
    return 3, module


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in graph.items():
        rank, group = layer(module)
        for target in targets:
            t_rank, t_group = layer(target)
            if rank < 2 and (t_rank > rank or (t_rank == rank and t_group != group)):
                bad.append(f"{module} imports {target}")
    return sorted(bad)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {m: imported_modules(p.read_text(encoding="utf-8"), known) - {m} for m, p in files.items()}


def test_the_layers_exist(graph):
    ranks = {layer(m)[0] for m in graph}
    assert ranks == {0, 1, 2, 3}
    assert "wslab.core.config" in graph and "wslab.app.pipeline" in graph and "wslab.labeling.spec" in graph


def test_no_import_runs_upward(graph):
    assert upward_imports(graph) == []


def test_no_circle(graph):
    assert circles(graph) == []


def test_the_checks_see_a_bad_import():
    known = {"wslab.core.io", "wslab.app.pipeline", "wslab.quality.queue", "wslab.labeling.spec", "wslab"}
    assert imported_modules("from wslab.app import pipeline\n", known) == {"wslab.app.pipeline"}
    assert upward_imports({"wslab.core.io": {"wslab.app.pipeline"}}) == ["wslab.core.io imports wslab.app.pipeline"]
    assert upward_imports({"wslab.labeling.spec": {"wslab.quality.queue"}}) != []
    assert upward_imports({"wslab.labeling.spec": {"wslab"}}) != []
    assert upward_imports({"wslab.app.pipeline": {"wslab.labeling.spec", "wslab.core.io"}}) == []
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
