"""No import cycles in archiver/ or ui/ (issue 17; the brief). Imports under ``if TYPE_CHECKING``
never run and do not count; imports inside functions count in ui/ (see PACKAGES). Importing ``a.b.c`` also
runs the packages ``a`` and ``a.b``: an edge to each of them (but not to a package the importer is
itself inside, which is always being initialised already)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: package -> whether imports inside functions count. The window's modules may not even import each
#: other lazily (issue 17: controllers, not a window its parts reach back into); the core still breaks a
#: few cycles with a function-level import (storage <-> recovery, the export writers <-> manifest).
PACKAGES = {"archiver": False, "ui": True}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(tree: ast.Module, name: str, is_package: bool, lazy: bool) -> set[str]:
    found: set[str] = set()
    base = name if is_package else name.rpartition(".")[0]

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                test = node.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    visit(node.orelse)
                    continue
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif lazy and isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.With | ast.For
            ):
                visit(node.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    target = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)  # `from pkg import submodule`

    visit(tree.body)
    return found


def test_no_import_cycles() -> None:
    modules = {
        module_name(p): p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        lazy = PACKAGES[name.split(".")[0]]
        for target in top_level_imports(ast.parse(path.read_text()), name, path.name == "__init__.py", lazy):
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                candidate = ".".join(parts[:i])
                if candidate in modules and candidate != name and not name.startswith(candidate + "."):
                    edges.add(candidate)
        graph[name] = edges
    assert "ui.paragraph_history" in graph["ui.mainwindow"]  # the graph is read, lazy imports in ui/ too
    assert "archiver.storage" in graph["archiver.portfolio"]
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
