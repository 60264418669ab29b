"""``--redact email,first_name``: personal values replaced by seeded fakes of the same format.

A value is replaced wherever its property appears in a JSON body, and in a query parameter of
the same name, before a cassette line is written. The fake keeps the format a schema checks
(a UUID stays a UUID, a date-time a date-time, an email an email at example.com, other text
keeps its length and letter/digit/punctuation pattern, a number its digits) and is drawn from
``(seed, property, original value)`` through SHA-256, never ``hash()``: the same person gets the
same fake in every exchange and every run, and the fake tells nothing about the original.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from mockserver.conformance.validator import decode_json

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:(?P<sep>[T ])\d{2}:\d{2}:\d{2}(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Redactor:
    """Replaces the values of ``fields`` (JSON property / query parameter names)."""

    def __init__(self, fields: Iterable[str], seed: int = 0) -> None:
        self.fields = frozenset(name.strip() for name in fields if name.strip())
        self.seed = seed

    def __bool__(self) -> bool:
        return bool(self.fields)

    # -- bodies and queries -----------------------------------------------------------------
    def body(self, body: bytes, media_type: str | None) -> bytes:
        """A JSON body with the fields' values faked (compact JSON); anything else unchanged."""
        if not self.fields or not body or "json" not in (media_type or ""):
            return body
        try:
            document = decode_json(body)
        except ValueError:
            return body
        redacted, changed = self._walk(document)
        return orjson.dumps(redacted) if changed else body

    def query(self, query: str) -> str:
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(name in self.fields for name, _ in pairs):
            return query
        return urlencode(
            [(n, self.fake(n, v) if n in self.fields else v) for n, v in pairs], safe=",*"
        )

    def _walk(self, node: Any, field: str | None = None) -> tuple[Any, bool]:
        if isinstance(node, dict):
            changed = False
            out = {}
            for key, value in node.items():
                chosen = key if key in self.fields else field
                out[key], hit = self._walk(value, chosen)
                changed = changed or hit
            return out, changed
        if isinstance(node, list):
            items = [self._walk(item, field) for item in node]
            return [item for item, _ in items], any(hit for _, hit in items)
        if field is None or node is None or isinstance(node, bool):
            return node, False
        return self.fake(field, node), True

    # -- one value --------------------------------------------------------------------------
    def fake(self, field: str, value: Any) -> Any:
        """A stand-in for ``value`` of the same JSON type and format."""
        digest = hashlib.sha256(f"{self.seed}\0{field}\0{value!r}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:16], "big"))
        if isinstance(value, int):
            return _fake_int(value, rng)
        if isinstance(value, float):
            return round(rng.uniform(0, abs(value) * 2 or 1), 6)
        if not isinstance(value, str):
            return value
        return _fake_text(value, rng)


def _fake_int(value: int, rng: random.Random) -> int:
    digits = len(str(abs(value)))
    low = 0 if digits == 1 else 10 ** (digits - 1)
    fake = rng.randint(low, 10**digits - 1)
    return -fake if value < 0 else fake


def _fake_text(value: str, rng: random.Random) -> str:
    if _UUID.match(value):
        fake = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return fake.upper() if value.isupper() else fake
    date = _DATE.match(value)
    if date:
        fake = f"{rng.randint(1950, 2030):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if date.group("sep"):
            fake += f"{date.group('sep')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            fake += f":{rng.randint(0, 59):02d}"
            if date.group("fraction"):
                fake += "." + "".join(rng.choice(string.digits) for _ in date.group("fraction"))
        return fake + (date.group("zone") or "")
    if _EMAIL.match(value):
        local = value.rpartition("@")[0]
        return f"{_same_shape(local, rng)}@example.com"
    return _same_shape(value, rng)


def _same_shape(text: str, rng: random.Random) -> str:
    """Each letter another letter of the same case, each digit another digit; the rest kept."""
    out = []
    for char in text:
        if char.isdigit() and char.isascii():
            out.append(rng.choice(string.digits))
        elif not char.isalpha():
            out.append(char)
        elif char.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        else:
            out.append(rng.choice(string.ascii_lowercase))
    return "".join(out)
