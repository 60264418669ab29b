"""An ASGI HTTP scope for benchmarks that call an app directly, with no client or socket."""

from __future__ import annotations

from typing import Any


def http_scope(url: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The scope of ``GET url`` (path and query string) carrying ``headers`` after ``host``."""
    path, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 4010),
    }
