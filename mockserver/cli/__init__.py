"""The ``mockserver`` command line: :data:`COMMANDS` describes each command, ``flags.py`` holds
their flags, ``serve.py`` runs ``serve``, ``commands.py`` the others."""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import NamedTuple

from mockserver import __version__
from mockserver.cli import commands, flags
from mockserver.cli.serve import run_serve, serve_config
from mockserver.cli.values import Parser

__all__ = ["main", "parser", "serve_config"]


class Command(NamedTuple):
    summary: str
    description: str
    flags: Callable[[], flags.Table]
    run: Callable[[argparse.Namespace], int]
    #: The end of its ``--help``: each a command line and what it does.
    examples: tuple[tuple[str, str], ...] = ()


COMMANDS = {
    "serve": Command(
        "serve the mock APIs",
        "Serve the mock APIs; both share one port, their paths do not collide. At start-up a "
        "banner lists what is served (--log-level warning hides it).",
        flags.serve_flags,
        run_serve,
        (
            (
                "mockserver serve",
                "both APIs on http://127.0.0.1:4010, the console at /__mockserver/",
            ),
            (
                "mockserver serve --api sendgrid --contacts 300000 --rate-limit 600",
                "a bigger SendGrid world (a few seconds to build: its progress is shown), 429 "
                "past 600 requests a minute per key",
            ),
            ("mockserver serve --fixtures ./fixtures --seed 7", "your own data, another seed"),
            ("mockserver serve --replay recorded.jsonl", "answer recorded exchanges byte for byte"),
            (
                "MOCKSERVER_CONTROL_TOKEN=s3cret mockserver serve --host 0.0.0.0 --workers 4",
                "on every interface, four processes; remote control callers send the token",
            ),
            (
                "mockserver serve --log-format json --log-level warning",
                "quiet, machine-readable logs",
            ),
        ),
    ),
    "specs": Command(
        "list, validate or print the bundled specs",
        "List the operations of the bundled OpenAPI specs, validate them, or print one.",
        flags.specs_flags,
        commands.run_specs,
        (
            ("mockserver specs", "every operation: method, path, operationId, status codes"),
            ("mockserver specs validate", "check both specs against the OpenAPI schema"),
            ("mockserver specs print sendgrid > sendgrid.yaml", "one spec, as bundled"),
        ),
    ),
    "contract": Command(
        "check a deployment (default: the bundled mock) against the bundled spec",
        "Run Schemathesis with the bundled spec against a base URL. Credentials: "
        "SENDGRID_API_KEY (Authorization: Bearer) or ACTIONHUB_PROGRAM_ID (program-id), or -H; "
        "they are masked in all output. Exit 0 only when nothing failed.",
        flags.contract_flags,
        commands.run_contract,
        (
            ("mockserver contract --api actionhub", "the bundled mock against its own spec"),
            (
                "SENDGRID_API_KEY=... mockserver contract --api sendgrid "
                "--base-url https://api.sendgrid.com",
                "a real deployment against the bundled spec",
            ),
        ),
    ),
    "proxy": Command(
        "forward to a real deployment, validating requests and answers against the spec",
        "Forward every request to --upstream unchanged and validate it and its answer "
        "against the bundled spec: violations go to the journal (/__mockserver), the log and an "
        "x-mockserver-violation header. --record appends each exchange to a cassette for "
        "mockserver serve --replay. Credentials pass through; they are masked in everything "
        "written.",
        flags.proxy_flags,
        commands.run_proxy,
        (
            (
                "mockserver proxy --api sendgrid --upstream https://api.sendgrid.com "
                "--record sendgrid.jsonl",
                "point your app at http://127.0.0.1:4010: each exchange is checked and recorded",
            ),
            ("mockserver serve --replay sendgrid.jsonl", "then answer those requests offline"),
        ),
    ),
    "verify": Command(
        "send an app's recorded requests to the mock and to a deployment; report drift",
        "Send each recorded request (a journal export or a cassette) to the bundled "
        "mock and to --base-url and compare the answers: status, media type, the spec "
        "conformance of the real answer and the shape of both bodies (values are ignored). "
        "Credentials: SENDGRID_API_KEY / ACTIONHUB_PROGRAM_ID or -H, masked in all output. "
        "Exit 1 on a breaking difference, 0 when only additive ones (warnings) were found.",
        flags.verify_flags,
        commands.run_verify,
        (
            (
                "pytest --mockserver-journal requests.json",
                "record what your tests sent to the mockserver fixture",
            ),
            (
                "SENDGRID_API_KEY=... mockserver verify --api sendgrid --requests requests.json "
                "--base-url https://api.sendgrid.com",
                "send the same requests to the real API and compare the answers' shapes",
            ),
        ),
    ),
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; given ``command``, only that command's flags are added (the others
    by name and summary), so running one imports nothing the others need."""
    root = Parser(
        prog="mockserver",
        description="Contract-faithful mocks of the ActionHub and SendGrid segments APIs.",
        epilog="'mockserver COMMAND --help' shows a command's options and examples.",
    )
    root.add_argument("--version", action="version", version=f"mockserver {__version__}")
    subparsers = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    width = max(40, shutil.get_terminal_size().columns - 2)
    for name, spec in COMMANDS.items():
        if command not in (None, name):
            subparsers.add_parser(name, help=spec.summary).set_defaults(run=spec.run)
            continue
        epilog = "examples:\n" + "\n".join(
            f"  {line}\n"
            + textwrap.fill(what, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
            for line, what in spec.examples
        )
        sub = subparsers.add_parser(
            name,
            help=spec.summary,
            description=textwrap.fill(spec.description, width),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=spec.run)
        flags.add_flags(sub, spec.flags())
    return root


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The root parser has no option taking a value: its first other word names the command.
    command = next((word for word in argv if not word.startswith("-")), None)
    args = parser(command).parse_args(argv)
    if command != "serve":
        gc.enable()  # paused by ``python -m mockserver``: only serve turns it on later
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
