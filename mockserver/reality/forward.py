"""Send one request to the upstream exactly as it came, and bring its answer back unchanged.

The target (path and query bytes) and the end-to-end headers go as they came, ``Host``
rewritten to the upstream's; the body is read whole and sent with its ``Content-Length``. One
connection pool per upstream (``client.py``), one total deadline per exchange (connect, send,
answer, body). A failure is an :class:`UpstreamFailure` saying which kind: the proxy answers it
502 (unreachable, garbage) or 504 (too slow) in the API's dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mockserver.reality.client import ClientError, ConnectionPool
from mockserver.reality.headers import RawHeaders, end_to_end
from mockserver.reality.options import DEFAULT_TIMEOUT

#: Connections the proxy opens to the upstream at most; further requests wait for one
#: (within their deadline).
MAX_CONNECTIONS = 100
#: Bytes that would break the request line (space, controls) are percent-encoded; every other
#: byte of the target goes as it came, high bytes included.
_UNSAFE = re.compile(rb"[\x00-\x20\x7f]")
#: Request headers not forwarded besides the hop-by-hop ones: ``Host`` is the upstream's, the
#: length is the body's, and ``Expect`` would ask the upstream for an interim answer the proxy
#: (which has read the whole body) does not need.
REPLACED = frozenset({b"host", b"content-length", b"expect"})


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    headers: RawHeaders
    body: bytes


class UpstreamFailure(Exception):
    """No usable answer: ``kind`` is ``unreachable``, ``timeout`` or ``garbage``."""

    STATUS = {"unreachable": 502, "garbage": 502, "timeout": 504}
    #: The client's failure kinds, as the proxy reports them.
    KINDS = {"connect": "unreachable", "closed": "unreachable", "timeout": "timeout"}

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def status(self) -> int:
        return self.STATUS[self.kind]


def _encode_unsafe(target: bytes) -> bytes:
    return _UNSAFE.sub(lambda m: b"%%%02X" % m.group()[0], target)


class Upstream:
    """The real deployment behind the proxy: ``base_url`` may carry a path prefix."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s):// URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        tls = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/").encode()
        self.host_header = parts.netloc.rpartition("@")[2].encode("idna")
        self.timeout = timeout
        self.pool = ConnectionPool(
            parts.hostname, parts.port or (443 if tls else 80), tls, MAX_CONNECTIONS
        )

    def request_headers(self, headers: RawHeaders, body: bytes, method: str) -> RawHeaders:
        """End-to-end headers, ``Host`` rewritten, ``Content-Length`` the body's (read whole)."""
        sent = [(b"host", self.host_header)]
        sent += [(n, v) for n, v in end_to_end(headers) if n.lower() not in REPLACED]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS", "TRACE"):
            sent.append((b"content-length", str(len(body)).encode()))
        return sent

    async def send(
        self, method: str, raw_path: bytes, query: bytes, headers: RawHeaders, body: bytes
    ) -> UpstreamAnswer:
        """The upstream's answer to the request, or an :class:`UpstreamFailure`."""
        target = _encode_unsafe(self.prefix + raw_path + (b"?" + query if query else b""))
        sent = self.request_headers(headers, body, method)
        try:
            answer = await self.pool.request(method, target, sent, body, self.timeout)
        except ClientError as error:
            raise UpstreamFailure(self._kind(error), error.detail) from None
        return UpstreamAnswer(answer.status, answer.headers, answer.body)

    @staticmethod
    def _kind(error: ClientError) -> str:
        return UpstreamFailure.KINDS.get(error.kind, "garbage")

    async def aclose(self) -> None:
        self.pool.close()
