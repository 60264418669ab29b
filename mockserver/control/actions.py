"""What the control plane does to a running mock: the HTTP control API and the pytest fixture
call these same functions over the same :class:`ControlTarget`, so both validate alike."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from mockserver.budget import Budget, running
from mockserver.control.guard import YAML_TYPES
from mockserver.errors import ControlError, DataError, InvalidDocument, LimitError
from mockserver.journal.masking import Masker
from mockserver.journal.record import Entry, Filter, read
from mockserver.limits import LoadLimits
from mockserver.numbers import parse_int
from mockserver.params.errors import describe
from mockserver.progress import REPORTER
from mockserver.reality.cassette import parse_cassette
from mockserver.runtime import ApiRuntime
from mockserver.scenarios.prefer import parse_bool, parse_code
from mockserver.scenarios.responder import Responder
from mockserver.serialize import load_yaml
from mockserver.state.base import State
from mockserver.state.clock import clock_entry
from mockserver.state.ledger import WriteRefused
from mockserver.state.values import Fault, OperationKey, Preference, Scenario

if TYPE_CHECKING:
    from mockserver.reality.replay import Replays

SCENARIO_FIELDS = {"code", "example", "dynamic", "times"}
#: Bytes of cassette read and checked per second (4 MB: ~0.12 s): past ~1 s, progress shows.
CASSETTE_BYTES_PER_SECOND = 30_000_000
OVERTAKEN = "a newer data load or a reset began while this one was built; nothing was changed"


@dataclass(frozen=True)
class ControlTarget:
    """What the control plane acts on, handed in by the app that owns it."""

    runtimes: Mapping[str, ApiRuntime]
    #: The forced-answer builder of each operation: scenarios are checked against it.
    responders: Mapping[OperationKey, Responder]
    state: State
    masker: Masker
    seed: int = 0
    #: Recorded exchanges answered before any behaviour (``serve --replay``, cassette loads).
    replays: Replays | None = None
    #: What one data load may cost (``--max-load-bytes``, ``--load-timeout``).
    limits: LoadLimits = field(default_factory=LoadLimits)
    #: ``mockserver proxy``'s upstream (a password masked): the console then offers what a
    #: proxy does (Try it, the journal), not a mock's scenarios, faults and data.
    proxy_upstream: str | None = None
    #: The budget of the newest load in progress per API: a newer load or a reset cancels it
    #: (it could not land anyway), so overtaken loads stop spending CPU.
    loads: dict[str, Budget] = field(default_factory=dict, compare=False, repr=False)


def runtime_of(target: ControlTarget, api: str) -> ApiRuntime:
    runtime = target.runtimes.get(api)
    if runtime is None:
        served = ", ".join(target.runtimes)
        raise ControlError(f"unknown api {api!r}; served: {served}", status=404)
    return runtime


def operation_key(target: ControlTarget, api: str, operation_id: str) -> OperationKey:
    runtime_of(target, api)
    if (api, operation_id) not in target.responders:
        known = ", ".join(op for a, op in target.responders if a == api)
        raise ControlError(f"unknown {api} operation {operation_id!r}; known: {known}", status=404)
    return (api, operation_id)


def journal(
    target: ControlTarget,
    where: Filter | None = None,
    *,
    since: int = 0,
    limit: int | None = None,
) -> list[Entry]:
    """The journal (oldest first), decoded and masked: entries after ``since`` (a poller's
    cursor), the newest ``limit`` of them, chosen before decoding so a poll stays cheap."""
    return read(target.state.journal.records(since), target.masker, where, limit)


def parse_document(
    body: bytes, content_type: str = "", load: Callable[[bytes], Any] = load_yaml
) -> Any:
    """A fixtures document from JSON or YAML bytes; YAML is read by ``load`` (the one safe
    loader, in a child process for HTTP loads), which refuses alias bombs (413)."""
    media = content_type.split(";")[0].strip().lower()
    if not body.strip():
        raise ControlError("the document is empty")
    try:
        if media.endswith("json"):
            return orjson.loads(body)
        if media in YAML_TYPES or body.lstrip()[:1] not in (b"{", b"["):
            return load(body)
        return orjson.loads(body)
    except LimitError as exc:
        raise past_limit("the document", exc) from None
    except (orjson.JSONDecodeError, InvalidDocument, UnicodeDecodeError) as exc:
        raise ControlError("the document is not valid JSON or YAML", [str(exc)]) from None


def past_limit(what: str, exc: LimitError) -> ControlError:
    """A limit a load ran into, as the control API answers it (413 or 408, naming the limit)."""
    return ControlError(
        f"{what} is past a limit ({exc.limit}); nothing was changed",
        exc.reasons,
        status=exc.status,
        limit=exc.limit,
    )


def begin_load(target: ControlTarget, api: str) -> int:
    """Number the next data version of ``api`` (in arrival order): whatever begins after it -
    a reset, a newer load - wins over it."""
    runtime_of(target, api)
    return target.state.data.begin(api)


def build_load(
    target: ControlTarget, api: str, version: int, document: Any, budget: Budget | None = None
) -> Callable[[], int]:
    """Build data ``version`` from ``document`` under ``budget``; return what lands it, only if
    no newer version began and the budget was not cancelled (checked and sealed together), else
    409. Invalid data is a ControlError 400; past a limit or out of time, 413/408."""
    runtime = runtime_of(target, api)
    if document is None:
        raise ControlError("the document is empty")
    budget = budget or Budget(None)
    try:
        with running(budget):
            budget.check()  # a parse (libyaml cannot be stopped inside) may have used it up
            backend = runtime.build(document)
            budget.check()
    except LimitError as exc:
        raise past_limit(f"{api} data", exc) from None
    except DataError as exc:
        raise ControlError(f"invalid {api} data; nothing was changed", exc.reasons) from None

    def land() -> int:
        if not budget.seal():
            budget.check()  # raises: cancelled
        if not target.state.data.commit(api, version, document):
            raise ControlError(OVERTAKEN, status=409)
        runtime.install(backend, version)
        return version

    return land


def load_data(target: ControlTarget, api: str, document: Any) -> int:
    """Replace an API's data; returns the new data version. Only a :class:`DataError` is the
    document's fault (ControlError 400, nothing changed); anything else is a bug (a logged 500)."""
    version = begin_load(target, api)
    return build_load(target, api, version, document)()


def reset(target: ControlTarget) -> None:
    """Every API's data back to the start-up version; journal, scenarios, faults, rate-limit
    windows and the write log (created segments, refresh counts, the mock clock) cleared."""
    for api, runtime in target.runtimes.items():
        version = target.state.data.begin(api)
        overtaken = target.loads.pop(api, None)
        if overtaken is not None:
            overtaken.cancel("a reset began after it")
        target.state.data.commit(api, version, None)
        runtime.install(runtime.seed_backend, version)
    if target.replays is not None:
        target.replays.reset()
    clear_state(target)
    target.state.windows.clear()
    target.state.writes.clear()


def clock(target: ControlTarget) -> dict[str, Any]:
    """The mock clock as every replica sees it: ``now``, ``frozen``, ``offset_seconds``."""
    target.state.writes.sync()
    return target.state.writes.clock.describe()


def set_clock(target: ControlTarget, body: Any) -> dict[str, Any]:
    """Move the mock clock: ``{"advance": "PT1H"}`` (ISO-8601 duration), ``{"now": "2026-01-01
    T00:00:00Z"}`` (frozen there) or ``{"real": true}``; an entry of the write log, so every
    replica moves with it. Returns the clock afterwards."""
    if not isinstance(body, dict):
        raise ControlError('the clock takes a JSON object such as {"advance": "PT1H"}')
    entry = clock_entry(body)
    target.state.writes.sync()
    target.state.writes.clock.check(entry)
    try:
        target.state.writes.write(entry)
    except WriteRefused as refused:
        raise ControlError(str(refused), status=refused.status) from None
    return clock(target)


def clear_state(target: ControlTarget) -> None:
    """Journal, scenarios and faults cleared; the data in service is left as it is."""
    target.state.overrides.reset()
    target.state.journal.clear()


def replays_of(target: ControlTarget) -> Replays:
    if target.replays is None:
        raise ControlError("this server replays no cassettes", status=404)
    return target.replays


def load_cassette(target: ControlTarget, body: bytes) -> dict[str, Any]:
    """Serve exactly this cassette's exchanges from now on; a malformed or spec-violating
    cassette raises ControlError (400, each line and reason) and changes nothing."""
    replays = replays_of(target)
    if not body.strip():
        raise ControlError("the cassette is empty; send JSON Lines, one exchange per line")
    try:
        with REPORTER.task("cassette load", len(body) / CASSETTE_BYTES_PER_SECOND) as task:
            exchanges = parse_cassette(body, "cassette", replays.checks)
            task.finish(f"{len(exchanges):,} exchanges", verb="checked")
    except DataError as exc:
        raise ControlError("invalid cassette; nothing was changed", exc.reasons) from None
    replays.install(exchanges)
    return replays.describe()


def scenario_from(responder: Responder, body: Any) -> Scenario:
    """Validate a scenario document completely against the operation it targets."""
    if not isinstance(body, Mapping):
        raise ControlError('a scenario is a JSON object: {"code": 404, "times": 1}')
    reasons = [f"unknown field {name!r}" for name in sorted(set(body) - SCENARIO_FIELDS)]

    def read(name: str, parse: Callable[[Any], Any], problem: str) -> Any:
        """The field parsed (``None``: absent or null), or ``None`` and its problem noted."""
        value = body.get(name)
        parsed = None if value is None else parse(value)
        if value is not None and parsed is None:
            reasons.append(problem)
        return parsed

    code = read("code", _code, "code must be an HTTP status code (100-599)")
    example = read("example", _text, "example must be a non-empty string")
    dynamic = read("dynamic", _flag, "dynamic must be true or false")
    times = read("times", _times, "times must be a positive integer (omit it: until cleared)")
    preference = Preference(code, example, bool(dynamic))
    if not reasons and preference.empty:
        reasons.append("a scenario needs code, example or dynamic")
    if not reasons and (problem := responder.check(preference)) is not None:
        reasons.append(describe(problem))
    if reasons:
        raise ControlError("invalid scenario; nothing was changed", reasons)
    return Scenario(preference, times)


def _code(value: Any) -> int | None:
    return parse_code(str(value)) if isinstance(value, int | str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else parse_bool(str(value))


def _times(value: Any) -> int | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = parse_int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def set_scenario(target: ControlTarget, api: str, operation_id: str, body: Any) -> Scenario:
    key = operation_key(target, api, operation_id)
    scenario = scenario_from(target.responders[key], body)
    target.state.overrides.set_scenario(key, scenario)
    return scenario


def clear_scenario(target: ControlTarget, api: str, operation_id: str) -> bool:
    return target.state.overrides.clear_scenario(operation_key(target, api, operation_id))


def scenarios(target: ControlTarget) -> dict[str, dict[str, Any]]:
    found = target.state.overrides.scenarios()
    return {f"{api}/{op}": scenario.as_dict() for (api, op), scenario in found.items()}


def _fault_key(target: ControlTarget, api: str | None, operation_id: str | None):
    if api is None and operation_id is None:
        return None
    return operation_key(target, api or "", operation_id or "")


def set_fault(
    target: ControlTarget, body: Any, api: str | None = None, operation_id: str | None = None
) -> Fault:
    """Latency and/or error rate, globally (no api/operation) or for one operation."""
    key = _fault_key(target, api, operation_id)
    try:
        fault = Fault.from_json(body)
    except ValueError as exc:
        raise ControlError("invalid fault; nothing was changed", [str(exc)]) from None
    target.state.overrides.set_fault(key, fault)
    return fault


def clear_fault(
    target: ControlTarget, api: str | None = None, operation_id: str | None = None
) -> bool:
    return target.state.overrides.clear_fault(_fault_key(target, api, operation_id))


def fault_for(target: ControlTarget, api: str, operation_id: str) -> Fault:
    return target.state.overrides.fault_for(operation_key(target, api, operation_id))


def faults(target: ControlTarget) -> dict[str, Any]:
    overrides = target.state.overrides
    return {
        "global": overrides.global_fault().as_dict(),
        "operations": {
            f"{api}/{op}": fault.as_dict()
            for (api, op), fault in overrides.operation_faults().items()
        },
    }
