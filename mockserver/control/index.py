"""The console at ``/__mockserver/``, rendered server-side with Jinja2 (autoescaped: loaded data
may hold any text) so it reads without JavaScript; ``static/console.js`` enhances it through the
control API only. Everything it needs ships in the package: no CDN, no build step."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

if TYPE_CHECKING:
    from jinja2 import Environment

from mockserver import __version__
from mockserver.control import actions, forms
from mockserver.control.actions import ControlTarget
from mockserver.journal.masking import shown_url
from mockserver.runtime import ApiRuntime
from mockserver.spec.model import Operation

log = logging.getLogger("mockserver")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
#: Ids shown per collection.
SAMPLE_IDS = 5
#: What ``/__mockserver/`` answers (404) when the mock runs with ``--no-control``.
CONTROL_OFF_PAGE = (TEMPLATES_DIR / "off.html").read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    """Made on the first page view (importing Jinja2 is ~5% of start-up)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def collection_for(parameter: str, collections: Sequence[str]) -> str | None:
    """The collection whose ids a parameter takes: ``segment_id`` <- segments, ``program-id``..."""
    key = parameter.lower().replace("-", "_")
    for name in collections:
        noun = name.split()[-1] if name.strip() else name  # "created segments": segments
        singular = noun[:-1] if noun.endswith("s") else noun
        if f"{singular}_id" in key:
            return name
    return None


def inventory(runtime: ApiRuntime) -> dict[str, list[str]]:
    """``Backend.inventory()``: collection name -> ids of the data in service."""
    try:
        return {name: [str(i) for i in ids] for name, ids in runtime.backend.inventory().items()}
    except Exception:
        log.exception("%s: inventory() failed", runtime.name)
        return {}


def answers(operation: Operation) -> list[tuple[str, str]]:
    """``(Prefer value, label)`` of every answer the operation declares: codes, then examples."""
    choices = [(f"code={code}", f"status {code}") for code in operation.responses if code.isdigit()]
    where: dict[str, str] = {}
    for code, response in sorted(operation.responses.items(), key=lambda i: i[0][0] != "2"):
        for media in response.content.values():
            for name in media.examples:
                where.setdefault(name, code)
    choices += [(f"example={name}", f"example {name} ({where[name]})") for name in sorted(where)]
    return [*choices, ("dynamic=true", "generated from the schema")]


def operation_view(
    runtime: ApiRuntime, operation: Operation, ids: Mapping[str, list[str]], base_url: str
) -> dict[str, Any]:
    fields = []
    for parameter in operation.parameters:
        linked = collection_for(parameter.name, list(ids))
        prefill = ""
        if parameter.required and parameter.location != "query":
            sample_header, sample = runtime.vendor.credential.sample_header
            if sample_header.lower() == parameter.name.lower():
                prefill = sample
            elif linked and ids[linked]:
                prefill = ids[linked][0]
        fields.append(forms.parameter_field(parameter, prefill))
    credential = forms.credential_field(
        runtime.vendor.credential, operation, runtime.spec.security_schemes
    )
    if credential is not None:
        fields.append(credential)
    body = None if operation.request_body is None else forms.body_form(operation.request_body)
    return {
        "api": runtime.name,
        "operation_id": operation.operation_id,
        "anchor": f"try-{runtime.name}-{operation.operation_id}",
        "method": operation.method,
        "path": operation.path,
        "summary": operation.summary,
        "fields": fields,
        "body": body,
        "answers": answers(operation),
        "curl": forms.curl_line(base_url, operation, fields, body),
    }


def link_target(name: str, operations: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """``(anchor, field)`` of the Try-it form a collection's ids fill: the first operation
    taking them, a GET first; ids the API made (a collection named ``created ...``) go first to
    one under the path that creates them (``POST /things`` -> ``GET /things/{id}``)."""
    made_at = tuple(f"{op['path']}/" for op in operations if op["method"] == "POST" and op["body"])
    created = name.startswith("created ")
    takers = [
        (op, field.name)
        for op in operations
        for field in op["fields"]
        if collection_for(field.name, [name])
    ]
    if not takers:
        return None
    op, field = min(  # the first of the best
        takers,
        key=lambda t: (created and not t[0]["path"].startswith(made_at), t[0]["method"] != "GET"),
    )
    return op["anchor"], field


def entry(value: str) -> dict[str, str]:
    """An inventory entry is an id, then optionally a space and a label (a created segment's
    name): the id fills forms, both are shown."""
    id_, _, label = value.partition(" ")
    return {"id": id_, "label": label}


def api_view(runtime: ApiRuntime, prefix: str, base_url: str) -> dict[str, Any]:
    spec = runtime.spec
    ids = inventory(runtime)
    operations = [operation_view(runtime, op, ids, base_url) for op in spec.operations]
    collections = [
        {
            "name": name,
            "count": len(values),
            "entries": [entry(value) for value in values[:SAMPLE_IDS]],
            "target": link_target(name, operations),
        }
        for name, values in ids.items()
    ]
    return {
        "name": runtime.name,
        "title": spec.title,
        "version": spec.version,
        "operations": operations,
        "inventory": collections,
        "spec_yaml": f"{prefix}/specs/{runtime.name}.yaml",
        "spec_json": f"{prefix}/specs/{runtime.name}.json",
    }


def scenario_text(scenario: Mapping[str, Any]) -> str:
    """``code 503, next 2`` or ``example empty, until cleared`` (as console.js says it)."""
    parts = [f"code {scenario['code']}"] if scenario.get("code") else []
    parts += [f"example {scenario['example']}"] if scenario.get("example") else []
    parts += ["dynamic"] if scenario.get("dynamic") else []
    remaining = scenario.get("remaining")
    return " ".join(parts) + (", until cleared" if remaining is None else f", next {remaining}")


def fault_view(fault: Mapping[str, Any]) -> dict[str, str]:
    """A fault's form values, spelt as console.js spells them: ``{"latency": "50-200", ...}``."""
    latency, rate = fault.get("latency_ms"), fault.get("error_rate")
    return {
        "latency": "-".join(f"{ms:g}" for ms in dict.fromkeys(latency)) if latency else "",
        "error_rate": "" if rate is None else f"{rate:g}",
    }


def clock_view(clock: Mapping[str, Any]) -> dict[str, Any]:
    """The clock to the second, and what console.js needs to keep it ticking; its mode as
    console.js says it: ``frozen``, ``real time`` or ``real time +3600 s``."""
    now, offset = str(clock["now"]), round(float(clock["offset_seconds"]))
    mode = "frozen" if clock["frozen"] else f"real time {offset:+d} s" if offset else "real time"
    return {
        "now": now[:19] + "Z" if now.endswith("Z") and len(now) > 19 else now,
        "iso": now,
        "frozen": "true" if clock["frozen"] else "false",
        "mode": mode,
    }


#: Templates the page is made of: ``?part=data`` renders the Data section's inventory alone
#: (console.js swaps it in after a write).
PARTS = {"data": "inventory.html"}


def index_page(
    target: ControlTarget, request: Request, *, token_required: bool, refusal: str | None = None
) -> str:
    """The page; to a refused caller only the reason (and a token prompt)."""
    proxy = target.proxy_upstream and shown_url(target.proxy_upstream)
    prefix = request.scope.get("root_path", "").rstrip("/")
    context: dict[str, Any] = {
        "version": __version__,
        "prefix": prefix,
        "refusal": refusal,
        "token_required": token_required,
        "proxy": proxy,
    }
    template = "index.html"
    if refusal is None:
        base_url = str(request.base_url).rstrip("/")
        faults = actions.faults(target)
        context |= {
            "seed": target.seed,
            "journal_size": target.state.journal.size,
            "apis": [api_view(rt, prefix, base_url) for rt in target.runtimes.values()],
            "scenarios": {k: scenario_text(v) for k, v in actions.scenarios(target).items()},
            "fault": fault_view(faults["global"]),
            "faults": {key: fault_view(f) for key, f in faults["operations"].items()},
            "no_fault": fault_view({}),
            "base_url": base_url,
            "clock": None if proxy else clock_view(actions.clock(target)),
        }
        template = PARTS.get(request.query_params.get("part") or "", template)
    return environment().get_template(template).render(context)
