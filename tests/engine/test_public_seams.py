"""Public seams only: no private attribute of uvicorn, asyncio or Schemathesis is read, written
or overridden by the mock's code (an upgrade could remove it silently: uvicorn's
``_start_asgi_task`` exists only since 0.45, ``loop.create_task(context=)`` only since 3.11)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
import uvicorn

PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"
#: Underscored but documented: ``collections.abc.Set._hash`` (a mixin's hash) and the named
#: tuple's methods (``_replace``...), public by the docs.
DOCUMENTED = {"_hash", "_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def library_privates() -> set[str]:
    """Private names of asyncio's, uvicorn's and Schemathesis' modules and their classes."""
    roots = [asyncio, uvicorn]
    with contextlib.suppress(ImportError):  # the contract extra is optional
        roots.append(importlib.import_module("schemathesis"))
    names: set[str] = set()
    for root in roots:
        modules = [root]
        for info in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
            try:
                modules.append(importlib.import_module(info.name))
            except Exception:  # platform modules (windows_events...), optional dependencies
                continue
        for module in modules:
            for name, value in vars(module).items():
                names.add(name)
                if inspect.isclass(value):
                    names.update(dir(value))
    return {name for name in names if private(name)} - DOCUMENTED


def own_names(tree: ast.AST) -> set[str]:
    """Names the mock's code defines: functions, classes, class attributes, ``self._x``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
    return names


def base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def offences(source: str, theirs: set[str], ours: set[str]) -> list[str]:
    """Private library names read or written, overridden in a subclass of a class that is not
    the mock's own (``ours`` holds its class names), or imported."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in theirs and node.attr not in ours:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ClassDef) and any(base_name(b) not in ours for b in node.bases):
            for item in node.body:
                is_method = isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                if is_method and item.name in theirs:
                    found.append(f"line {item.lineno}: {node.name} overrides {item.name}")
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names if private(alias.name)]
            found += [f"line {node.lineno}: imports {name}" for name in names]
    return found


@pytest.fixture(scope="module")
def theirs() -> set[str]:
    return library_privates()


def test_the_mock_touches_no_private_attribute_of_uvicorn_asyncio_or_schemathesis(theirs):
    trees = {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}
    ours: set[str] = set()
    for source in trees.values():
        ours |= own_names(ast.parse(source))
    found = {
        str(path.relative_to(PACKAGE.parent)): where
        for path, source in trees.items()
        if (where := offences(source, theirs, ours))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "def f(waiting):\n    waiting._asyncio_future_blocking = False\n",
        "class P(HttpToolsProtocol):\n    def _start_asgi_task(self, cycle, app):\n        pass\n",
        "from uvicorn.protocols.utils import _private\n",
    ],
)
def test_a_planted_private_use_is_found(theirs, source):
    assert offences(source, theirs | {"_private"}, set())
