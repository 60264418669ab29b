"""Public seams only (issue 21): no private attribute of uvicorn, asyncio or Schemathesis is
read, written or overridden anywhere in ``mockserver/``.

A private name is one those libraries define themselves (``def _x``, ``self._x = ...``, a
module-level ``_x``). The test reads every module of ``mockserver/`` and lists each place that
- imports such a name, or a module whose path has a private part, from those libraries;
- reads or writes ``obj._x`` (or ``getattr``/``hasattr``/``setattr`` with ``"_x"``) where ``_x``
  is theirs and not one of our own classes' names;
- defines, or uses through ``self``/``super()``, such a name in a class built on one of theirs.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "mockserver"
LIBRARIES = ("uvicorn", "asyncio", "schemathesis")
#: Public despite the underscore: the documented API of every named tuple.
NAMEDTUPLE_API = frozenset({"_replace", "_asdict", "_fields", "_field_defaults", "_make"})
_DEFINED = re.compile(r"(?:\bdef\s+|\.|^\s*)(_[A-Za-z]\w*)\b(?=\s*[(=:])?", re.MULTILINE)


def _library_dir(name: str) -> Path | None:
    if name == "asyncio":
        return Path(asyncio.__file__).parent
    spec = importlib.util.find_spec(name)
    return None if spec is None or spec.origin is None else Path(spec.origin).parent


def library_private_names() -> frozenset[str]:
    names: set[str] = set()
    for library in LIBRARIES:
        where = _library_dir(library)
        for path in where.rglob("*.py") if where else ():
            names.update(_DEFINED.findall(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(name for name in names if not name.startswith("__")) - NAMEDTUPLE_API


def inherited_private_names(bases: list[type]) -> frozenset[str]:
    """The private names the library classes among ``bases`` (and theirs) define."""
    names: set[str] = set()
    for base in bases:
        for cls in base.__mro__:
            if _foreign(cls.__module__):
                names.update(_DEFINED.findall(inspect.getsource(cls)))
    return frozenset(name for name in names if not name.startswith("__"))


def _foreign(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in LIBRARIES


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


class Reader(ast.NodeVisitor):
    """One module: our own private names, and each private name used on another object or
    through ``self`` in a class built on a library's."""

    def __init__(self) -> None:
        self.imported: dict[str, str] = {}  # local name -> the module it comes from
        self.findings: list[tuple[int, str]] = []
        #: (line, name, the private names of the library class it is used in, or None)
        self.accesses: list[tuple[int, str, frozenset[str] | None]] = []
        self.own: set[str] = set()
        self.inherited: list[frozenset[str] | None] = [None]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imported[(alias.asname or alias.name).split(".")[0]] = alias.name
            if _foreign(alias.name) and any(_private(p) for p in alias.name.split(".")):
                self.findings.append((node.lineno, f"import {alias.name}"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            self.imported[alias.asname or alias.name] = f"{module}.{alias.name}"
            private = any(_private(part) for part in [*module.split("."), alias.name])
            if _foreign(module) and private:
                self.findings.append((node.lineno, f"from {module} import {alias.name}"))

    def _resolve(self, node: ast.expr) -> type | None:
        """A base class imported from uvicorn, asyncio or Schemathesis, as an object."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.imported:
            return None
        path = self.imported[node.id]
        if not _foreign(path):
            return None
        module, _, name = path.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), name)
        except (ValueError, ImportError, AttributeError):  # ``import asyncio``: a module
            found = importlib.import_module(path)
        for part in reversed(parts):
            found = getattr(found, part)
        return found if isinstance(found, type) else None

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [base for base in map(self._resolve, node.bases) if base is not None]
        inherited = inherited_private_names(bases) if bases else None
        self.inherited.append(inherited)
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _private(item.name):
                if inherited is None:
                    self.own.add(item.name)
                else:
                    self.accesses.append((item.lineno, item.name, inherited))
        self.generic_visit(node)
        self.inherited.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr):
            value = node.value
            through_self = (isinstance(value, ast.Name) and value.id in ("self", "cls")) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "super"
            )
            inherited = self.inherited[-1]
            if through_self and inherited is None:
                if isinstance(node.ctx, ast.Store):
                    self.own.add(node.attr)
            elif through_self:
                self.accesses.append((node.lineno, node.attr, inherited))
            elif not (
                isinstance(value, ast.Name)
                and value.id in self.imported
                and not _foreign(self.imported[value.id])
            ):  # not a name imported from elsewhere (collections.abc's ``Set._hash``)
                self.accesses.append((node.lineno, node.attr, None))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            self.accesses.append((node.lineno, node.args[1].value, None))
        self.generic_visit(node)


def private_uses(theirs: frozenset[str]) -> list[str]:
    readers = {}
    for path in sorted(ROOT.rglob("*.py")):
        reader = Reader()
        reader.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        readers[path] = reader
    ours = set().union(*(reader.own for reader in readers.values()))
    found = []
    for path, reader in readers.items():
        where = path.relative_to(ROOT.parent)
        found += [f"{where}:{line}: {what}" for line, what in reader.findings]
        found += [
            f"{where}:{line}: {name}"
            for line, name, inherited in reader.accesses
            if (name in inherited if inherited is not None else name in theirs - ours)
        ]
    return found


def test_the_reader_finds_private_reads_writes_and_overrides(tmp_path, monkeypatch):
    """The detector itself: each kind of private use is found, our own names are not."""
    module = tmp_path / "mockserver" / "sample.py"
    module.parent.mkdir()
    module.write_text(
        "import asyncio\n"
        "from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol\n"
        "from schemathesis.engine import context\n"
        "class Mine:\n"
        "    def __init__(self):\n"
        "        self._ready = 1\n"
        "    def _call_soon(self):\n"
        "        return self._ready\n"
        "class Theirs(HttpToolsProtocol):\n"
        "    def _start_asgi_task(self, cycle, app):\n"
        "        super()._start_asgi_task(cycle, app)\n"
        "def f(fut, loop):\n"
        "    fut._asyncio_future_blocking = False\n"
        "    getattr(fut, '_asyncio_future_blocking', False)\n"
        "    context.make_session = None\n"
        "    return loop._ready\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", module.parent)
    theirs = frozenset({"_ready", "_call_soon", "_asyncio_future_blocking", "make_session"})
    assert [line.split(": ", 1)[1] for line in private_uses(theirs)] == [
        "_start_asgi_task",  # an override
        "_start_asgi_task",  # its call through super()
        "_asyncio_future_blocking",  # written
        "_asyncio_future_blocking",  # read by name
    ]


@pytest.mark.parametrize("library", LIBRARIES)
def test_each_library_is_read_for_its_private_names(library):
    where = _library_dir(library)
    if where is None:
        pytest.skip(f"{library} is not installed")
    assert any(path.suffix == ".py" for path in where.rglob("*.py"))


def test_no_private_attribute_of_uvicorn_asyncio_or_schemathesis_is_used():
    found = private_uses(library_private_names())
    assert not found, "private names of uvicorn/asyncio/Schemathesis used:\n" + "\n".join(found)
