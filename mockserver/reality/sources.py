"""The requests an app really made, as ``verify`` reads them (a journal export, or a cassette)
and the pytest plugin writes them. A body the journal cut short is never sent: it would be
another request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from mockserver.control import PREFIX
from mockserver.errors import DataError
from mockserver.journal.masking import MASK, Masker
from mockserver.journal.record import Entry, Record, read
from mockserver.journal.recorder import BODY_CUT
from mockserver.reality.cassette import parse_cassette, read_file

#: Recorded headers not sent again: per connection, computed by the client, or the mock's own.
NOT_RESENT = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "accept-encoding",
        "user-agent",
        "prefer",
        "x-mockserver-token",
    }
)


@dataclass(frozen=True)
class Sent:
    """One request to send again."""

    api: str | None
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    #: Why it must not be sent again (its body was cut in the journal); empty: it may be.
    refusal: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    def resent_headers(self) -> dict[str, str]:
        """The recorded headers worth sending again (no masked value, nothing per connection)."""
        return {
            name: value
            for name, value in self.headers
            if name not in NOT_RESENT and not name.startswith("x-mockserver-") and MASK not in value
        }


def _sent_from_entry(entry: Any, where: str) -> Sent:
    if not isinstance(entry, dict):
        raise DataError(f"{where}: a journal entry is a JSON object")
    try:
        method, path = str(entry["method"]).upper(), str(entry["path"])
    except KeyError as missing:
        raise DataError(f"{where}: a journal entry needs {missing}") from None
    headers = entry.get("headers") or {}
    if not isinstance(headers, dict):
        raise DataError(f"{where}: headers must be an object")
    body = entry.get("body") or ""
    if not isinstance(body, str):
        raise DataError(f"{where}: body must be a string")
    warnings = entry.get("warnings") or ()
    cut = isinstance(warnings, list) and any(str(w).startswith(BODY_CUT) for w in warnings)
    return Sent(
        api=entry.get("api"),
        method=method,
        path=path,
        query=str(entry.get("query") or ""),
        headers=tuple((str(k).lower(), str(v)) for k, v in headers.items()),
        body=body.encode("utf-8"),
        refusal="its body was cut in the journal (--journal-entry-bytes)" if cut else "",
    )


def from_journal_document(document: Any, source: str) -> list[Sent]:
    """Requests of a journal export (``{"requests": [...]}`` or a bare list of entries)."""
    entries = document.get("requests") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise DataError(f"{source}: not a journal export (expected {{'requests': [...]}})")
    sent = [_sent_from_entry(entry, f"{source} entry {i}") for i, entry in enumerate(entries, 1)]
    return [s for s in sent if not s.path.startswith(PREFIX)]


def read_requests(path: Path) -> list[Sent]:
    """Requests from a journal export (one JSON document) or a cassette (JSON Lines)."""
    data = read_file(path)
    try:
        document = orjson.loads(data)  # a cassette of several lines is not one JSON document
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, list) or (isinstance(document, dict) and "requests" in document):
        return from_journal_document(document, path.name)
    exchanges = parse_cassette(data, path.name)
    return [Sent(e.api, e.method, e.path, e.query, e.headers, e.body) for e in exchanges]


def distinct(
    requests: Iterable[Sent], safe: frozenset[str] | None = None
) -> list[tuple[Sent, int]]:
    """Each different request once (first seen first), with how often it was made. With writes
    sent (``safe``: the methods that change nothing), no write is merged, nor requests a write
    came between (a GET before a DELETE and after it are two observations)."""
    counts: Counter[tuple[int, Sent]] = Counter()
    round_ = 0
    for request in requests:
        if safe is not None and request.method not in safe:
            round_ += 1  # a new round: nothing before this write merges with what follows
        counts[(round_, request)] += 1
    return [(request, times) for (_, request), times in counts.items()]


# -- writing (the pytest plugin) ---------------------------------------------------------------
def write_journal(path: Path, records: Sequence[Record], masker: Masker) -> None:
    """Records as ``GET /__mockserver/requests`` shows them: decoded, secrets masked."""
    entries: list[Entry] = read(list(enumerate(records, 1)), masker)
    document = {"count": len(entries), "requests": [entry.as_dict() for entry in entries]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
