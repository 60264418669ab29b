"""Which API keys the mock accepts, with which scopes: any key of SendGrid's shape, unless keys
are given (``--sendgrid-key``, the fixtures' ``keys:``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from mockserver.vendors.interface import Reply
from mockserver.vendors.sendgrid.dialect import errors_reply

KEY_SHAPE = re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")
INVALID_KEY = errors_reply(
    401, (None, "The provided authorization grant is invalid, expired, or revoked")
)
FORBIDDEN = errors_reply(403, (None, "access forbidden"))


def parse_key_option(value: str) -> tuple[str, frozenset[str] | None]:
    """``KEY`` -> full access; ``KEY:marketing.read,mail.send`` -> those scopes only."""
    key, sep, scopes = value.strip().partition(":")
    if not key:
        raise ValueError(f"--sendgrid-key {value!r}: the key is empty")
    if not sep:
        return key, None
    return key, frozenset(s.strip() for s in scopes.split(",") if s.strip())


class KeyRing(NamedTuple):
    """The accepted keys: key -> scopes (``None``: full access); ``keys=None``: accept every
    key of SendGrid's shape, with full access."""

    keys: Mapping[str, frozenset[str] | None] | None = None

    def refusal(self, needed: Iterable[str], key: str) -> Reply | None:
        """401 for a key that is not accepted, 403 for one lacking a ``needed`` scope."""
        if self.keys is None:
            return None if KEY_SHAPE.fullmatch(key) else INVALID_KEY
        if key not in self.keys:
            return INVALID_KEY
        scopes = self.keys[key]
        if scopes is not None and not scopes.issuperset(needed):
            return FORBIDDEN
        return None
