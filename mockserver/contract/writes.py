"""Write operations in a contract run: which run (docs/CONTRACT.md, "Write operations"), and
Schemathesis' public hooks on this run's schema only, which keep them to what the run made."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mockserver.contract.bodies import NAME, Names, Shaper, prefix
from mockserver.contract.created import Created, Send, delete_routes
from mockserver.spec.model import ApiSpec, Operation

if TYPE_CHECKING:
    from mockserver.contract.options import ContractOptions

#: Methods that change nothing (RFC 9110 9.2.1): the others are writes.
SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_write(op: Operation) -> bool:
    return op.method.upper() not in SAFE_METHODS


def allowed(options: ContractOptions) -> bool:
    """Writes run against the bundled mock, and against a deployment with ``--allow-writes``."""
    return options.bundled or options.allow_writes


#: The spec extension on a write whose effect a run cannot limit to what it made (its value says
#: why): never sent to a deployment, even with ``--allow-writes``.
UNSAFE = "x-unsafe-on-deployment"


def unsafe_on_deployment(spec: ApiSpec) -> dict[str, str]:
    """operationId -> why it is never sent to a deployment."""
    return {
        operation["operationId"]: " ".join(str(operation[UNSAFE]).split())
        for item in spec.document.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict) and UNSAFE in operation
    }


def excluded(options: ContractOptions, spec: ApiSpec) -> tuple[Operation, ...]:
    """The operations a run leaves out: every write, unless :func:`allowed`; against a
    deployment, writes the spec marks unsafe there, always."""
    if options.bundled:
        return ()
    if not options.allow_writes:
        return tuple(op for op in spec.operations if is_write(op))
    unsafe = unsafe_on_deployment(spec)
    return tuple(op for op in spec.operations if op.operation_id in unsafe)


def stateful_settings(options: ContractOptions, spec: ApiSpec) -> dict[str, Any]:
    """The stateful phase follows the links a spec declares between the operations that run, and
    only those: links Schemathesis infers (a list's ids into a DELETE) would write to what the run
    did not create, and would crowd out the declared chains (create -> get -> update -> refresh
    -> delete). Without such links (the writes left out) it infers chains of reads."""
    running = {op.operation_id for op in spec.operations if op not in excluded(options, spec)}
    declared = any(
        operation.get("operationId") in running and link.get("operationId") in running
        for item in spec.document.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in (operation.get("responses") or {}).values()
        if isinstance(response, dict)
        for link in (response.get("links") or {}).values()
    )
    return {"inference": {"algorithms": []}} if declared else {}


def describe(options: ContractOptions, spec: ApiSpec) -> str:
    """The ``writes:`` line of the settings."""
    writes = [op for op in spec.operations if is_write(op)]
    if not writes:
        return "none (the spec has no write operations)"
    if not allowed(options):
        return f"{len(writes)} left out (against --base-url they run only with --allow-writes)"
    seed = options.seed if options.seed is not None else "<seed>"
    made = "--allow-writes" if not options.bundled else "the bundled mock's own state"
    left_out = excluded(options, spec)
    never = f", {len(left_out)} never sent to a deployment" if left_out else ""
    return (
        f"{len(writes) - len(left_out)} run ({made}){never}; names start with {prefix(seed)}; "
        "what the run creates is deleted through the spec's DELETE, even when a check fails"
    )


def install(schema: Any, spec: ApiSpec, created: Created, names: Names, seed: int, guard: bool):
    """Register the write hooks on ``schema``: bodies shaped, an id the run did not create
    replaced by a fresh one (answered 404), every answer to ``created``; ``guard``: a
    deployment's, where a create whose ``name`` cannot carry the run's prefix is not sent."""
    from schemathesis import GenerationMode

    rng = random.Random(seed)
    shapers = {
        (op.method, op.path): Shaper(op, names, rng) for op in spec.operations if is_write(op)
    }

    def key(case: Any) -> tuple[str, str]:
        return case.operation.method.upper(), case.operation.path

    def filter_case(context: Any, case: Any) -> bool:
        # Checked before map_case, which prefixes every non-empty string name.
        if not guard or not created.is_create(*key(case)):
            return True
        name = case.body.get(NAME) if isinstance(case.body, dict) else None
        return isinstance(name, str) and bool(name)

    def map_case(context: Any, case: Any) -> Any:
        shaper = shapers.get(key(case))
        if shaper is None:
            return case
        meta = case.meta
        positive = meta is None or meta.generation.mode == GenerationMode.POSITIVE
        case.body = shaper(case.body, positive)
        for name, value in list((case.path_parameters or {}).items()):
            if created.foreign(value):
                case.path_parameters[name] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return case

    schema.hook(filter_case)
    schema.hook(map_case)

    @schema.hook
    def before_add_examples(context: Any, examples: list[Any]) -> None:
        # The spec's own examples are not generated: no filter_case or map_case for them.
        examples[:] = [map_case(context, case) for case in examples if filter_case(context, case)]

    @schema.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        observe(created, case, response)


def observe(created: Created, case: Any, response: Any) -> None:
    """One answer of the run, to :meth:`Created.observe`."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:  # not JSON: nothing to track
        body = None
    targets = [v for v in (case.path_parameters or {}).values() if isinstance(v, str)]
    created.observe(case.operation.method, case.operation.path, response.status_code, body, targets)


def prepare(
    options: ContractOptions,
    spec: ApiSpec,
    schema: Any,
    seed: int,
    send: Send,
    log: Callable[[str], None],
) -> tuple[Any, Created | None]:
    """``schema`` without the writes that do not run, or with the write hooks; and what they
    track (``None``: the run sends no writes), told every answer (:func:`observe`) and, when the
    run ends whatever happened, to :meth:`Created.finish`."""
    left_out = [op.operation_id for op in excluded(options, spec)]
    if left_out:
        schema = schema.exclude(operation_id=left_out)
    if not allowed(options) or not any(is_write(op) for op in spec.operations):
        return schema, None
    names = Names(seed)
    routes = delete_routes(spec)
    created = Created(routes, send, log, prefix=names.prefix, verbose=not options.bundled)
    install(schema, spec, created, names, seed, guard=not options.bundled)
    return schema, created
