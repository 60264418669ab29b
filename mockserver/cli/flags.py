"""Every command's flags as data: one table per command, made of flags declared once, and the
parsed namespace turned into the command's options dataclass field by field (a flag's ``dest``
is its field's name)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from mockserver.cli.values import (
    base_url,
    cidr,
    error_rate,
    field_names,
    header,
    latency_range,
    names_of,
    rate_limit,
    readable_dir,
    report,
    state_prefix,
    state_url,
)
from mockserver.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SEED, LOG_FORMATS, LOG_LEVELS
from mockserver.healthcheck import TOKEN_ENV
from mockserver.numbers import bounded_int, bounded_seconds
from mockserver.vendors import REGISTRY, vendor

if TYPE_CHECKING:
    from mockserver.vendors.interface import CliOption

T = TypeVar("T")


class Flag(NamedTuple):
    """One flag: its names and ``add_argument``'s keyword arguments."""

    names: tuple[str, ...]
    options: dict[str, Any]

    def but(self, **changed: Any) -> Flag:
        return Flag(self.names, {**self.options, **changed})


class Group(NamedTuple):
    """Flags shown under a title in ``--help``; ``one_of``: exactly one of them is required."""

    title: str | None
    flags: tuple[Flag, ...]
    one_of: bool = False


Table = Sequence[Flag | Group]


def flag(*names: str, **options: Any) -> Flag:
    return Flag(names, options)


def repeated(*names: str, **options: Any) -> Flag:
    """A flag that may be given several times: its values in a list."""
    return Flag(names, {"action": "append", "default": [], **options})


def add_flags(parser: argparse.ArgumentParser | Any, table: Table) -> None:
    for entry in table:
        if isinstance(entry, Group):
            group = (
                parser.add_mutually_exclusive_group(required=True)
                if entry.one_of
                else parser.add_argument_group(entry.title)
            )
            add_flags(group, entry.flags)
        else:
            parser.add_argument(*entry.names, **entry.options)


def options(args: argparse.Namespace, kind: Callable[..., T], **given: Any) -> T:
    """The ``kind`` dataclass of a parsed command line: each field from the flag of its name (a
    repeated flag's values once each, in order); a flag not given leaves the field's default."""
    for spec in dataclasses.fields(kind):  # type: ignore[arg-type]
        value = getattr(args, spec.name, None)
        if spec.name not in given and value is not None:
            given[spec.name] = tuple(dict.fromkeys(value)) if isinstance(value, list) else value
    return kind(**given)


SEED = flag(
    "--seed",
    type=bounded_int("seed", 0, 2**63 - 1),
    default=DEFAULT_SEED,
    metavar="N",
    help="data seed: the same seed gives the same answers (default 0)",
)
API = flag("--api", required=True, choices=list(REGISTRY))
HOST = flag(
    "--host", default=DEFAULT_HOST, metavar="ADDRESS", help="interface (default %(default)s)"
)
PORT = flag(
    "--port",
    type=bounded_int("port", 0, 65535),
    default=DEFAULT_PORT,
    metavar="N",
    help="TCP port (default %(default)s; 0: a free one)",
)
LOG_LEVEL = flag(
    "--log-level",
    choices=LOG_LEVELS,
    default="info",
    type=str.lower,
    metavar="LEVEL",
    help=f"{', '.join(LOG_LEVELS)} (default %(default)s)",
)
CONTROL_TOKEN = flag(
    "--control-token",
    metavar="TOKEN",
    help=f"allow non-loopback control callers that send this token (prefer ${TOKEN_ENV}: a flag "
    "is visible to every user in ps)",
)
JOURNAL_SIZE = flag(
    "--journal-size",
    type=bounded_int("journal size", 1, 1_000_000),
    default=1000,
    metavar="N",
    help="requests kept in the journal (%(default)s)",
)
BASE_URL = flag("--base-url", type=base_url, metavar="URL")
HEADER = repeated(
    "-H",
    "--header",
    dest="headers",
    type=header,
    metavar="'NAME: VALUE'",
    help="send this header with every request; its value is masked in all output",
)
REPORT = repeated(
    "--report",
    dest="reports",
    type=report,
    metavar="junit:PATH",
    help="also write a JUnit XML report (secrets masked) for CI systems",
)
PACE = "requests per second, e.g. 3/s; 'off' for none"
RATE_LIMIT = flag("--rate-limit", type=rate_limit, metavar="N/s")
ALLOW_WRITES = flag("--allow-writes", action="store_true")


def vendor_flag(api: str, option: CliOption) -> Flag:
    """A vendor's own ``serve`` flag; its value lands in ``args.<api>__<dest>``."""
    options: dict[str, Any] = {"dest": f"{api}__{option.dest}", "help": option.help}
    if option.action != "store_true":
        options["metavar"] = option.metavar or option.flag.lstrip("-").upper()
    if option.action:
        options["action"] = option.action
    else:
        options.update(type=option.type, default=option.default)
    return Flag((option.flag,), options)


def serve_flags() -> Table:
    """``serve``: the mock's flags, its limits (``limits.TABLE``) and each vendor's own."""
    from mockserver import limits

    limit_flags = tuple(
        flag(
            limit.flag,
            type=limit.parse,
            default=limit.default,
            metavar="S" if limit.unit == "s" else "N",
            help=limit.help,
        )
        for limit in limits.TABLE
        if limit.flag is not None
    )
    vendor_groups = tuple(
        Group(f"{api} (--api {api})", tuple(vendor_flag(api, o) for o in vendor(api).cli_options))
        for api in REGISTRY
    )
    return (
        API.but(
            required=False,
            choices=[*REGISTRY, "all"],
            default="all",
            metavar="API",
            help=f"API to serve: {', '.join(REGISTRY)} or all (default)",
        ),
        HOST,
        PORT,
        SEED,
        flag(
            "--fixtures",
            dest="fixtures_dir",
            type=readable_dir,
            metavar="DIR",
            help="fixtures directory (DIR/actionhub, DIR/sendgrid; default: the bundled ones)",
        ),
        flag(
            "--validate-responses",
            action="store_true",
            help="validate every response against its spec; a violation becomes a loud 500",
        ),
        flag(
            "--strict-params",
            action="store_true",
            help="answer a query parameter the operation does not declare with a 400/422 in the "
            "API's dialect (default: ignored as the vendor does, with an x-mockserver-warning "
            "header)",
        ),
        LOG_LEVEL.but(
            help=f"{', '.join(LOG_LEVELS)} (default %(default)s; warning hides the banner and "
            "the request lines)"
        ),
        flag(
            "--log-format",
            choices=LOG_FORMATS,
            default="text",
            metavar="FORMAT",
            help="text (default) or json: one object a line (time, level, logger, message; "
            "request lines also method, path, status, ms, warnings)",
        ),
        flag(
            "--workers",
            type=bounded_int("workers", 1, 64),
            default=1,
            metavar="N",
            help="worker processes answering identically (default 1; each holds its own "
            "control-plane state unless --state is given)",
        ),
        repeated(
            "--replay",
            type=Path,
            metavar="FILE",
            help="answer requests recorded in this cassette (mockserver proxy --record) byte "
            "for byte; everything else as usual (repeatable)",
        ),
        Group(
            "control plane, faults and CORS",
            (
                flag("--no-control", action="store_true", help="turn /__mockserver off"),
                CONTROL_TOKEN,
                JOURNAL_SIZE,
                flag(
                    "--latency",
                    dest="latency_ms",
                    type=latency_range,
                    metavar="MS|MIN-MAX",
                    help="delay every answer",
                ),
                flag(
                    "--error-rate",
                    type=error_rate,
                    default=0.0,
                    metavar="P",
                    help="answer this fraction of requests 500/503 (0-1)",
                ),
                flag(
                    "--cors-origin",
                    action="append",
                    metavar="ORIGIN",
                    help="allowed CORS origin (repeatable; default any; 'none' turns CORS off)",
                ),
            ),
        ),
        Group(
            "shared state (several processes or replicas serving as one mock; docs/SCALING.md)",
            (
                flag(
                    "--state",
                    type=state_url,
                    metavar="URL",
                    help="keep journal, scenarios, faults, loaded data and rate-limit windows in "
                    "Redis (redis://HOST:PORT/DB); default: in this process",
                ),
                flag(
                    "--state-prefix",
                    type=state_prefix,
                    default="mockserver",
                    metavar="PREFIX",
                    help="prefix of the mock's Redis keys: mocks with different prefixes share "
                    "one Redis without seeing each other (default %(default)s)",
                ),
            ),
        ),
        Group(
            "limits and control-plane safety (docs/SECURITY.md)",
            (
                *limit_flags,
                flag(
                    "--control-origin",
                    dest="control_origins",
                    action="append",
                    metavar="ORIGIN",
                    help="a browser origin allowed to call the control API (repeatable; "
                    "default: none)",
                ),
                flag(
                    "--trust-proxy",
                    action="append",
                    type=cidr,
                    metavar="CIDR",
                    help="believe X-Forwarded-For from these proxies (repeatable; default: nobody)",
                ),
            ),
        ),
        *vendor_groups,
    )


def proxy_flags() -> Table:
    from mockserver.reality.options import DEFAULT_TIMEOUT

    return (
        API.but(help="API being proxied"),
        flag("--upstream", required=True, type=base_url, metavar="URL", help="the real deployment"),
        HOST,
        PORT,
        flag("--record", type=Path, metavar="FILE", help="append every exchange to this cassette"),
        flag(
            "--redact",
            type=field_names,
            action="extend",
            default=[],
            metavar="FIELD,...",
            help="in the cassette, replace the values of these JSON properties (and query "
            "parameters) with seeded fakes of the same format, e.g. email,first_name",
        ),
        SEED.but(help="seed of the --redact fakes (default 0)"),
        flag(
            "--upstream-timeout",
            type=bounded_seconds("upstream timeout", 0.1, 3600),
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help="total time the upstream has for one answer (default %(default)g); then 504",
        ),
        LOG_LEVEL,
        CONTROL_TOKEN,
        JOURNAL_SIZE,
    )


def verify_flags() -> Table:
    from mockserver.reality.options import DEFAULT_TIMEOUT

    return (
        API.but(help="API to compare"),
        BASE_URL.but(required=True, help="the real deployment"),
        Group(
            None,
            (
                flag(
                    "--requests",
                    type=Path,
                    metavar="FILE",
                    help="the requests to send: a journal export (GET /__mockserver/requests, "
                    "or pytest --mockserver-journal) or a cassette",
                ),
                flag(
                    "--from-journal",
                    type=base_url,
                    metavar="URL",
                    help="take the requests from a running mock's journal (its URL or control URL)",
                ),
            ),
            one_of=True,
        ),
        HEADER,
        REPORT,
        RATE_LIMIT.but(help=f"{PACE} (default: the vendor's pace, as for mockserver contract)"),
        flag(
            "--timeout",
            type=bounded_seconds("timeout", 0.1, 3600),
            default=DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help="time one answer may take in total (default %(default)g)",
        ),
        ALLOW_WRITES.but(
            help="also send recorded writes (POST, PUT, PATCH, DELETE) to the deployment, with "
            "its real credential; by default only GET and HEAD are sent and the others reported",
        ),
    )


def contract_flags() -> Table:
    from mockserver.contract import options as contract

    return (
        API.but(help="API whose spec to check"),
        BASE_URL.but(
            help="deployment to check (default: start the bundled mock on a free loopback port)"
        ),
        HEADER,
        flag(
            "--max-examples",
            type=bounded_int("max examples", 1),
            default=contract.DEFAULT_MAX_EXAMPLES,
            metavar="N",
            help="examples per operation and phase (default %(default)s)",
        ),
        flag(
            "--phases",
            type=names_of("phase", contract.PHASES, ordered=True),
            metavar="PHASE,...",
            help=f"comma-separated subset of {','.join(contract.PHASES)} (default: all)",
        ),
        flag(
            "--checks",
            type=names_of("check", contract.CHECKS),
            action="extend",
            metavar="CHECK,...",
            help=f"comma-separated checks to run (default: all of {', '.join(contract.CHECKS)})",
        ),
        REPORT,
        RATE_LIMIT.but(
            help=f"{PACE} (default: the vendor's pace against --base-url, none against the "
            "bundled mock)"
        ),
        flag("--dry-run", action="store_true", help="list what would be called; send nothing"),
        flag("--seed", type=int, metavar="N", help="generation seed, to reproduce a run"),
        flag(
            "--strict",
            action="store_true",
            help="fail additive response changes (undeclared properties, new enum values) too; "
            "by default a --base-url deployment reports them as warnings, as a consumer would "
            "judge them (the bundled mock is always judged strictly)",
        ),
        ALLOW_WRITES.but(
            help="against --base-url, run write operations (POST, PATCH, DELETE, ...) too: "
            "created names start with mockserver-contract-<seed>-, and what the run creates is "
            "deleted at the end (the bundled mock always runs them)",
        ),
        flag(
            "--request-timeout",
            type=bounded_seconds("request timeout", 0.1, 3600),
            default=contract.DEFAULT_REQUEST_TIMEOUT,
            metavar="S",
            help="seconds one request may take in total, body included; past it the operation "
            "fails with a timeout (default %(default)g)",
        ),
        flag(
            "--max-time",
            type=bounded_int("max time", 1, 7 * 86_400),
            default=contract.DEFAULT_MAX_TIME,
            metavar="S",
            help="seconds the whole run may take; past it the run stops and fails "
            "(default %(default)s)",
        ),
    )


def specs_flags() -> Table:
    return (
        flag(
            "action",
            nargs="?",
            choices=("list", "validate", "print"),
            default="list",
            metavar="ACTION",
            help="list (default), validate or print",
        ),
        flag(
            "api",
            nargs="?",
            choices=list(REGISTRY),
            metavar="API",
            help=f"{' or '.join(REGISTRY)} (default: every API)",
        ),
    )
