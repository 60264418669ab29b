"""The import graph, read from the code's own imports: a DAG with app.py on top, and vendors
reached only through the registry.

An edge ``a -> b`` means module ``a`` imports ``b`` anywhere: at import time, inside a function
(a lazy import runs later, but a circle through it is a circle all the same) or under
``TYPE_CHECKING`` (a type checker follows it). Importing ``x.y.z`` runs the ``__init__`` of ``x``
and ``x.y`` too, so those are edges as well - except the packages the importer itself lives in,
which Python has already started. The vendor interface (``mockserver.vendors.interface``) is
the engine's, not a vendor package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"
VENDORS = "mockserver.vendors"
INTERFACE = f"{VENDORS}.interface"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(tree: ast.Module, name: str, is_package: bool) -> list[tuple[str, tuple[str, ...]]]:
    """Every import statement of a module, wherever it stands: ``(module, names)``, where
    ``names`` are the names of ``from module import ...`` (empty for ``import module``)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, tuple(alias.name for alias in node.names)))
    return found


def targets(module: str, names: tuple[str, ...], known: set[str]) -> set[str]:
    """The modules one statement imports: ``from pkg import mod`` is ``pkg.mod``, ``from pkg
    import name`` is ``pkg`` itself."""
    submodules = {f"{module}.{name}" for name in names} & known
    return submodules if names and len(submodules) == len(names) else submodules | {module}


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        explicit = {
            target
            for module, names in imports(tree, name, path.name == "__init__.py")
            for target in targets(module, names, set(known))
            if target in known
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
        if target.startswith(VENDORS + ".") and target != INTERFACE
    )
    assert offenders == []


def test_the_two_vendors_share_no_module():
    crossing = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if name.startswith(f"{VENDORS}.")
        and target.startswith(f"{VENDORS}.")
        and INTERFACE not in (name, target)
        and name.split(".")[2] != target.split(".")[2]
    )
    assert crossing == []


#: What may import the app: what runs it. ``reality.proxy`` names ``MockApp`` in a type hint
#: only (``build_proxy``'s ``plane``), which no import runs.
#: ``bundled`` is ``make precompile``'s: it builds the default app to validate its answers ahead
#: of time, and nothing in the package imports it.
ABOVE_APP = {
    "mockserver.testing",
    "mockserver.cli.commands",
    "mockserver.cli.serve",
    "mockserver.bundled",
}
TYPE_HINT_ONLY = {"mockserver.reality.proxy"}


def test_app_is_on_top():
    importers = sorted(name for name, targets in graph().items() if "mockserver.app" in targets)
    assert set(importers) <= ABOVE_APP | TYPE_HINT_ONLY, importers


#: What the state layer may import besides itself: the journal's record (what it stores) and the
#: leaf helpers. No scenario, vendor or request-path type.
BELOW_STATE = (
    "mockserver",
    "mockserver.errors",
    "mockserver.journal",
    "mockserver.journal.masking",
    "mockserver.journal.record",
    "mockserver.lru",
    "mockserver.numbers",
    "mockserver.serialize",
)


def test_the_state_imports_only_what_is_below_it():
    above = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith("mockserver.state")
        for target in targets
        if not target.startswith("mockserver.state") and target not in BELOW_STATE
    )
    assert above == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import a.b\n", {"a.b"}),
        ("from . import x\n", {"mockserver.pkg.x"}),
        ("from . import thing\n", {"mockserver.pkg"}),
        ("from .x import thing\n", {"mockserver.pkg.x"}),
        ("if TYPE_CHECKING:\n    import hidden\n", {"hidden"}),
        ("def f():\n    import late\n", {"late"}),
        ("try:\n    import fast\nexcept ImportError:\n    import slow\n", {"fast", "slow"}),
    ],
)
def test_the_import_reader(source, expected):
    known = {"mockserver.pkg", "mockserver.pkg.x"}
    statements = imports(ast.parse(source), "mockserver.pkg.mod", is_package=False)
    found = {target for module, names in statements for target in targets(module, names, known)}
    assert found == expected


def test_a_package_importing_a_name_from_its_own_package_is_an_edge():
    """``from mockserver.pkg import Name`` inside ``mockserver.pkg.sub`` runs ``pkg/__init__``
    (a circle when that ``__init__`` imports ``sub``), even beside ``from mockserver.pkg.other
    import ...``."""
    source = "from mockserver.pkg.x import a\nfrom mockserver.pkg import Name\n"
    known = {"mockserver.pkg", "mockserver.pkg.x"}
    statements = imports(ast.parse(source), "mockserver.pkg.sub", is_package=False)
    found = {target for module, names in statements for target in targets(module, names, known)}
    assert found == {"mockserver.pkg", "mockserver.pkg.x"}


def test_a_planted_cycle_is_found():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
