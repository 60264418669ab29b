"""The ``/__mockserver/`` page: the served APIs, their operations and the data to try.

Rendered server-side with Jinja2 (autoescaped: loaded data may hold any text);
its stylesheet is shipped in the package, so the page works offline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from mockserver import __version__
from mockserver.control import actions
from mockserver.control.actions import ControlTarget
from mockserver.runtime import ApiRuntime

log = logging.getLogger("mockserver")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
#: Ids shown per collection.
SAMPLE_IDS = 5


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def inventory(runtime: ApiRuntime) -> list[dict[str, Any]]:
    """``Backend.inventory()`` (optional): collection name -> ids of the data in service."""
    method = getattr(runtime.backend, "inventory", None)
    if not callable(method):
        return []
    try:
        collections: Mapping[str, Sequence[Any]] = method()
        return [
            {"name": name, "count": len(ids), "ids": [str(i) for i in list(ids)[:SAMPLE_IDS]]}
            for name, ids in collections.items()
        ]
    except Exception:
        log.exception("%s: inventory() failed", runtime.name)
        return []


def api_view(runtime: ApiRuntime, prefix: str) -> dict[str, Any]:
    spec = runtime.spec
    operations = [
        {
            "method": op.method,
            "path": op.path,
            "operation_id": op.operation_id,
            "summary": op.summary,
            "codes": list(op.responses),
            "headers": [p.name for p in op.parameters if p.location == "header" and p.required],
            "secured": bool(op.security),
            "examples": sorted(
                {
                    name
                    for r in op.responses.values()
                    for m in r.content.values()
                    for name in m.examples
                }
            ),
        }
        for op in spec.operations
    ]
    return {
        "name": runtime.name,
        "title": spec.title,
        "version": spec.version,
        "operations": operations,
        "inventory": inventory(runtime),
        "spec_yaml": f"{prefix}/specs/{runtime.name}.yaml",
        "spec_json": f"{prefix}/specs/{runtime.name}.json",
    }


def index_page(target: ControlTarget, request: Request) -> str:
    prefix = request.scope.get("root_path", "").rstrip("/")
    context = {
        "version": __version__,
        "prefix": prefix,
        "seed": target.seed,
        "apis": [api_view(rt, prefix) for rt in target.runtimes.values()],
        "journal_count": len(target.state.journal),
        "controls": {"scenarios": actions.scenarios(target), "faults": actions.faults(target)},
        "base_url": str(request.base_url).rstrip("/"),
    }
    return environment().get_template("index.html").render(context)
