"""``mockserver contract`` flags -> :class:`ContractOptions`: one contract run described as data."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mockserver.numbers import bounded_int, bounded_seconds
from mockserver.resources import bundled_dir
from mockserver.vendors import vendor

#: Schemathesis test phases, in the order they run.
PHASES = ("examples", "coverage", "fuzzing", "stateful")

#: Every check that applies to these APIs (each operation has a security scheme).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
)

#: Methods the ``unsupported_method`` check probes spec paths with: every method against the
#: bundled mock; against a real deployment only one without side effects (RFC 9110 9.2.1).
MOCK_PROBE_METHODS = ("delete", "options", "patch", "post", "put", "query", "trace")
SAFE_PROBE_METHODS = ("trace",)

REPORT_FORMATS = ("junit",)
DEFAULT_MAX_EXAMPLES = 100
#: Seconds one request may take in total (connect, send, headers and body), and a whole run.
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_TIME = 1800

_RATE = re.compile(r"(?P<count>[1-9]\d*)/(?P<unit>[smh])")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def spec_path(api: str) -> Path:
    """The bundled spec that is ``api``'s contract."""
    return bundled_dir("specs") / vendor(api).spec_file


@dataclass(frozen=True)
class ReportTarget:
    format: str
    path: Path


@dataclass(frozen=True)
class ContractOptions:
    api: str
    base_url: str | None = None
    #: ``-H`` headers in the order given: (name, value).
    headers: tuple[tuple[str, str], ...] = ()
    max_examples: int = DEFAULT_MAX_EXAMPLES
    phases: tuple[str, ...] = PHASES
    checks: tuple[str, ...] = CHECKS
    reports: tuple[ReportTarget, ...] = ()
    #: ``None`` means the default: the vendor's pace against a real deployment, none for the mock.
    rate_limit: str | None = None
    dry_run: bool = False
    seed: int | None = None
    workers: int = 1
    #: Fail additive response changes too (a real deployment is otherwise judged like a
    #: consumer would: an undeclared property or enum value is a warning).
    strict: bool = False
    #: Bounds (``mockserver.contract.bounds``): a total per request, and per run.
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_time: int = DEFAULT_MAX_TIME
    #: Against ``--base-url``: run write operations too (``contract/writes.py``).
    allow_writes: bool = False

    @property
    def bundled(self) -> bool:
        """No ``--base-url``: the run checks the bundled mock on a loopback port."""
        return self.base_url is None

    @property
    def effective_rate_limit(self) -> str | None:
        if self.rate_limit == "off":
            return None
        if self.rate_limit is not None:
            return self.rate_limit
        # against a real deployment, the vendor's own pace (well inside its limits)
        return None if self.bundled else vendor(self.api).contract_pace

    @property
    def probe_methods(self) -> tuple[str, ...]:
        return MOCK_PROBE_METHODS if self.bundled else SAFE_PROBE_METHODS


def header(value: str) -> tuple[str, str]:
    """``'Name: value'`` -> ``("Name", "value")``, as curl's ``-H`` reads it."""
    name, sep, rest = value.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {value.split(':')[0]!r}...")
    return name, rest.strip()


def _choices(kind: str, allowed: Sequence[str]):
    def parse(value: str) -> list[str]:
        names = [part.strip() for part in value.split(",") if part.strip()]
        if names == ["all"]:
            return list(allowed)
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            given = ", ".join(unknown) or repr(value)
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {given}; choose from {', '.join(allowed)}"
            )
        return names

    return parse


def rate_limit(value: str) -> str:
    """``N/s`` (or ``N/m``, ``N/h``); ``off`` sends as fast as the server answers."""
    value = value.strip().lower()
    if value == "off" or _RATE.fullmatch(value):
        return value
    raise argparse.ArgumentTypeError(f"expected N/s, N/m, N/h or off, got {value!r}")


def report(value: str) -> ReportTarget:
    kind, sep, path = value.partition(":")
    if not sep or kind not in REPORT_FORMATS or not path:
        raise argparse.ArgumentTypeError(f"expected junit:PATH, got {value!r}")
    return ReportTarget(kind, Path(path))


def base_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise argparse.ArgumentTypeError(f"expected an http(s):// URL, got {value!r}")
    return value.rstrip("/")


def add_header_option(parser: argparse.ArgumentParser) -> None:
    """``-H``: credentials and other headers for a real deployment (contract, verify)."""
    parser.add_argument(
        "-H",
        "--header",
        dest="headers",
        type=header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="send this header with every request; its value is masked in all output",
    )


def add_report_options(parser: argparse.ArgumentParser, pace_default: str) -> None:
    """``--report`` and ``--rate-limit``, as every command that calls a deployment has them."""
    parser.add_argument(
        "--report",
        type=report,
        action="append",
        default=[],
        metavar="junit:PATH",
        help="also write a JUnit XML report (secrets masked) for CI systems",
    )
    parser.add_argument(
        "--rate-limit",
        type=rate_limit,
        metavar="N/s",
        help=f"requests per second, e.g. 3/s; 'off' for none ({pace_default})",
    )


def add_arguments(parser: argparse.ArgumentParser, apis: Sequence[str]) -> None:
    parser.add_argument("--api", required=True, choices=list(apis), help="API whose spec to check")
    parser.add_argument(
        "--base-url",
        type=base_url,
        metavar="URL",
        help="deployment to check (default: start the bundled mock on a free loopback port)",
    )
    add_header_option(parser)
    parser.add_argument(
        "--max-examples",
        type=bounded_int("max examples", 1),
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="examples per operation and phase (default %(default)s)",
    )
    parser.add_argument(
        "--phases",
        type=_choices("phase", PHASES),
        default=list(PHASES),
        metavar="PHASE,...",
        help=f"comma-separated subset of {','.join(PHASES)} (default: all)",
    )
    parser.add_argument(
        "--checks",
        type=_choices("check", CHECKS),
        action="extend",
        metavar="CHECK,...",
        help="comma-separated checks to run (default: all of " + ", ".join(CHECKS) + ")",
    )
    add_report_options(
        parser, "default: the vendor's pace against --base-url, none against the bundled mock"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be called; send nothing"
    )
    parser.add_argument("--seed", type=int, metavar="N", help="generation seed, to reproduce a run")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail additive response changes (undeclared properties, new enum values) too; "
        "by default a --base-url deployment reports them as warnings, as a consumer would "
        "judge them (the bundled mock is always judged strictly)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="against --base-url, run write operations (POST, PATCH, DELETE, ...) too: created "
        "names start with mockserver-contract-<seed>-, and what the run creates is deleted at "
        "the end (the bundled mock always runs them)",
    )
    add_bounds(parser)


def add_bounds(parser: argparse.ArgumentParser) -> None:
    """How long a run may take: a total per request (not per read) and per run."""
    parser.add_argument(
        "--request-timeout",
        type=bounded_seconds("request timeout", 0.1, 3600),
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="S",
        help="seconds one request may take in total, body included; past it the operation "
        "fails with a timeout (default %(default)g)",
    )
    parser.add_argument(
        "--max-time",
        type=bounded_int("max time", 1, 7 * 86_400),
        default=DEFAULT_MAX_TIME,
        metavar="S",
        help="seconds the whole run may take; past it the run stops and fails "
        "(default %(default)s)",
    )


def from_namespace(args: argparse.Namespace) -> ContractOptions:
    return ContractOptions(
        api=args.api,
        base_url=args.base_url,
        headers=tuple(args.headers),
        max_examples=args.max_examples,
        phases=tuple(name for name in PHASES if name in args.phases),
        checks=tuple(dict.fromkeys(args.checks)) if args.checks else CHECKS,
        reports=tuple(args.report),
        rate_limit=args.rate_limit,
        dry_run=args.dry_run,
        seed=args.seed,
        strict=args.strict,
        request_timeout=args.request_timeout,
        max_time=args.max_time,
        allow_writes=args.allow_writes,
    )
