"""The console at ``/__mockserver/``: try each operation, watch the journal, set scenarios.

Rendered server-side with Jinja2 (autoescaped: loaded data may hold any text), so it reads
without JavaScript; ``static/console.js`` enhances it (send, live journal, controls) through the
control API only. Everything it needs ships in the package: no CDN, no build step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request

if TYPE_CHECKING:
    from jinja2 import Environment

from mockserver import __version__
from mockserver.control import actions
from mockserver.control.actions import ControlTarget
from mockserver.control.bodyform import BodyForm, body_form, fields_body, text
from mockserver.control.guard import REFUSAL_KEY
from mockserver.runtime import ApiRuntime
from mockserver.spec.model import MISSING, Operation, Parameter
from mockserver.vendors.interface import CredentialSource

log = logging.getLogger("mockserver")

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
#: Ids shown per collection.
SAMPLE_IDS = 5
#: What ``/__mockserver/`` answers (404) when the mock runs with ``--no-control``.
CONTROL_OFF_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockserver: control plane off</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>The control plane is off</h1>
<p>This mock was started with <code>--no-control</code>: the console, the request journal,
scenarios and faults are unavailable. The APIs answer as usual.</p></body></html>
"""


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


@dataclass(frozen=True)
class Field:
    """One control of a Try-it form, made from one spec parameter or the credential."""

    name: str
    location: str
    kind: str
    required: bool = False
    value: str = ""
    default: str = ""
    options: tuple[str, ...] = ()
    explode: bool = True
    minimum: str = ""
    maximum: str = ""
    step: str = ""


def kind_of(schema: Mapping[str, Any]) -> str:
    """The form control a schema asks for: a table from the schema's shape."""
    if "enum" in schema:
        return "select"
    return {"boolean": "checkbox", "array": "array", "integer": "number", "number": "number"}.get(
        schema.get("type", ""), "text"
    )


def parameter_field(parameter: Parameter, prefill: str = "") -> Field:
    schema = parameter.schema
    default = parameter.default if parameter.default is not MISSING else schema.get("default")
    return Field(
        name=parameter.name,
        location=parameter.location,
        kind=kind_of(schema),
        required=parameter.required,
        value=prefill,
        default=text(default),
        options=tuple(text(v) for v in schema.get("enum", ())),
        explode=parameter.explode,
        minimum=text(schema.get("minimum")),
        maximum=text(schema.get("maximum")),
        step="1" if schema.get("type") == "integer" else "any",
    )


def credential_field(
    credential: CredentialSource, operation: Operation, schemes: Mapping[str, Any]
) -> Field | None:
    """The header the operation's security asks for, prefilled with a throwaway credential."""
    for requirement in operation.security:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http":
                header = "Authorization"
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                header = scheme.get("name", "")
            else:
                continue
            sample_header, sample = credential.sample_header
            value = sample if sample_header.lower() == header.lower() else ""
            return Field(name=header, location="header", kind="text", required=True, value=value)
    return None


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


def quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def curl_line(
    base_url: str, operation: Operation, fields: Sequence[Field], body: BodyForm | None = None
) -> str:
    """The request the untouched form sends (console.js builds the same line as it changes)."""
    path = operation.path
    for field in fields:
        if field.location == "path" and field.value:
            path = path.replace("{" + field.name + "}", quote(field.value, safe=""))
    words = ["curl"] if operation.method == "GET" else ["curl", "-X", operation.method]
    headers = {f.name: f.value for f in fields if f.location == "header" and f.value}
    if body is not None:
        headers["Content-Type"] = "application/json"
    words += [f"-H {quoted(f'{name}: {value}')}" for name, value in headers.items()]
    if body is not None:
        words += ["-d", quoted(body.example if body.raw_first else fields_body(body).decode())]
    return " ".join([*words, quoted(base_url + path)])


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
        fields.append(parameter_field(parameter, prefill))
    credential = credential_field(
        runtime.vendor.credential, operation, runtime.spec.security_schemes
    )
    if credential is not None:
        fields.append(credential)
    body = None if operation.request_body is None else body_form(operation.request_body)
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
        "curl": curl_line(base_url, operation, fields, body),
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


#: Scope key a proxy in front of the control plane sets to its upstream's URL: the page then
#: offers what a proxy does (Try it, the journal), not a mock's scenarios, faults and data.
PROXY_KEY = "mockserver.proxy_upstream"


def console_context(
    runtimes: Mapping[str, ApiRuntime],
    *,
    prefix: str,
    base_url: str,
    seed: int,
    journal_size: int,
    controls: Mapping[str, Any],
    refusal: str | None = None,
    token_required: bool = False,
    proxy: str | None = None,
    clock: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What the page shows; with a ``refusal`` only the reason (and a token prompt). ``clock``
    is the mock clock as ``GET /__mockserver/clock`` says it (a proxy has none)."""
    context: dict[str, Any] = {
        "version": __version__,
        "prefix": prefix,
        "refusal": refusal,
        "token_required": token_required,
        "proxy": proxy,
    }
    if refusal is None:
        faults = controls.get("faults", {})
        context |= {
            "seed": seed,
            "journal_size": journal_size,
            "apis": [api_view(rt, prefix, base_url) for rt in runtimes.values()],
            "scenarios": {
                key: scenario_text(value) for key, value in controls.get("scenarios", {}).items()
            },
            "fault": fault_view(faults.get("global", {})),
            "faults": {key: fault_view(f) for key, f in faults.get("operations", {}).items()},
            "no_fault": fault_view({}),
            "base_url": base_url,
            "clock": clock_view(clock),
        }
    return context


def clock_view(clock: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The clock to the second, and what console.js needs to keep it ticking."""
    if clock is None:
        return None
    now, offset = str(clock["now"]), float(clock["offset_seconds"])
    return {
        "now": now[:19] + "Z" if now.endswith("Z") and len(now) > 19 else now,
        "iso": now,
        "frozen": "true" if clock["frozen"] else "false",
        "mode": clock_mode(bool(clock["frozen"]), offset),
    }


def clock_mode(frozen: bool, offset: float) -> str:
    """``frozen``, ``real time`` or ``real time +3600 s`` (as console.js says it)."""
    if frozen:
        return "frozen"
    return f"real time {round(offset):+d} s" if round(offset) else "real time"


#: Templates the page is made of: ``?part=data`` renders the Data section's inventory alone
#: (console.js swaps it in after a write).
PARTS = {"data": "inventory.html"}


def render_console(context: Mapping[str, Any], part: str | None = None) -> str:
    name = PARTS.get(part or "", "index.html") if context["refusal"] is None else "index.html"
    return environment().get_template(name).render(context)


def index_page(target: ControlTarget, request: Request, *, token_required: bool) -> str:
    proxy = request.scope.get(PROXY_KEY)
    refusal = request.scope.get(REFUSAL_KEY)
    return render_console(
        console_context(
            target.runtimes,
            prefix=request.scope.get("root_path", "").rstrip("/"),
            base_url=str(request.base_url).rstrip("/"),
            seed=target.seed,
            journal_size=target.state.journal.size,
            controls={"scenarios": actions.scenarios(target), "faults": actions.faults(target)},
            refusal=refusal,
            token_required=token_required,
            proxy=proxy,
            clock=None if proxy or refusal else actions.clock(target),
        ),
        request.query_params.get("part"),
    )
