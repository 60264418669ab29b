"""What a person (or CI) reads after a contract run; every line passes through the masker."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mockserver.contract.credentials import Credentials
from mockserver.contract.options import spec_path
from mockserver.contract.results import Failure, OperationResult, RunResult
from mockserver.contract.writes import describe, excluded, unsafe_on_deployment
from mockserver.journal.masking import SecretText
from mockserver.junit import Case, Problem, write_junit
from mockserver.spec import load_spec
from mockserver.vendors import vendor

if TYPE_CHECKING:
    from mockserver.contract.options import ContractOptions

#: Lines of a failure's message shown in the terminal (the JUnit report keeps all of it).
MESSAGE_LINES = 12


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text, prefix, lambda line: True)


def _tried(op: OperationResult) -> str:
    phases = ", ".join(f"{phase} {count}" for phase, count in op.requests.items())
    return f"{op.total} requests" + (f" ({phases})" if phases else "")


def failure_text(failure: Failure, seen: int, *, limit: int | None = MESSAGE_LINES) -> str:
    """A failure as a person acts on it: what, why, how to reproduce, what came back."""
    lines = failure.message.strip().splitlines()
    if limit is not None and len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more lines)"]
    repeat = f", seen {seen}x" if seen > 1 else ""
    parts = [f"[{failure.check}] {failure.title} (first in {failure.phase}{repeat})"]
    if lines:
        parts.append(_indent("\n".join(lines), "    "))
    parts.append(f"    reproduce: {failure.curl.strip()}")
    if failure.status is not None:
        media = f" {failure.media_type}" if failure.media_type else ""
        parts.append(f"    response: {failure.status}{media}")
        if failure.excerpt:
            parts.append(_indent(failure.excerpt.strip(), "      "))
    return "\n".join(parts)


def warning_lines(op: OperationResult) -> list[str]:
    """``warning: 200 body /pages: undeclared property 'pages' (seen 12x)``, one per change."""
    return [
        f"warning: {warning}" + (f" (seen {seen}x)" if seen > 1 else "")
        for warning, seen in op.warnings.items()
    ]


def judgement(options: ContractOptions) -> str:
    """How response bodies are judged, as the settings list it."""
    if options.bundled:
        return "strict (the bundled mock: every departure from the spec fails)"
    if options.strict:
        return "strict (--strict: additive changes fail too)"
    return (
        "consumer-tolerant (additive changes - undeclared properties, new enum values, new "
        "headers - are warnings; --strict fails them)"
    )


class Output:
    """Lines written to ``out``, each through ``mask``."""

    def __init__(self, mask: SecretText, out: TextIO) -> None:
        self.mask = mask
        self.out = out

    def emit(self, text: str = "", stream: TextIO | None = None) -> None:
        (stream or self.out).write(self.mask(text) + "\n")
        (stream or self.out).flush()


class Report(Output):
    def problem(self, stream: TextIO, message: str) -> None:
        self.emit(f"mockserver contract: {message}", stream)

    def settings(self, options: ContractOptions, creds: Credentials) -> None:
        credential = vendor(options.api).credential.header
        lines = [
            f"  phases:      {', '.join(options.phases)}; up to {options.max_examples} examples "
            "per operation and phase",
            f"  checks:      {', '.join(options.checks)}",
            f"  judgement:   {judgement(options)}",
            f"  rate limit:  {options.effective_rate_limit or 'none'}",
            f"  seed:        {options.seed if options.seed is not None else 'random'}",
            f"  headers:     {', '.join(creds.headers) or 'none'} "
            f"({credential} from {creds.source or 'nowhere'}; secret values masked)",
            f"  unsupported-method probes: {', '.join(m.upper() for m in options.probe_methods)}",
            f"  writes:      {describe(options, load_spec(options.api, spec_path(options.api)))}",
        ]
        self.emit("\n".join(lines))

    def plan(self, options: ContractOptions, creds: Credentials, spec: Path) -> None:
        """``--dry-run``: what would be called, with which settings. Sends nothing."""
        base = options.base_url or "http://127.0.0.1:<free port> (bundled mock, started for it)"
        self.emit(f"mockserver contract --dry-run: {options.api} spec {spec.name}; nothing is sent")
        self.emit(f"  base URL:    {base}")
        self.settings(options, creds)
        self.emit("  operations (only these are called; nothing outside the base URL):")
        loaded = load_spec(options.api, spec)
        left_out = excluded(options, loaded)
        for op in loaded.operations:
            if op not in left_out:
                self.emit(f"    {op.method} {op.path}  ({op.operation_id})")
        if left_out:
            self.emit("  left out (writes; against --base-url they run only with --allow-writes):")
            unsafe = unsafe_on_deployment(loaded)
            for op in left_out:
                why = unsafe.get(op.operation_id)
                note = f"never sent to a deployment: {why}" if why else "not sent"
                self.emit(f"    {op.method} {op.path}  ({op.operation_id})  {note}")

    def details(self, result: RunResult) -> None:
        self.emit()
        for op in result.operations.values():
            verdict = f"FAILED ({len(op.failures)})" if op.failures else "ok"
            if op.warnings:
                verdict += f", {len(op.warnings)} warning(s)"
            self.emit(f"{op.label}: {verdict}; tried {_tried(op)}")
            for note in op.skipped:
                self.emit(f"    skipped {note}")
            for line in warning_lines(op):
                self.emit(f"  {line}")
            for number, failure in enumerate(op.failures, 1):
                text = failure_text(failure, op.seen[failure.key])
                self.emit(_indent(f"{number}. {text}", "  "))
        for error, seen in result.errors.items():
            self.emit(f"error: {error}" + (f" (seen {seen}x)" if seen > 1 else ""))

    def summary(self, result: RunResult) -> None:
        checks = Counter(failure.check for failure in result.failures)
        what = ", ".join(f"{name} {count}" for name, count in checks.most_common())
        failing = sum(1 for op in result.operations.values() if op.failures)
        verdict = "PASSED" if result.ok else "FAILED"
        parts = [
            f"{verdict} {result.api}: {len(result.failures)} failure(s)"
            + (f" in {failing} operation(s) ({what})" if what else ""),
            f"{len(result.errors)} error(s)" if result.errors else None,
            f"{len(result.warnings)} warning(s) (additive changes)" if result.warnings else None,
            f"{len(result.operations)} operations, {result.requests} requests "
            f"in {result.elapsed:.1f}s",
            f"seed {result.seed}",
        ]
        if result.stop_reason != "completed":
            parts.append(f"stopped: {result.stop_reason}")
        self.emit("; ".join(part for part in parts if part))

    def junit(self, result: RunResult, path: Path) -> None:
        """One ``testcase`` per operation, a ``failure`` per distinct failing check."""
        cases = []
        for op in result.operations.values():
            problem = None
            if op.failures:
                text = "\n\n".join(failure_text(f, op.seen[f.key], limit=None) for f in op.failures)
                kinds = ", ".join(dict.fromkeys(f.check for f in op.failures))
                problem = Problem("failure", kinds, text, type=kinds)
            output = "\n".join([f"tried {_tried(op)}", *warning_lines(op)])
            cases.append(Case(result.api, op.label, problem, output))
        if result.errors:
            error = Problem("error", "the run did not complete", "\n".join(result.errors))
            cases.append(Case(result.api, "run", error))
        suite = f"mockserver contract {result.api}"
        write_junit(path, suite, cases, seconds=result.elapsed, mask=self.mask)
