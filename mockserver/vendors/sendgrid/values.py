"""Deterministic ids and the two timestamp spellings of the SendGrid world.

Everything here is a pure function of its arguments: ids come from SHA-256 of
(seed, kind, key), never from Python's salted ``hash()`` or the wall clock.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

DAY = 86_400


def stable_uuid(seed: int, kind: str, key: str) -> str:
    """A version-4 UUID that is the same for the same (seed, kind, key) in every process.

    Equal to ``str(uuid.UUID(bytes=digest[:16], version=4))``, spelled out because a world
    of 200,000 contacts calls it 200,000 times.
    """
    h = hashlib.sha256(f"{seed}\x1f{kind}\x1f{key}".encode()).hexdigest()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


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


def iso_ms(seconds: float) -> str:
    """``2024-03-11T09:15:42.118Z``: how SendGrid spells a timestamp in its JSON."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def iso_seconds(seconds: int) -> str:
    """``2024-03-11T09:15:42Z``: a date custom field's value in a contact."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
