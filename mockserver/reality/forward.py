"""Send one request to the upstream as it came, and bring its answer back unchanged.

Through aiohttp (its C parser is llhttp, uvicorn's): idle connections expire, ``HTTP(S)_PROXY``
/ ``NO_PROXY`` and ``SSL_CERT_FILE`` are honoured, 1xx answers skipped, trailers never made
headers. Measured (docs/PERFORMANCE.md, "Proxy overhead"): ~0.13 ms of CPU per request, against
~0.06 ms for the hand-written httptools client it replaced and ~0.4 ms for httpcore; only with
aiohttp does ``bench/proxy.py`` at 1 connection stay within the 1 ms goal. The target goes as it
came (no ``/a/../b`` -> ``/b``, no re-quoting) but for the bytes a request line cannot carry; one
total deadline per exchange, a cap on the answer's size; a failure is an
:class:`UpstreamFailure` (502 or 504 in the API's dialect).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import yarl

from mockserver.journal.masking import shown_url
from mockserver.limits import MAX_UPSTREAM_ANSWER
from mockserver.reality.headers import RawHeaders, end_to_end
from mockserver.reality.options import DEFAULT_TIMEOUT

#: Connections the proxy opens to the upstream at most; further requests wait for one
#: (within their deadline).
MAX_CONNECTIONS = 100
#: Seconds an idle kept-alive connection is kept before it is closed.
IDLE_SECONDS = 15.0
#: Bytes that cannot stand in a request line (space, controls, non-ASCII) are percent-encoded;
#: every other byte of the target goes as it came.
_UNSAFE = re.compile(rb"[\x00-\x20\x7f-\xff]")
#: Request headers not forwarded besides the hop-by-hop ones: ``Host`` is the upstream's, the
#: length is the body's, and ``Expect`` would ask the upstream for an interim answer the proxy
#: (which has read the whole body) does not need.
REPLACED = frozenset({b"host", b"content-length", b"expect"})
#: Methods whose empty body is sent without a ``Content-Length``.
_BODILESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})
#: Headers aiohttp would add on its own: a proxy sends only what the client sent.
NOT_ADDED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    headers: RawHeaders
    body: bytes


class UpstreamFailure(Exception):
    """No usable answer: ``kind`` is ``unreachable``, ``timeout`` or ``garbage``."""

    STATUS = {"unreachable": 502, "garbage": 502, "timeout": 504}

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = self.STATUS[kind]


class Upstream:
    """The real deployment behind the proxy: ``base_url`` may carry a path prefix."""

    def __init__(
        self,
        base_url: str,
        timeout: float = DEFAULT_TIMEOUT,
        max_answer: int = MAX_UPSTREAM_ANSWER,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s):// URL, got {shown_url(base_url)!r}")
        self.base_url = shown_url(base_url.rstrip("/"))
        host = parts.netloc.rpartition("@")[2]
        self.origin = f"{parts.scheme}://{host}"
        self.prefix = parts.path.rstrip("/").encode()
        self.host_header = host.encode("idna")
        self.timeout = timeout
        self.max_answer = max_answer
        self.idle_seconds = idle_seconds
        # HTTP(S)_PROXY unless NO_PROXY exempts the host, looked up once: aiohttp's trust_env
        # looks it up on a thread per request (~0.3 ms each on the development machine).
        bypass = urllib.request.proxy_bypass(parts.hostname)
        self.proxy = None if bypass else urllib.request.getproxies().get(parts.scheme)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """The session, made in the event loop that uses it."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS,
                    keepalive_timeout=self.idle_seconds,
                    # made now, not at aiohttp's import: SSL_CERT_FILE as it is when serving
                    ssl=ssl.create_default_context(),
                ),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                auto_decompress=False,
                skip_auto_headers=NOT_ADDED,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def request_headers(self, headers: RawHeaders) -> list[tuple[str, str]]:
        """End-to-end headers, ``Host`` rewritten (the length is the body's, set by the client)."""
        sent = [(b"host", self.host_header)]
        sent += [(n, v) for n, v in end_to_end(headers) if n.lower() not in REPLACED]
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in sent]

    async def send(
        self, method: str, raw_path: bytes, query: bytes, headers: RawHeaders, body: bytes
    ) -> UpstreamAnswer:
        """The upstream's answer to the request, or an :class:`UpstreamFailure`."""
        target = self.prefix + raw_path + (b"?" + query if query else b"")
        target = _UNSAFE.sub(lambda m: b"%%%02X" % m.group()[0], target)
        url = yarl.URL(self.origin + target.decode("ascii"), encoded=True)
        try:
            async with self._client().request(
                method,
                url,
                headers=self.request_headers(headers),
                data=body if body or method not in _BODILESS else None,
                allow_redirects=False,
                proxy=self.proxy,
            ) as answer:
                content = await self._read(answer)
                headers = [(name.lower(), value) for name, value in answer.raw_headers]
                return UpstreamAnswer(answer.status, headers, content)
        except asyncio.TimeoutError:
            raise UpstreamFailure("timeout", f"no answer within {self.timeout:g} s") from None
        except (aiohttp.ClientConnectionError, OSError) as exc:  # refused, reset, TLS
            raise UpstreamFailure("unreachable", str(exc) or type(exc).__name__) from None
        except aiohttp.ClientError as exc:  # not HTTP, a broken or cut body
            raise UpstreamFailure("garbage", str(exc) or type(exc).__name__) from None

    async def _read(self, answer: aiohttp.ClientResponse) -> bytes:
        chunks, size = [], 0
        async for chunk in answer.content.iter_any():
            size += len(chunk)
            if size > self.max_answer:
                answer.close()
                raise UpstreamFailure("garbage", f"an answer over {self.max_answer} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
