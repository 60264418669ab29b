"""The secrets one request carries, and text with them masked.

Which headers and query parameters are secret is the journal masker's business
(``journal.masking.Masker``): a value its ``header_items`` / ``query`` change is a secret. Text
that may echo one (a violation message quoting a body, a recorded body) is masked with the
contract's text masker, which also catches URL-encoded, JSON-escaped and cut-off forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from mockserver.contract.credentials import Masker as TextMasker
from mockserver.journal.masking import Masker
from mockserver.lru import LruCache

#: Shorter values are masked in headers and queries but not searched for in text: masking
#: every ``x`` of a body because a key was ``x`` would destroy it and protect nothing.
MIN_TEXT_SECRET = 6

_maskers: LruCache[TextMasker] = LruCache(256)


def request_secrets(
    masker: Masker, headers: Iterable[tuple[bytes, bytes]], query: str
) -> tuple[str, ...]:
    """The values of ``headers`` and ``query`` the masker would hide (and their tokens)."""
    pairs = list(headers)
    shown = masker.header_items(pairs)
    secret_names = {
        name
        for name, value in ((n.decode("latin-1").lower(), v) for n, v in pairs)
        if name in shown and shown[name] != value.decode("latin-1")
    }
    found: list[str] = []
    for name, value in pairs:
        if name.decode("latin-1").lower() in secret_names:
            text = value.decode("latin-1")
            found += [text, text.partition(" ")[2].strip()]
    masked_query = masker.query(query)
    if masked_query != query:
        raw = parse_qsl(query, keep_blank_values=True)
        hidden = parse_qsl(masked_query, keep_blank_values=True)
        found += [
            value
            for (_, value), (_, shown_value) in zip(raw, hidden, strict=False)
            if value != shown_value
        ]
    return tuple(dict.fromkeys(s for s in found if len(s) >= MIN_TEXT_SECRET))


def text_masker(secrets: tuple[str, ...]) -> TextMasker:
    """A (cached) masker replacing each of ``secrets`` in text."""
    found = _maskers.get(secrets)
    return found if found is not None else _maskers.put(secrets, TextMasker(secrets))


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    if not secrets or not text:
        return text
    return text_masker(secrets)(text)
