"""Drive Schemathesis (its Python engine, in-process) over a bundled spec and one base URL."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from mockserver.contract.bounds import BoundedStream, bounded, first_answer
from mockserver.contract.created import sender
from mockserver.contract.credentials import Credentials, resolve
from mockserver.contract.dependencies import install as install_dependencies
from mockserver.contract.options import PHASES, ContractOptions, spec_path
from mockserver.contract.report import Report
from mockserver.contract.results import Collector, RunResult
from mockserver.contract.writes import observe, stateful_settings
from mockserver.contract.writes import prepare as prepare_writes
from mockserver.journal.masking import SecretText
from mockserver.spec import load_spec
from mockserver.spec.model import ApiSpec
from mockserver.vendors import vendor

#: Exit codes: everything conformed / something failed / the run could not be set up.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def first_path(spec: ApiSpec) -> str:
    """The path of the first GET the spec declares without path parameters ("" if none): what
    the run would ask anyway, asked once before it."""
    paths = (op.path for op in spec.operations if op.method == "GET" and "{" not in op.path)
    return next(paths, "")


def schemathesis_config(
    options: ContractOptions, base_url: str, headers: Mapping[str, str]
) -> dict[str, Any]:
    """The run as a ``schemathesis.toml`` document (validated by ``Config.from_dict``)."""
    phases: dict[str, Any] = {name: {"enabled": name in options.phases} for name in PHASES}
    phases["coverage"]["unexpected-methods"] = list(options.probe_methods)
    config: dict[str, Any] = {
        "base-url": base_url,
        "headers": dict(headers),
        "workers": options.workers,
        # Never leave the base URL, not even through a redirect.
        "max-redirects": 0,
        # Keep generating after a failure: report every violation, not only the first.
        "continue-on-failure": True,
        # Per read, for Schemathesis' own capability probes; every request of the run has it
        # as a total too (bounds.bounded: what ends a silent or dripping answer).
        "request-timeout": options.request_timeout,
        "checks": {"enabled": False, **{name: {"enabled": True} for name in options.checks}},
        "phases": phases,
        "generation": {"max-examples": options.max_examples, "database": "none"},
        # Nothing replayed from or written to a .schemathesis/ directory: a run is its seed.
        "cache": {"enabled": False},
    }
    if options.seed is not None:
        config["seed"] = options.seed
    if options.effective_rate_limit is not None:
        config["rate-limit"] = options.effective_rate_limit
    return config


@contextlib.contextmanager
def target(options: ContractOptions) -> Iterator[tuple[str, str]]:
    """``(base_url, description)``; without ``--base-url``, the bundled mock for the run."""
    if options.base_url is not None:
        yield options.base_url, options.base_url
        return
    from mockserver.config import ServeConfig
    from mockserver.testing import LiveServer

    # Schemathesis probes with a NULL byte in a header; uvicorn's warning about it is noise.
    with LiveServer(ServeConfig(), log_level="error") as live:
        yield live.url, f"{live.url} (bundled mock)"


def execute(
    options: ContractOptions, base_url: str, description: str, creds: Credentials, on_progress: Any
) -> RunResult:
    import schemathesis
    from schemathesis.engine import from_schema

    from mockserver.contract.tolerant import checks, judge_for, judging

    spec = load_spec(options.api, spec_path(options.api))
    judge = judge_for(options, spec)
    settings = schemathesis_config(options, base_url, creds.headers)
    settings["checks"].update(checks(judge))
    settings["phases"]["stateful"].update(stateful_settings(options, spec))
    config = schemathesis.Config.from_dict(settings)
    result = RunResult(options.api, base_url, description, config.seed)
    schema = schemathesis.openapi.from_path(spec_path(options.api), config=config)
    send = sender(base_url, creds.headers, options.request_timeout)
    schema, created = prepare_writes(options, spec, schema, config.seed, send, on_progress)
    install_dependencies(schema, spec)
    answered = functools.partial(observe, created) if created is not None else None
    collector = Collector(result, on_progress, options.request_timeout, answered)
    with judging(judge, schema, result), bounded(schema, options.request_timeout):
        silent = first_answer(base_url + first_path(spec), creds.headers, options.request_timeout)
        if silent is not None:
            result.errors[f"no answer from {base_url}: {silent}"] += 1
            result.stop_reason = "no answer"
            return result
        stream = out_of_time = BoundedStream(from_schema(schema).execute(), options.max_time)
        try:
            for event in stream:
                collector.feed(event)
                if collector.stop_reason is not None:
                    stream.stop()
        except KeyboardInterrupt:
            stream.stop()
            result.stop_reason = "interrupted"
            result.errors["interrupted"] += 1
        finally:
            out_of_time.cancel()
            for left in created.finish() if created is not None else ():
                result.errors[f"cleanup: {left}"] += 1
    if collector.stop_reason is not None:
        result.stop_reason = collector.stop_reason
    elif out_of_time.fired:
        result.stop_reason = f"--max-time {options.max_time} s"
        result.errors[f"the run took --max-time {options.max_time} s and was stopped early"] += 1
    return result


def run(
    options: ContractOptions,
    env: Mapping[str, str],
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the contract; print a per-operation report; exit 0 only when nothing failed."""
    out = out or sys.stdout
    err = err or sys.stderr
    creds = resolve(options.api, options.headers, env, bundled=options.bundled)
    report = Report(SecretText(creds.secrets), out)
    wanted = vendor(options.api).credential
    if creds.source is None:
        report.problem(
            err,
            f"{options.api} needs a credential: set {wanted.env} "
            f"or pass -H '{wanted.header}: {wanted.template.format('...')}'",
        )
        if not options.dry_run:
            return EXIT_USAGE
    if options.dry_run:
        report.plan(options, creds, spec_path(options.api))
        return EXIT_OK
    for destination in options.reports:
        try:  # fail before a long run, not after it
            destination.path.parent.mkdir(parents=True, exist_ok=True)
            destination.path.touch()
        except OSError as exc:
            report.problem(err, f"cannot write {destination.path}: {exc.strerror or exc}")
            return EXIT_USAGE
    with target(options) as (base_url, description):
        report.emit(f"mockserver contract: {options.api} spec against {description}")
        report.settings(options, creds)
        result = execute(options, base_url, description, creds, report.emit)
    report.details(result)
    report.summary(result)
    for destination in options.reports:
        report.junit(result, destination.path)
    return EXIT_OK if result.ok else EXIT_FAILED
