"""Journal records as the shared stream stores them: secrets masked, packed as JSON, and back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from mockserver.journal.record import Record
from mockserver.lru import LruCache

if TYPE_CHECKING:
    from mockserver.journal.masking import Masker

#: Masked headers and queries kept by what they were masked from: a client repeats its headers
#: and many of its queries, and masking is most of what storing a record costs.
MASKED_CACHE_SIZE = 512


class Packer:
    """Records as stored: masked query and headers (first value of each name), JSON."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self._headers: LruCache[list[tuple[str, str]]] = LruCache(MASKED_CACHE_SIZE)
        self._queries: LruCache[str] = LruCache(MASKED_CACHE_SIZE)

    def __call__(self, record: Record) -> bytes:
        query = record.query.decode("latin-1")
        body = self.masker.body(record.body, record.headers, query) if record.body else ""
        return orjson.dumps(
            [
                *record[:5],  # time, api, operation, method, path
                self._query(record.query),
                *record[6:8],  # status, ms
                self._header_items(record.headers),
                *record[9:12],  # warnings, violations, source
                body,
            ],
            default=str,
        )

    def _header_items(self, raw: Any) -> list[tuple[str, str]]:
        key = tuple(raw)
        items = self._headers.get(key)
        if items is None:
            items = self._headers.put(key, list(self.masker.header_items(key).items()))
        return items

    def _query(self, raw: bytes) -> str:
        shown = self._queries.get(raw)
        if shown is None:
            shown = self._queries.put(raw, self.masker.query(raw.decode("latin-1")))
        return shown


def unpack(data: bytes) -> Record:
    """What :class:`Packer` wrote (an entry stored before bodies were journaled has none)."""
    fields = orjson.loads(data)
    query, headers, body = fields[5], fields[8], (fields[12:] or [""])[0]
    return Record(
        *fields[:5],
        query.encode("latin-1"),
        *fields[6:8],
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        tuple(fields[9]),
        tuple(fields[10]),
        fields[11],
        masked=True,
        body=body.encode(),
    )
