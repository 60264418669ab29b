"""argparse value types of the command line: each parses one flag's text or says why not."""

from __future__ import annotations

import argparse
import os
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_command(
    commands: argparse._SubParsersAction,
    name: str,
    help: str,
    description: str,
    examples: Sequence[tuple[str, str]] = (),
) -> argparse.ArgumentParser:
    """A sub-command whose help ends with examples: each a command line and what it does."""
    width = max(40, shutil.get_terminal_size().columns - 2)
    epilog = "examples:\n" + "\n".join(
        f"  {line}\n"
        + textwrap.fill(what, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
        for line, what in examples
    )
    return commands.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, width),
        epilog=epilog if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def readable_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"not a readable directory: {value}")
    return path


def latency_range(value: str) -> tuple[float, float]:
    from mockserver.state.values import parse_latency

    try:
        return parse_latency(value)  # type: ignore[return-value]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def error_rate(value: str) -> float:
    from mockserver.state.values import parse_rate

    try:
        return parse_rate(value) or 0.0
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cidr(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an address or CIDR network: {value!r}") from None


def state_url(value: str) -> str:
    from mockserver.state.select import SCHEMES

    scheme = value.partition("://")[0]
    if scheme not in SCHEMES or not value.partition("://")[2]:
        raise argparse.ArgumentTypeError(
            f"not a Redis URL: {value!r} (redis://HOST:PORT/DB, rediss://... or unix://PATH)"
        )
    return value


def state_prefix(value: str) -> str:
    if not (
        0 < len(value) <= 64 and all(c.isascii() and (c.isalnum() or c in "_.-") for c in value)
    ):
        raise argparse.ArgumentTypeError(
            f"state prefix {value[:70]!r}: 1-64 letters, digits, '_', '.' or '-'"
        )
    return value
