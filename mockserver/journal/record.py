"""What the journal keeps of one request (:class:`Record`: as it came, nothing decoded or copied
per request), and how a reader sees it (:class:`Entry`: decoded and masked when read)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, fields
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from mockserver.journal.masking import Masker

#: Marks the end of a cut value in the journal.
CUT_MARK = "..."
_CUT = CUT_MARK.encode()
#: UTF-8 lead bytes -> how many continuation bytes follow them.
_FOLLOWERS = {**dict.fromkeys(range(0xC0, 0xE0), 1), **dict.fromkeys(range(0xE0, 0xF0), 2)}
_FOLLOWERS.update(dict.fromkeys(range(0xF0, 0xF8), 3))


def cut_query(query: bytes, room: int) -> bytes:
    """``query`` in at most ``room`` bytes, marked ``...`` when cut: never inside a
    percent-escape, nor inside the bytes (escaped or raw) of one UTF-8 character, so a reader
    decodes whole characters and sees where the cut is."""
    if len(query) <= room:
        return query
    kept = query[: max(room - len(_CUT), 0)]
    if kept[-1:] == b"%":
        kept = kept[:-1]
    elif kept[-2:-1] == b"%":
        kept = kept[:-2]
    return kept[: len(kept) - _partial_character(kept)] + _CUT


def _partial_character(text: bytes) -> int:
    """Bytes at the end of ``text`` that start a UTF-8 character without ending it."""
    units: list[tuple[int, int]] = []  # (byte value, its length in text), last first
    end = len(text)
    while end > 0 and len(units) < 4:
        escaped = end >= 3 and text[end - 3] == 0x25  # %XX
        try:
            value = int(text[end - 2 : end], 16) if escaped else text[end - 1]
        except ValueError:
            value, escaped = text[end - 1], False
        if value < 0x80:
            break
        units.append((value, 3 if escaped else 1))
        end -= units[-1][1]
        if value >= 0xC0:  # the lead byte: whole if all its followers came after it
            return 0 if _FOLLOWERS.get(value, 0) < len(units) else sum(n for _, n in units)
    return 0


class Record(NamedTuple):
    """One request as it came, and what it was answered."""

    time: float
    api: str | None
    operation: str | None
    method: str
    path: str
    query: bytes
    status: int
    ms: float
    headers: list[tuple[bytes, bytes]]
    warnings: tuple[str, ...] = ()
    violations: tuple[dict[str, Any], ...] = ()
    source: str = "mock"
    #: ``True`` when ``query`` and ``headers`` were masked before the record was stored (a
    #: journal shared through Redis never holds a secret): readers must not mask them again.
    masked: bool = False
    #: The request body as read (at most ``--journal-entry-bytes``; masked with the rest).
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry as ``GET /__mockserver/requests`` shows it (fields in its order)."""

    id: int
    time: float
    api: str | None
    operation: str | None
    method: str
    path: str
    query: str
    status: int
    ms: float
    headers: dict[str, str]
    params: dict[str, list[str]]
    warnings: tuple[str, ...]
    violations: tuple[dict[str, Any], ...]
    source: str
    body: str | None

    @classmethod
    def of(cls, id_: int, record: Record, masker: Masker) -> Entry:
        query = record.query.decode("latin-1")
        if record.masked:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in record.headers}
            body = record.body.decode("utf-8", "replace") if record.body else None
        else:
            body = masker.body(record.body, record.headers, query) if record.body else None
            query, headers = masker.query(query), masker.header_items(record.headers)
        return cls(
            id_,
            *record[:5],  # time, api, operation, method, path
            query,
            record.status,
            round(record.ms, 3),
            headers,
            parse_qs(query, keep_blank_values=True),
            record.warnings,
            record.violations,
            record.source,
            body,
        )

    def as_dict(self) -> dict[str, Any]:
        shown = {field.name: getattr(self, field.name) for field in fields(self)}
        return {**shown, "warnings": list(self.warnings), "violations": list(self.violations)}


@dataclass(frozen=True, slots=True)
class Filter:
    """The journal's filter: exact method and API, the path exactly or as a ``*`` pattern."""

    path: str | None = None
    method: str | None = None
    api: str | None = None

    def __call__(self, record: Record) -> bool:
        if self.method is not None and record.method != self.method.upper():
            return False
        if self.api is not None and record.api != self.api:
            return False
        if self.path is not None and "*" in self.path:
            return fnmatch.fnmatchcase(record.path, self.path)
        return self.path is None or record.path == self.path


def read(
    records: list[tuple[int, Record]],
    masker: Masker,
    where: Filter | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """The newest ``limit`` records matching ``where``, oldest first, decoded and masked."""
    where = where or Filter()
    chosen = [(id_, record) for id_, record in records if where(record)]
    if limit is not None:
        chosen = chosen[-limit:] if limit > 0 else []
    return [Entry.of(id_, record, masker) for id_, record in chosen]
