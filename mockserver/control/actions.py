"""What the control plane does to a running mock: reset, load data, set scenarios.

Shared by the HTTP control API and the pytest fixture so both behave the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from mockserver.params.errors import describe
from mockserver.scenarios import Preference, Scenario
from mockserver.scenarios.prefer import parse_bool, parse_code
from mockserver.serialize import load_yaml

if TYPE_CHECKING:
    from mockserver.app import MockServer
    from mockserver.behaviour.contract import Backend
    from mockserver.pipeline import OperationPipeline

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
SCENARIO_FIELDS = {"code", "example", "dynamic", "times"}


class ControlError(ValueError):
    """A refused control request: ``status`` and the reasons, all of them."""

    def __init__(self, message: str, reasons: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.reasons = reasons or [message]
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.message, "reasons": self.reasons}


def parse_document(body: bytes, content_type: str = "") -> Any:
    """A fixtures document from JSON or YAML bytes (YAML unless the type says JSON)."""
    media = content_type.split(";")[0].strip().lower()
    if not body.strip():
        raise ControlError("the document is empty")
    try:
        if media.endswith("json"):
            return orjson.loads(body)
        if media in YAML_TYPES or body.lstrip()[:1] not in (b"{", b"["):
            return load_yaml(body)
        return orjson.loads(body)
    except (orjson.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ControlError("the document is not valid JSON or YAML", [str(exc)]) from None


def _reasons(exc: BaseException) -> list[str]:
    """Every reason an exception carries: a ``reasons``/``errors`` list, else its message."""
    for attr in ("reasons", "errors"):
        found = getattr(exc, attr, None)
        if isinstance(found, list | tuple) and found:
            return [str(reason) for reason in found]
    text = str(exc) or type(exc).__name__
    return [line for line in text.splitlines() if line.strip()] or [text]


def runtime_of(server: MockServer, api: str):
    runtime = server.runtimes.get(api)
    if runtime is None:
        served = ", ".join(server.runtimes)
        raise ControlError(f"unknown api {api!r}; served: {served}", status=404)
    return runtime


def load_data(server: MockServer, api: str, document: Any) -> None:
    """Replace an API's data; on any problem raise ControlError and change nothing."""
    runtime = runtime_of(server, api)
    if document is None:
        raise ControlError("the document is empty")
    try:
        backend = runtime.verify(runtime.vendor.build(runtime.options, data=document))
    except Exception as exc:
        raise ControlError(f"invalid {api} data; nothing was changed", _reasons(exc)) from None
    runtime.replace_backend(backend)


def seed_backend(server: MockServer, api: str) -> Backend:
    """The start-up data with fresh request-time state: ``fresh()`` if offered, else rebuilt."""
    seed = server.seed_backends[api]
    fresh = getattr(seed, "fresh", None)
    if callable(fresh):
        return fresh()
    runtime = server.runtimes[api]
    return runtime.vendor.build(runtime.options)


def reset(server: MockServer) -> None:
    """Journal cleared, every API's data back to the seed state, scenarios and faults cleared."""
    backends = {api: seed_backend(server, api) for api in server.runtimes}
    for api, backend in backends.items():
        server.runtimes[api].replace_backend(backend)
    server.controls.reset()
    server.journal.clear()


def clear_controls(server: MockServer) -> None:
    """Journal, scenarios and faults cleared; the data in service is left as it is."""
    server.controls.reset()
    server.journal.clear()


def pipeline_of(server: MockServer, api: str, operation_id: str) -> OperationPipeline:
    runtime_of(server, api)
    pipeline = server.pipelines.get((api, operation_id))
    if pipeline is None:
        known = ", ".join(op for a, op in server.pipelines if a == api)
        raise ControlError(f"unknown {api} operation {operation_id!r}; known: {known}", status=404)
    return pipeline


def scenario_from(pipeline: OperationPipeline, body: Any) -> Scenario:
    """Validate a scenario document completely against the operation it targets."""
    if not isinstance(body, Mapping):
        raise ControlError('a scenario is a JSON object: {"code": 404, "times": 1}')
    reasons = [f"unknown field {name!r}" for name in sorted(set(body) - SCENARIO_FIELDS)]
    code = body.get("code")
    if code is not None:
        code = parse_code(str(code)) if isinstance(code, int | str) else None
        if code is None:
            reasons.append("code must be an HTTP status code (100-599)")
    example = body.get("example")
    if example is not None and (not isinstance(example, str) or not example):
        reasons.append("example must be a non-empty string")
        example = None
    dynamic = body.get("dynamic", False)
    if not isinstance(dynamic, bool):
        dynamic = parse_bool(str(dynamic))
        if dynamic is None:
            reasons.append("dynamic must be true or false")
    times = body.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        reasons.append("times must be a positive integer (omit it: until cleared)")
    preference = Preference(code, example, bool(dynamic))
    if not reasons and preference.empty:
        reasons.append("a scenario needs code, example or dynamic")
    if not reasons:
        problem = pipeline.responder.check(preference)
        if problem is not None:
            reasons.append(describe(problem))
    if reasons:
        raise ControlError("invalid scenario; nothing was changed", reasons)
    return Scenario(preference, times)


def set_scenario(server: MockServer, api: str, operation_id: str, body: Any) -> Scenario:
    pipeline = pipeline_of(server, api, operation_id)
    scenario = scenario_from(pipeline, body)
    server.controls.set_scenario(pipeline.key, scenario)
    return scenario
