"""The import graph, read from the code's own imports: a DAG with app.py on top, and vendors
reached only through the registry.

An edge ``a -> b`` means module ``a`` imports ``b`` at import time (``TYPE_CHECKING`` blocks and
imports inside functions are not edges: they run later, if ever). Importing ``x.y.z`` runs the
``__init__`` of ``x`` and ``x.y`` too, so those are edges as well - except the packages the
importer itself lives in, which Python has already started.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"
VENDORS = "mockserver.vendors"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def top_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Modules imported when ``name`` is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and not _is_type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            pending += [stmt for handler in node.handlers for stmt in handler.body]
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = top_level_imports(tree, name, path.name == "__init__.py")
        # ``from pkg import mod`` imports pkg.mod; ``from pkg import name`` imports pkg itself
        explicit = {
            target
            for target in imported
            if target in known
            and not any(other in known and other.startswith(target + ".") for other in imported)
        }
        parts_of = name.split(".")
        own = {".".join(parts_of[:i]) for i in range(1, len(parts_of))}
        implied = {
            ".".join(parts[:i])
            for target in explicit
            for parts in [target.split(".")]
            for i in range(1, len(parts))
        }
        edges[name] = (explicit | (implied - own)) - {name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_nothing_outside_vendors_imports_a_vendor_package():
    offenders = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if not name.startswith(VENDORS)
        for target in targets
        if target.startswith(VENDORS + ".")
    )
    assert offenders == []


def test_the_two_vendors_share_no_module():
    crossing = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if name.startswith(f"{VENDORS}.")
        and target.startswith(f"{VENDORS}.")
        and name.split(".")[2] != target.split(".")[2]
    )
    assert crossing == []


def test_app_is_on_top():
    importers = sorted(name for name, targets in graph().items() if "mockserver.app" in targets)
    assert set(importers) <= {"mockserver.testing"}, importers


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a.b\n", {"a.b"}),
        ("from . import x\n", {"mockserver.pkg", "mockserver.pkg.x"}),
        ("if TYPE_CHECKING:\n    import hidden\n", set()),
        ("def f():\n    import late\n", set()),
        ("try:\n    import fast\nexcept ImportError:\n    import slow\n", {"fast", "slow"}),
    ],
)
def test_the_import_reader(source, expected):
    tree = ast.parse(source)
    assert top_level_imports(tree, "mockserver.pkg.mod", is_package=False) == expected


def test_a_planted_cycle_is_found():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
