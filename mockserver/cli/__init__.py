"""The ``mockserver`` command line: serve the mocks, inspect the specs, run contracts.

``serve.py`` holds ``serve`` (flags -> ``ServeConfig`` -> uvicorn), ``commands.py`` the others,
``values.py`` the flag value types.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence

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


#: Each command and what adds it; ``options=False`` adds only its name and summary.
COMMANDS: dict[str, Callable[..., None]] = {
    "serve": add_serve_command,
    "specs": add_specs_command,
    "contract": add_contract_command,
    "proxy": add_proxy_command,
    "verify": add_verify_command,
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; given ``command``, only that command's options are added (the others
    by name and summary), so running one imports nothing the others need."""
    root = Parser(
        prog="mockserver",
        description="Contract-faithful mocks of the ActionHub and SendGrid segments APIs.",
        epilog="'mockserver COMMAND --help' shows a command's options and examples.",
    )
    root.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        add(commands, options=command is None or command == name)
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
