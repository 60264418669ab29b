"""Schemathesis engine events as a plain result: per operation, what was tried and failed (only
this module and ``runner.py`` know Schemathesis' event and recorder types)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.options import PHASES

#: Bytes of a response body kept for the report.
EXCERPT_BYTES = 600
SKIP_REASONS = {"not_applicable": "not applicable: the spec links no operations"}
#: Timeouts without a byte of answer, before any request had one, after which the run stops:
#: a server that accepts connections and never answers is told in seconds, not minutes.
SILENT_TIMEOUTS = 3
#: Checks reported under the name ``--checks`` selects them by (the consumer-tolerant judge of
#: ``contract/tolerant.py`` stands in for Schemathesis' own schema check).
SHOWN_CHECKS = {"tolerant_schema_conformance": "response_schema_conformance"}
#: Array positions in a JSON pointer: ``/items/3/pages`` and ``/items/0/pages`` are one finding.
ARRAY_INDEX = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class Failure:
    operation: str
    check: str
    title: str
    message: str
    phase: str
    #: A curl line that reproduces the failing request (masked by the report).
    curl: str
    status: int | None = None
    media_type: str | None = None
    excerpt: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """Failures repeated across examples and phases are reported once."""
        return (self.operation, self.check, self.title)


@dataclass(frozen=True)
class ContractWarning:
    """An additive change a consumer survives: at ``where`` ``body`` (``path`` a JSON pointer,
    array positions as ``*``) or ``header`` (``path`` its name)."""

    operation: str
    status: int
    where: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.where} {self.path or '<body>'}: {self.message}"


@dataclass
class OperationResult:
    label: str
    requests: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    #: How often each reported failure was seen, by :attr:`Failure.key`.
    seen: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    #: Additive changes (against a real deployment, unless ``--strict``), with how often seen.
    warnings: Counter[ContractWarning] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def add(self, failure: Failure) -> bool:
        """Count ``failure``; ``True`` the first time (repeats are reported once)."""
        self.seen[failure.key] += 1
        if self.seen[failure.key] > 1:
            return False
        self.failures.append(failure)
        return True


@dataclass
class RunResult:
    api: str
    base_url: str
    target: str
    seed: int | None
    operations: dict[str, OperationResult] = field(default_factory=dict)
    #: Problems that are not check failures (unreachable server, schema errors), with counts.
    errors: Counter[str] = field(default_factory=Counter)
    #: Worth knowing, not a failure: a phase that had nothing to do.
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    stop_reason: str = "completed"

    def operation(self, label: str) -> OperationResult:
        return self.operations.setdefault(label, OperationResult(label))

    @property
    def failures(self) -> list[Failure]:
        return [failure for op in self.operations.values() for failure in op.failures]

    @property
    def requests(self) -> int:
        return sum(op.total for op in self.operations.values())

    @property
    def warnings(self) -> list[ContractWarning]:
        return [warning for op in self.operations.values() for warning in op.warnings]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors


def _excerpt(response: Any) -> tuple[int | None, str | None, str]:
    if response is None:
        return None, None, ""
    media = (response.headers.get("content-type") or [None])[0]
    body = response.content[:EXCERPT_BYTES].decode("utf-8", "replace")
    if len(response.content) > EXCERPT_BYTES:
        body += f"... ({len(response.content)} bytes)"
    return response.status_code, media, body


class Collector:
    """Feed it engine events; it keeps a :class:`RunResult` and tells ``on_progress`` as it goes."""

    def __init__(
        self,
        result: RunResult,
        on_progress: Callable[[str], None],
        request_timeout: float,
        on_answer: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self.result = result
        self.on_progress = on_progress
        self.request_timeout = request_timeout
        #: Told ``(case, response)`` of every answered request of a finished scenario, a
        #: check's own included (``ignored_auth`` creates without a credential, no hook sees it).
        self.on_answer = on_answer
        self._stateful = Counter[str]()
        #: The network failure (its title) each operation met in its current scenario.
        self._network_failures: dict[str, str] = {}
        #: Some request had an answer; until then, the timeouts without one.
        self._answered = False
        self._silent = 0
        #: Why the runner stops instead of trying every example (``None``: it goes on).
        self.stop_reason: str | None = None

    def feed(self, event: Any) -> None:
        from requests import ConnectionError
        from schemathesis.engine import events

        if isinstance(event, events.ScenarioFinished):
            self._scenario(event)
        elif isinstance(event, events.PhaseFinished):
            self._phase(event.phase)
        elif isinstance(event, events.NonFatalError):
            if self._network(event):
                return
            if isinstance(event.value, ConnectionError):
                if self.stop_reason is None:  # once: the engine may meet it again as it stops
                    self.stop_reason = "server unreachable"
                    message = f"cannot reach {self.result.base_url}: {event.info.message}"
                    self.result.errors[message] += 1
            else:
                self.result.errors[f"{event.label}: {event.info.title}: {event.info.message}"] += 1
        elif isinstance(event, events.FatalError):
            self.result.errors[f"fatal: {type(event.exception).__name__}: {event.exception}"] += 1
        elif isinstance(event, events.EngineFinished):
            self.result.elapsed = event.running_time
            self.result.stop_reason = event.stop_reason.value

    def _network(self, event: Any) -> bool:
        """A timeout, a reset, bytes that are not HTTP: a failure of the operation that met it
        (``bounds.network_failure``), reported under its name. ``False``: not one of those."""
        from mockserver.contract.bounds import network_failure

        found = network_failure(event.value, self.request_timeout)
        if found is None or found.unreachable or not event.related_to_operation:
            return False
        if found.silent and not self._answered:
            self._silent += 1
            if self._silent >= SILENT_TIMEOUTS and self.stop_reason is None:
                self.stop_reason = "no answer"
                self.result.errors[
                    f"no answer from {self.result.base_url}: {self._silent} requests in a row "
                    f"had not a byte of answer within {self.request_timeout:g} s"
                ] += 1
        phase = event.phase.value if event.phase is not None else "run"
        failure = Failure(
            operation=event.label,
            check="network",
            title=found.title,
            message=found.message,
            phase=phase,
            # (Schemathesis < 4.31 has no reproduction for a network failure)
            curl=getattr(event.info, "code_sample", None) or "",
        )
        self.result.operation(event.label).add(failure)
        self._network_failures[event.label] = found.title
        return True

    def _phase(self, phase: Any) -> None:
        name, reason = phase.name.value, phase.skip_reason
        if name not in PHASES:
            return
        if reason is not None and reason.value != "disabled":
            why = SKIP_REASONS.get(reason.value, reason.display)
            self.result.notes.append(f"{name} phase skipped: {why}")
            self.on_progress(f"  {name:<10} skipped ({why})")
        elif name == "stateful" and self._stateful:
            per_op = ", ".join(f"{label} {n}" for label, n in sorted(self._stateful.items()))
            self.on_progress(f"  stateful   {sum(self._stateful.values())} requests ({per_op})")

    def _scenario(self, event: Any) -> None:
        phase = event.phase.value
        recorder = event.recorder
        tried = Counter[str]()
        for case_id, node in recorder.cases.items():
            if case_id in recorder.interactions:
                tried[node.value.operation.label] += 1
        for label, count in tried.items():
            self.result.operation(label).requests[phase] += count
        if event.skip_reason and phase != "stateful":
            self.result.operation(recorder.label).skipped.append(f"{phase}: {event.skip_reason}")
        found = self._failures(phase, recorder)
        if phase == "stateful":
            self._stateful.update(tried)
        else:
            label = recorder.label
            verdict = f"{len(found)} failing check(s)" if found else "ok"
            network = self._network_failures.pop(label, None)
            if network is not None:
                verdict = f"FAILED ({network})"
            elif event.status.value == "error":
                verdict = "error (see below)"
            if event.skip_reason:
                verdict = f"skipped ({event.skip_reason})"
            self.on_progress(f"  {phase:<10} {label}: {tried.get(label, 0)} requests, {verdict}")
        for case_id, interaction in recorder.interactions.items():
            node = recorder.cases.get(case_id)
            if interaction.response is not None:
                self._answered = True
                if node is not None and self.on_answer is not None:
                    self.on_answer(node.value, interaction.response)

    def _failures(self, phase: str, recorder: Any) -> list[Failure]:
        found = []
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                source_id = failure.case_id or case_id
                node = recorder.cases.get(source_id) or recorder.cases[case_id]
                interaction = recorder.interactions.get(source_id)
                status, media, excerpt = _excerpt(interaction and interaction.response)
                item = Failure(
                    operation=node.value.operation.label,
                    check=SHOWN_CHECKS.get(check.name, check.name),
                    title=failure.title,
                    message=failure.message,
                    phase=phase,
                    curl=check.failure_info.code_sample,
                    status=status,
                    media_type=media,
                    excerpt=excerpt,
                )
                if self.result.operation(item.operation).add(item):
                    found.append(item)
        return found
