"""argparse value types of the command line: each parses one flag's text or says why not."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.contract.options import ReportTarget

_RATE = re.compile(r"(?P<count>[1-9]\d*)/(?P<unit>[smh])")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD = re.compile(r"[^\s,]+")


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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
    from mockserver.state.memory import SCHEMES

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


def base_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise argparse.ArgumentTypeError(f"expected an http(s):// URL, got {value!r}")
    return value.rstrip("/")


def header(value: str) -> tuple[str, str]:
    """``'Name: value'`` -> ``("Name", "value")``, as curl's ``-H`` reads it."""
    name, sep, rest = value.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {value.split(':')[0]!r}...")
    return name, rest.strip()


def rate_limit(value: str) -> str:
    """``N/s`` (or ``N/m``, ``N/h``); ``off`` sends as fast as the server answers."""
    value = value.strip().lower()
    if value == "off" or _RATE.fullmatch(value):
        return value
    raise argparse.ArgumentTypeError(f"expected N/s, N/m, N/h or off, got {value!r}")


def report(value: str) -> ReportTarget:
    from mockserver.contract.options import REPORT_FORMATS, ReportTarget

    kind, sep, path = value.partition(":")
    if not sep or kind not in REPORT_FORMATS or not path:
        raise argparse.ArgumentTypeError(f"expected junit:PATH, got {value!r}")
    return ReportTarget(kind, Path(path))


def field_names(value: str) -> list[str]:
    names = _FIELD.findall(value)
    if not names:
        raise argparse.ArgumentTypeError(f"expected FIELD[,FIELD...], got {value!r}")
    return names


def names_of(kind: str, allowed: Sequence[str], ordered: bool = False):
    """``a,b`` -> names of ``allowed`` (``all``: every one); ``ordered``: in ``allowed``'s order."""

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
        return [name for name in allowed if name in names] if ordered else names

    return parse
