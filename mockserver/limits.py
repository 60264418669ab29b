"""Every bound the mock puts on what a client can make it do, with its default, in one place.

docs/SECURITY.md lists them with their flags; ``ServeConfig`` carries the chosen values.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Largest data-load body (``PUT /__mockserver/data/{api}``) and fixture file, in bytes.
MAX_LOAD_BYTES = 4 * 2**20
#: Seconds a data load may take, from its first body byte to the new version in service.
LOAD_TIMEOUT = 10.0
#: Largest JSON body of the other control calls (scenarios, faults), in bytes.
MAX_CONTROL_BODY = 64 * 2**10
#: Largest request body of an API operation (a write's JSON), in bytes: read whole, then decoded.
MAX_REQUEST_BODY = 1 * 2**20
#: Request headers, in bytes, before 431 (nginx accepts 4 x 8 KB lines by default; 16 KB of
#: headers - a big cookie, a long token - stays well inside).
MAX_HEADER_BYTES = 32 * 2**10
#: Bytes of request (target and headers) one journal entry keeps; the rest is cut, marked.
JOURNAL_ENTRY_BYTES = 8 * 2**10
#: Seconds an idle keep-alive connection stays open (uvicorn's default).
TIMEOUT_KEEP_ALIVE = 5.0
#: Seconds a connection may take to send a complete request head (slowloris; idle sockets).
HEADER_TIMEOUT = 10.0
#: Descriptors kept free for files, SQLite and logs when connections are capped by the
#: descriptor limit (``--max-connections`` default: the soft RLIMIT_NOFILE minus this).
RESERVED_DESCRIPTORS = 64
#: Bytes of one upstream answer (head and body) ``mockserver proxy`` reads before it gives up
#: with a 502: an answer is held in memory whole, to be validated and recorded.
MAX_UPSTREAM_ANSWER = 64 * 2**20
#: Seconds SIGTERM waits for requests in flight before cancelling them (then exits 0).
SHUTDOWN_GRACE = 2.5


@dataclass(frozen=True)
class LoadLimits:
    """What a data load may cost: its body's size and its wall-clock time."""

    max_bytes: int = MAX_LOAD_BYTES
    timeout: float = LOAD_TIMEOUT
    max_control_body: int = MAX_CONTROL_BODY
