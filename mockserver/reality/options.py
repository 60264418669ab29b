"""``mockserver proxy`` and ``mockserver verify`` flags -> :class:`ProxyOptions` /
:class:`VerifyOptions`: each run described as data."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mockserver.config import LOG_LEVELS
from mockserver.contract.options import (
    ReportTarget,
    add_header_option,
    add_report_options,
    base_url,
)
from mockserver.numbers import bounded_int, bounded_seconds

DEFAULT_PROXY_PORT = 4010
#: Seconds the upstream (proxy) or each side (verify) has for one answer.
DEFAULT_TIMEOUT = 30.0
_FIELD = re.compile(r"[^\s,]+")


@dataclass(frozen=True)
class ProxyOptions:
    api: str
    upstream: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PROXY_PORT
    record: Path | None = None
    #: JSON properties (and query parameters) whose values a recording replaces with fakes.
    redact: tuple[str, ...] = ()
    #: Seed of those fakes: the same value gets the same fake in every run.
    seed: int = 0
    upstream_timeout: float = DEFAULT_TIMEOUT
    log_level: str = "info"
    control_token: str | None = None
    journal_size: int = 1000


@dataclass(frozen=True)
class VerifyOptions:
    api: str
    base_url: str
    #: A journal export (``GET /__mockserver/requests``, ``--mockserver-journal``) or a cassette.
    requests: Path | None = None
    #: A running mock's control URL (or its base URL) whose journal to take.
    from_journal: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    reports: tuple[ReportTarget, ...] = ()
    #: ``None``: the vendor's pace (as ``mockserver contract`` uses against a deployment).
    rate_limit: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    #: Send recorded writes (POST, PUT, PATCH, DELETE...) too; by default only GET and HEAD.
    allow_writes: bool = False


def field_names(value: str) -> list[str]:
    names = _FIELD.findall(value)
    if not names:
        raise argparse.ArgumentTypeError(f"expected FIELD[,FIELD...], got {value!r}")
    return names


def add_proxy_arguments(parser: argparse.ArgumentParser, apis: Sequence[str]) -> None:
    parser.add_argument("--api", required=True, choices=list(apis), help="API being proxied")
    parser.add_argument(
        "--upstream", required=True, type=base_url, metavar="URL", help="the real deployment"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default %(default)s)")
    parser.add_argument(
        "--port",
        type=bounded_int("port", 0, 65535),
        default=DEFAULT_PROXY_PORT,
        help="default %(default)s",
    )
    parser.add_argument(
        "--record", type=Path, metavar="FILE", help="append every exchange to this cassette"
    )
    parser.add_argument(
        "--redact",
        type=field_names,
        action="extend",
        default=[],
        metavar="FIELD,...",
        help="in the cassette, replace the values of these JSON properties (and query "
        "parameters) with seeded fakes of the same format, e.g. email,first_name",
    )
    parser.add_argument(
        "--seed",
        type=bounded_int("seed", 0, 2**63 - 1),
        default=0,
        help="seed of the --redact fakes (default 0)",
    )
    parser.add_argument(
        "--upstream-timeout",
        type=bounded_seconds("upstream timeout", 0.1, 3600),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="total time the upstream has for one answer (default %(default)g); then 504",
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        type=str.lower,
    )
    parser.add_argument(
        "--control-token",
        help="allow non-loopback control callers that send this token (prefer "
        "$MOCKSERVER_CONTROL_TOKEN: a flag is visible in ps)",
    )
    parser.add_argument(
        "--journal-size",
        type=bounded_int("journal size", 1, 1_000_000),
        default=1000,
        help="exchanges kept in the journal (1000)",
    )


def proxy_options(args: argparse.Namespace) -> ProxyOptions:
    return ProxyOptions(
        api=args.api,
        upstream=args.upstream,
        host=args.host,
        port=args.port,
        record=args.record,
        redact=tuple(dict.fromkeys(args.redact)),
        seed=args.seed,
        upstream_timeout=args.upstream_timeout,
        log_level=args.log_level,
        control_token=args.control_token,
        journal_size=args.journal_size,
    )


def add_verify_arguments(parser: argparse.ArgumentParser, apis: Sequence[str]) -> None:
    parser.add_argument("--api", required=True, choices=list(apis), help="API to compare")
    parser.add_argument(
        "--base-url", required=True, type=base_url, metavar="URL", help="the real deployment"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--requests",
        type=Path,
        metavar="FILE",
        help="the requests to send: a journal export (GET /__mockserver/requests, or pytest "
        "--mockserver-journal) or a cassette",
    )
    source.add_argument(
        "--from-journal",
        type=base_url,
        metavar="URL",
        help="take the requests from a running mock's journal (its URL or control URL)",
    )
    add_header_option(parser)
    add_report_options(parser, "default: the vendor's pace, as for mockserver contract")
    parser.add_argument(
        "--timeout",
        type=bounded_seconds("timeout", 0.1, 3600),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time one answer may take in total (default %(default)g)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="also send recorded writes (POST, PUT, PATCH, DELETE) to the deployment, with its "
        "real credential; by default only GET and HEAD are sent and the others reported",
    )


def verify_options(args: argparse.Namespace) -> VerifyOptions:
    return VerifyOptions(
        api=args.api,
        base_url=args.base_url,
        requests=args.requests,
        from_journal=args.from_journal,
        headers=tuple(args.headers),
        reports=tuple(args.report),
        rate_limit=args.rate_limit,
        timeout=args.timeout,
        allow_writes=args.allow_writes,
    )
