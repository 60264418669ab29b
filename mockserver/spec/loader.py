"""Load an OpenAPI 3.1 document into the operation model, its ``$ref``s resolved once here so
everything downstream works on plain dictionaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockserver.errors import SpecError
from mockserver.serialize import read_yaml_file
from mockserver.spec.dependencies import parse_dependencies
from mockserver.spec.model import (
    MISSING,
    ApiSpec,
    HeaderSpec,
    MediaSpec,
    Operation,
    Parameter,
    RequestBody,
    ResponseSpec,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Default serialization style per location (OpenAPI 3.1, 4.8.12.4).
DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}

#: Header parameters OpenAPI says to ignore: they are governed by other fields.
IGNORED_HEADERS = {"accept", "content-type", "authorization"}


def read_document(path: Path) -> dict[str, Any]:
    document = read_yaml_file(path)
    if not isinstance(document, dict) or "openapi" not in document:
        raise SpecError(f"{path}: not an OpenAPI document")
    return document


def resolve(
    node: Any,
    document: dict[str, Any],
    _seen: tuple[str, ...] = (),
    targets: dict[str, Any] | None = None,
) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (sibling keywords, allowed in
    3.1, override the target's). ``targets``: each ``$ref``'s target once resolved, shared by
    every later use (a spec names the same schemas from most operations: start-up resolves each
    once)."""
    if isinstance(node, list):
        return [resolve(item, document, _seen, targets) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in _seen:
            raise SpecError(f"recursive $ref {ref!r} is not supported")
        found = targets.get(ref) if targets is not None else None
        if found is None:
            found = resolve(_pointer(document, ref), document, (*_seen, ref), targets)
            if targets is not None:
                targets[ref] = found
        merged = dict(found)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        merged.update(resolve(siblings, document, _seen, targets))
        return merged
    return {key: resolve(value, document, _seen, targets) for key, value in node.items()}


def _pointer(document: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise SpecError(f"only local references are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[part]
        except (KeyError, TypeError):
            raise SpecError(f"unresolvable $ref {ref!r}") from None
    return node


def _parameter(raw: dict[str, Any]) -> Parameter:
    location = raw["in"]
    schema = raw.get("schema", {})
    style = raw.get("style", DEFAULT_STYLE[location])
    return Parameter(
        name=raw["name"],
        location=location,
        required=bool(raw.get("required", location == "path")),
        schema=schema,
        style=style,
        explode=bool(raw.get("explode", style == "form")),
        default=schema.get("default", MISSING),
    )


def _named_examples(media: dict[str, Any]) -> dict[str, Any]:
    """A media type's ``examples`` by name, their values only."""
    return {
        name: example["value"]
        for name, example in (media.get("examples") or {}).items()
        if isinstance(example, dict) and "value" in example
    }


def _response(status: str, raw: dict[str, Any]) -> ResponseSpec:
    content = {
        media: MediaSpec(
            schema=body.get("schema"),
            # Documentation-only examples (``x-documented-examples``) are never read: served
            # examples are the named ``examples``, as in Prism.
            examples=_named_examples(body),
        )
        for media, body in (raw.get("content") or {}).items()
    }
    headers = tuple(
        HeaderSpec(name=name, required=bool(spec.get("required")), schema=spec.get("schema", {}))
        for name, spec in (raw.get("headers") or {}).items()
    )
    return ResponseSpec(status=status, content=content, headers=headers)


def _request_body(
    raw: dict[str, Any] | None, document: dict[str, Any], targets: dict[str, Any]
) -> RequestBody | None:
    """An ``application/json`` request body (``$ref`` resolved), else ``None``."""
    if not raw:
        return None
    raw = resolve(raw, document, targets=targets)
    media = (raw.get("content") or {}).get("application/json")
    if media is None:
        return None
    examples = _named_examples(media)
    if "example" in media:
        examples.setdefault("example", media["example"])
    return RequestBody(
        schema=media.get("schema") or {}, required=bool(raw.get("required")), examples=examples
    )


def _operations(api: str, document: dict[str, Any]) -> list[Operation]:
    operations = []
    targets: dict[str, Any] = {}
    default_security = tuple(document.get("security", ()))
    default_scopes = document.get("x-scopes", ())
    for path, item in (document.get("paths") or {}).items():
        item = resolve(item, document, targets=targets)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            by_key = {(p["in"], p["name"]): p for p in (*shared, *raw.get("parameters", []))}
            parameters = tuple(
                _parameter(p)
                for (location, name), p in by_key.items()
                if not (location == "header" and name.lower() in IGNORED_HEADERS)
            )
            operation_id = raw.get("operationId") or f"{method}_{path}"
            operations.append(
                Operation(
                    api=api,
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    parameters=parameters,
                    responses={
                        str(code): _response(str(code), body)
                        for code, body in raw.get("responses", {}).items()
                    },
                    security=tuple(raw.get("security", default_security)),
                    summary=raw.get("summary", ""),
                    scopes=tuple(raw.get("x-scopes", default_scopes)),
                    request_body=_request_body(raw.get("requestBody"), document, targets),
                    max_body=raw.get("x-max-body-bytes"),
                    dependencies=parse_dependencies(
                        raw.get("x-dependencies"),
                        f"{api}: {operation_id}",
                        [name for _, name in by_key],
                    ),
                )
            )
    return operations


def load_spec(api: str, path: Path) -> ApiSpec:
    document = read_document(path)
    info = document.get("info", {})
    components = resolve(document.get("components", {}), document)
    return ApiSpec(
        name=api,
        title=info.get("title", api),
        version=info.get("version", ""),
        document=document,
        operations=tuple(_operations(api, document)),
        security_schemes=components.get("securitySchemes", {}),
        source=str(path),
    )
