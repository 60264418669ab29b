"""One bounded HTTP exchange for ``mockserver verify``. A recorded path decides where a real
credential goes, so :func:`target` checks it first (``http://127.0.0.1:48`` + ``40/v3/...`` is
port 4840); every answer is read with a size cap and a total deadline, so an endless or a
trickling answer ends the read."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from mockserver.contract.writes import SAFE_METHODS
from mockserver.limits import MAX_UPSTREAM_ANSWER


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def media_type(self) -> str | None:
        value = next((v for n, v in self.headers if n == "content-type"), None)
        return value.split(";")[0].strip().lower() if value else None


class Unanswered(Exception):
    """No usable answer: why, in one line."""


def target(base: str, method: str, path: str, query: str, writes: bool) -> httpx.URL | str:
    """The URL a recorded request goes to at ``base``, or why it must not be sent."""
    if method not in SAFE_METHODS and not writes:
        return f"{method} may change data (--allow-writes sends it)"
    if not path.startswith("/") or path.startswith("//"):
        return "its path does not start with a single /"
    try:
        origin = httpx.URL(base)
        url = httpx.URL(base + path + (f"?{query}" if query else ""))
    except (httpx.InvalidURL, ValueError) as exc:
        return f"not a URL ({exc})"
    if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
        return f"it would go to {url.scheme}://{url.host}:{url.port}, not to {base}"
    return url


def fetch(
    http: httpx.Client,
    method: str,
    url: httpx.URL | str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
    limit: int = MAX_UPSTREAM_ANSWER,
) -> Answer:
    """The answer within ``timeout`` seconds in total (checked per chunk; one read waits at most
    the client's timeout) and ``limit`` bytes (decoded), or :class:`Unanswered`."""
    deadline = time.monotonic() + timeout
    try:
        with http.stream(method, url, headers=headers, content=body or None) as answer:
            chunks, size = [], 0
            for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise Unanswered(f"an answer over {limit} bytes")
                if time.monotonic() > deadline:
                    raise Unanswered(f"the answer took longer than {timeout:g} s")
                chunks.append(chunk)
            pairs = tuple((k.lower(), v) for k, v in answer.headers.multi_items())
            return Answer(answer.status_code, pairs, b"".join(chunks))
    except httpx.HTTPError as exc:
        raise Unanswered(f"{type(exc).__name__}: {exc}") from None
