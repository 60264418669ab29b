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
        return orjson.dumps(
            [
                record.time,
                record.api,
                record.operation,
                record.method,
                record.path,
                self._query(record.query),
                record.status,
                record.ms,
                self._header_items(record.headers),
                list(record.warnings),
                list(record.violations),
                record.source,
                self._body(record),
            ],
            default=str,
        )

    def _body(self, record: Record) -> str:
        if not record.body:
            return ""
        return self.masker.body(record.body, record.headers, record.query.decode("latin-1"))

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
    fields = orjson.loads(data)
    time, api, operation, method, path, query, status, ms, headers, warnings, violations = fields[
        :11
    ]
    source, body = (*fields[11:], "")[:2]
    return Record(
        time,
        api,
        operation,
        method,
        path,
        query.encode("latin-1"),
        status,
        ms,
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        tuple(warnings),
        tuple(violations),
        source,
        masked=True,
        body=body.encode(),
    )


def default_masker() -> Masker:
    from mockserver.journal.masking import Masker

    return Masker()
