"""Deterministic ids (SHA-256, never Python's salted ``hash()``) and the two timestamp spellings
of the SendGrid world."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Iterable
from datetime import datetime, timezone

DAY = 86_400

#: Where the 32 hex digits of a digest's first 16 bytes go in a UUID's 36 characters.
_UUID_DIGITS = [*range(8), *range(9, 13), *range(14, 18), *range(19, 23), *range(24, 36)]


def digest_uuid(text: str) -> str:
    """``str(uuid.UUID(bytes=sha256(text)[:16], version=4))``, without NumPy (or ``uuid``)."""
    raw = bytearray(hashlib.sha256(text.encode()).digest()[:16])
    raw[6] = raw[6] & 0x0F | 0x40  # the version
    raw[8] = raw[8] & 0x3F | 0x80  # the variant
    digits = raw.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def stable_uuids(seed: int, kind: str, keys: Iterable[str]) -> list[str]:
    """A version-4 UUID per key, the same for the same (seed, kind, key) in every process:
    ``stable_uuid`` of each, formatted with NumPy (a million contacts have a million)."""
    import numpy as np  # a generated world's: not on the default data's path

    sha256 = hashlib.sha256
    texts = (f"{seed}\x1f{kind}\x1f{key}" for key in keys)
    digests = b"".join([sha256(text.encode()).digest() for text in texts])
    count = len(digests) // 32
    nibbles = np.frombuffer(digests, np.uint8).reshape(count, 32)[:, :16]
    digits = np.empty((count, 32), np.uint8)
    digits[:, 0::2], digits[:, 1::2] = nibbles >> 4, nibbles & 15
    text = np.full((count, 36), ord("-"), np.uint8)
    text[:, _UUID_DIGITS] = np.frombuffer(b"0123456789abcdef", np.uint8)[digits]
    text[:, 14] = ord("4")  # the version digit replaces hex digit 12
    text[:, 19] = np.frombuffer(b"89ab", np.uint8)[digits[:, 16] & 3]  # the variant
    blob = text.tobytes().decode()
    return [blob[i : i + 36] for i in range(0, len(blob), 36)]


def stable_uuid(seed: int, kind: str, key: str) -> str:
    return digest_uuid(f"{seed}\x1f{kind}\x1f{key}")


def parse_instant(value: str | datetime) -> int:
    """ISO 8601 (``Z`` or an offset; YAML may already have parsed it) -> Unix seconds."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


@functools.lru_cache(maxsize=4096)
def iso_ms(seconds: float) -> str:
    """``2024-03-11T09:15:42.118Z``: SendGrid's timestamps (memoized: a contact's are spelled
    each time it is shown)."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def iso_seconds(seconds: int) -> str:
    """``2024-03-11T09:15:42Z``: a date custom field's value in a contact (any year: the C
    library's ``%Y`` spells year 1 as ``1``)."""
    when = time.gmtime(seconds)
    return f"{when.tm_year:04d}" + time.strftime("-%m-%dT%H:%M:%SZ", when)
