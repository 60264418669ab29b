"""Every bound the mock puts on what a client can make it do, declared once in :data:`TABLE`
(the CLI's flags are made from it; a test checks docs/SECURITY.md's table against it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from mockserver.numbers import bounded_int, bounded_seconds

# What each bound bounds is its TABLE entry's help; here only why a default is what it is.
MAX_LOAD_BYTES = 4 * 2**20
LOAD_TIMEOUT = 10.0
MAX_CONTROL_BODY = 64 * 2**10
MAX_REQUEST_BODY = 256 * 2**10  # segment writes carry a name and a query
MAX_DECLARED_BODY = 8 * 2**20  # SendGrid's contact upsert takes 6 MB
QUERY_SECONDS = 2.0
#: nginx accepts 4 x 8 KB lines by default; 16 KB of headers (a big cookie, a long token) fits.
MAX_HEADER_BYTES = 32 * 2**10
JOURNAL_ENTRY_BYTES = 8 * 2**10
TIMEOUT_KEEP_ALIVE = 5.0  # uvicorn's default
HEADER_TIMEOUT = 10.0  # slowloris; idle sockets
#: Descriptors kept free for files, SQLite and logs when connections are capped by the
#: descriptor limit (``--max-connections`` default: the soft RLIMIT_NOFILE minus this).
RESERVED_DESCRIPTORS = 64
#: An upstream answer is held in memory whole, to be validated and recorded.
MAX_UPSTREAM_ANSWER = 64 * 2**20
SHUTDOWN_GRACE = 2.5


def body_limit(declared: int | None) -> int:
    """An operation's request-body bound, the mock's and its proxy's alike: its own
    ``x-max-body-bytes`` (at most :data:`MAX_DECLARED_BODY`), else :data:`MAX_REQUEST_BODY`."""
    return min(declared or MAX_REQUEST_BODY, MAX_DECLARED_BODY)


class LoadLimits(NamedTuple):
    """What a data load may cost: its body's size and its wall-clock time."""

    max_bytes: int = MAX_LOAD_BYTES
    timeout: float = LOAD_TIMEOUT
    max_control_body: int = MAX_CONTROL_BODY


class Limit(NamedTuple):
    """One bound: its ``mockserver serve`` flag (``None``: fixed), default and unit, and the
    flag's help - what it bounds and what happens past it (argparse's ``%(default)``)."""

    name: str
    default: float | None
    unit: str  # "bytes" or "s"
    help: str
    flag: str | None = None
    parse: Callable[[str], Any] | None = None

    @property
    def shown(self) -> str:
        """The default as docs/SECURITY.md writes it: ``4 MiB``, ``32 KiB``, ``2.5 s``."""
        if self.default is None:
            return "-"
        if self.unit == "s":
            return f"{self.default:g} s"
        for size, suffix in ((2**20, "MiB"), (2**10, "KiB")):
            if self.default % size == 0:
                return f"{int(self.default // size)} {suffix}"
        return f"{int(self.default)} bytes"


TABLE = (
    Limit(
        "load body",
        MAX_LOAD_BYTES,
        "bytes",
        "largest data-load body and fixture file (default %(default)s; past it: 413)",
        "--max-load-bytes",
        bounded_int("max load bytes", 1024, 2**31),
    ),
    Limit(
        "load time",
        LOAD_TIMEOUT,
        "s",
        "seconds a data load may take before it is stopped (default %(default)g; 408)",
        "--load-timeout",
        bounded_seconds("load timeout", 0.1, 3600),
    ),
    Limit(
        "request headers",
        MAX_HEADER_BYTES,
        "bytes",
        "bytes of request headers (default %(default)s; past it: 431)",
        "--max-header-bytes",
        bounded_int("max header bytes", 1024, 2**24),
    ),
    Limit(
        "journal entry",
        JOURNAL_ENTRY_BYTES,
        "bytes",
        "request bytes a journal entry keeps; the rest is cut, marked (default %(default)s)",
        "--journal-entry-bytes",
        bounded_int("journal entry bytes", 256, 2**24),
    ),
    Limit(
        "idle keep-alive",
        TIMEOUT_KEEP_ALIVE,
        "s",
        "close idle keep-alive connections after S seconds (default %(default)g)",
        "--timeout-keep-alive",
        bounded_seconds("keep-alive timeout", 0.1, 3600),
    ),
    Limit(
        "request head time",
        HEADER_TIMEOUT,
        "s",
        "close a connection that sends no complete request head for S seconds "
        "(default %(default)g)",
        "--header-timeout",
        bounded_seconds("header timeout", 0.1, 3600),
    ),
    Limit(
        "open connections",
        None,
        "",
        "open connections at most; past it the longest idle is closed "
        "(default: the descriptor limit less a reserve)",
        "--max-connections",
        bounded_int("max connections", 16, 1_000_000),
    ),
    Limit("control body", MAX_CONTROL_BODY, "bytes", "body of any other control call"),
    Limit("request body", MAX_REQUEST_BODY, "bytes", "JSON body of an API operation (413)"),
    Limit(
        "declared body",
        MAX_DECLARED_BODY,
        "bytes",
        "JSON body an operation declares for itself (x-max-body-bytes; 413)",
    ),
    Limit("segment query", QUERY_SECONDS, "s", "one SendGrid v2 query (INVALID past it)"),
    Limit("upstream answer", MAX_UPSTREAM_ANSWER, "bytes", "one upstream answer (proxy)"),
    Limit("shutdown grace", SHUTDOWN_GRACE, "s", "requests in flight after SIGTERM"),
)
