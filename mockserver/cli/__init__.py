"""The ``mockserver`` command line: serve the mocks, inspect the specs, run contracts.

``serve.py`` holds ``serve`` (flags -> ``ServeConfig`` -> uvicorn), ``commands.py`` the others,
``values.py`` the flag value types.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mockserver import __version__
from mockserver.cli.commands import (
    add_contract_command,
    add_proxy_command,
    add_specs_command,
    add_verify_command,
)
from mockserver.cli.serve import add_serve_command, serve_config
from mockserver.cli.values import Parser

__all__ = ["main", "parser", "serve_config"]


def parser() -> argparse.ArgumentParser:
    root = Parser(
        prog="mockserver",
        description="Contract-faithful mocks of the ActionHub and SendGrid segments APIs.",
        epilog="'mockserver COMMAND --help' shows a command's options and examples.",
    )
    root.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_serve_command(commands)
    add_specs_command(commands)
    add_contract_command(commands)
    add_proxy_command(commands)
    add_verify_command(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
