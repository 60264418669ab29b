"""``serve --replay FILE``: recorded exchanges answered byte for byte, before any behaviour; what
makes a request match one is in docs/REALITY.md (``serve --replay``). With no cassette loaded
the request path checks one attribute (:attr:`Replays.active`)."""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from mockserver.journal.masking import Masker, mask_body
from mockserver.vendors.interface import Reply

if TYPE_CHECKING:
    from starlette.types import Scope

    from mockserver.reality.cassette import RecordedExchange
    from mockserver.reality.checks import ApiChecks
    from mockserver.runtime import ApiRuntime

#: (api, method, path, query pairs, identity, body's canonical form)
Key = tuple[str, str, str, tuple[tuple[str, str], ...], str | None, bytes | None]


def canonical_body(body: bytes, secrets: tuple[str, ...] = ()) -> bytes | None:
    """What of a request body a match compares: masked as a cassette holds it, JSON as its value
    with sorted keys (the stdlib's parser: integers exact, ``1`` and ``1.0`` differ)."""
    if not body.strip():
        return None
    masked = mask_body(body, secrets)
    try:
        value = json.loads(masked)
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # not JSON, or nested past any parser: the bytes
        return masked


@dataclass
class _Track:
    """The answers recorded for one key, and which one comes next."""

    replies: list[Reply] = field(default_factory=list)
    next: int = 0

    def take(self) -> Reply:
        reply = self.replies[min(self.next, len(self.replies) - 1)]
        self.next += 1
        return reply


class Replays:
    """The cassettes in service: the start-up ones (``files``, each refused with its line and
    reason: a DataError), or the last set loaded at run time."""

    def __init__(
        self, runtimes: Mapping[str, ApiRuntime], masker: Masker, files: Iterable[Path] = ()
    ) -> None:
        self._runtimes = runtimes
        self.identity = {api: r.vendor.credential.header.lower() for api, r in runtimes.items()}
        self.masker = masker
        self._lock = threading.Lock()
        self.startup: tuple[RecordedExchange, ...] = ()
        if files:  # the cassette reader only with ``--replay``
            from mockserver.reality.cassette import parse_cassette, read_file

            read = (parse_cassette(read_file(p, "cassette "), p.name, self.checks) for p in files)
            self.startup = tuple(exchange for exchanges in read for exchange in exchanges)
        self.install(self.startup)

    @functools.cached_property
    def checks(self) -> Mapping[str, ApiChecks]:
        """The served APIs' checks, built (their modules imported) when a cassette is first read:
        start-up without ``--replay`` does without them (issue 25)."""
        from mockserver.reality.checks import ApiChecks

        return {api: ApiChecks(runtime) for api, runtime in self._runtimes.items()}

    def install(self, exchanges: Sequence[RecordedExchange]) -> None:
        """Serve exactly these exchanges from now on (one assignment; cursors start over)."""
        index: dict[Key, _Track] = {}
        for exchange in exchanges:
            # Headers as recorded (Content-Type too: nothing is added); the server adds the length.
            reply = Reply(exchange.status, exchange.response_body, None, exchange.response_headers)
            index.setdefault(self._recorded_key(exchange), _Track()).replies.append(reply)
        with self._lock:
            self.exchanges = tuple(exchanges)
            self._index = index
            self.active = bool(index)

    def reset(self) -> None:
        """Back to the start-up cassettes, each from its first answer."""
        self.install(self.startup)

    def clear(self) -> int:
        count = len(self.exchanges)
        self.install(())
        return count

    def describe(self) -> dict[str, Any]:
        apis = dict(Counter(exchange.api for exchange in self.exchanges))
        return {"exchanges": len(self.exchanges), "requests": len(self._index), "apis": apis}

    def match(self, api: str, scope: Scope, body: object = None) -> Reply | None:
        """The recorded answer to this request, or ``None``. A ``body`` past the limit (not
        bytes) matches nothing: the operation refuses it."""
        method = scope["method"]
        raw_query = scope["query_string"].decode("latin-1")
        query = tuple(sorted(parse_qsl(self.masker.query(raw_query), keep_blank_values=True)))
        identity = self._identity(api, scope["headers"])
        raw: object = b"" if body is None else body
        if not isinstance(raw, bytes):
            return None
        compared = None
        if raw.strip() and self._reads_body(api, method, scope["path"]):
            compared = canonical_body(raw, self.masker.secrets(scope["headers"], raw_query))
        track = self._index.get((api, method, scope["path"], query, identity, compared))
        if track is None and method == "HEAD":
            track = self._index.get((api, "GET", scope["path"], query, identity, None))
        if track is None:
            return None
        with self._lock:
            return track.take()

    def _reads_body(self, api: str, method: str, path: str) -> bool:
        """Does the operation at ``method path`` tell its requests apart by their body?"""
        api_checks = self.checks.get(api)
        route = api_checks.route(method, path) if api_checks is not None else None
        operation = route.operation if route is not None else None
        return operation is not None and operation.request_body is not None

    def _identity(self, api: str, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        name = self.identity.get(api)
        wanted = name.encode("latin-1") if name is not None else None
        value = next((v for header, v in headers if header.lower() == wanted), None)
        return None if value is None else self.masker.header(name, value.decode("latin-1"))

    def _recorded_key(self, exchange: RecordedExchange) -> Key:
        name = self.identity.get(exchange.api)
        identity = dict(exchange.headers).get(name) if name is not None else None
        query = tuple(sorted(parse_qsl(exchange.query, keep_blank_values=True)))
        body = None
        if self._reads_body(exchange.api, exchange.method, exchange.path):
            body = canonical_body(exchange.body)
        return (exchange.api, exchange.method, exchange.path, query, identity, body)
